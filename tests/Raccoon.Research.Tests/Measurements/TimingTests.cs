using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Runtime;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Measurements;

public sealed class TimingTests(TorchFixture _) : IClassFixture<TorchFixture>
{
    static readonly TimingOptions Few = new(Warmup: 2, Repeats: 7);

    [Fact]
    public void Quantiles_interpolate_as_numpy_does()
    {
        var s = SampleStatistics.Of([4.0, 1, 3, 2]);
        Assert.Equal(2.5, s.Median);
        Assert.Equal(1.75, s.Q1);
        Assert.Equal(3.25, s.Q3);
        Assert.Equal(1.5, s.Iqr);
        Assert.Equal(1, s.Min);
        Assert.Equal(4, s.Max);
        Assert.Equal(2.5, s.Mean);
        Assert.Equal(7, SampleStatistics.Of([7.0]).Median);
        Assert.Throws<ArgumentException>(() => SampleStatistics.Of([]));
    }

    [Fact]
    public void Comparisons_in_blocks_keep_every_round_take_blocks_in_turn_and_widen_the_interval_to_the_block_ratios()
    {
        var order = new List<string>();
        using var a = randn(32, 32);
        Action Call(string name) => () => { order.Add(name); a.matmul(a); };
        var options = new TimingOptions(Warmup: 1, Repeats: 7);
        var compared = Timing.CompareInBlocks(
        [
            new Timing.Pair("a", Call("a"), "b", Call("b"), options),
            new Timing.Pair("c", Call("c"), "d", Call("d"), options with { Repeats = 6 }),
        ], blocks: 3);

        Assert.Equal(2, compared.Count);
        Assert.Equal(7, compared[0].Baseline.Seconds.Count);
        Assert.Equal(7, compared[0].PairedRatios.Count);
        Assert.Equal(6, compared[1].Candidate.Seconds.Count);
        Assert.All(compared, c => Assert.Equal(3, c.BlockRatios!.Count));
        // block 1 of the first pair (after its warm-up), then block 1 of the second, then block 2 of the first ...
        var timed = order.Where((_, i) => i >= 2).ToList(); // the first pair's warm-up round
        int firstC = timed.IndexOf("c"), secondBlockOfA = timed.FindIndex(firstC, n => n == "a");
        Assert.True(firstC > 0 && secondBlockOfA > firstC);
        Assert.Equal(7 * 2 + 6 * 2 + 2 * 2, order.Count);
        foreach (var c in compared)
        {
            var (ratio, interval) = Intervals.Speedup(c);
            Assert.Equal(c.Speedup, ratio, 12);
            Assert.True(interval.Low <= c.BlockRatios!.Min() && c.BlockRatios!.Max() <= interval.High);
        }
        Assert.Throws<ArgumentException>(() => Timing.CompareInBlocks([new Timing.Pair("a", Call("a"), "b", Call("b"), options with { Repeats = 2 })], blocks: 3));
    }

    [Fact]
    public void Latency_has_repeats_order_statistics_throughput_and_machine()
    {
        using var a = randn(64, 64);
        var r = Timing.Measure("matmul 64", () => a.matmul(a), Few, itemsPerCall: 64);

        Assert.Equal(7, r.Seconds.Count);
        Assert.All(r.Seconds, s => Assert.True(s > 0));
        Assert.True(r.Min <= r.Stats.Q1 && r.Stats.Q1 <= r.Median && r.Median <= r.Stats.Q3 && r.Stats.Q3 <= r.Stats.Max);
        Assert.Equal(64 / r.Median, r.Throughput, 6);
        Assert.Equal(0, r.TensorsLeaked);
        Assert.Equal(TorchRuntime.Threads, r.Machine.TorchThreads);
        Assert.Equal(TorchRuntime.LibTorchVersion, r.Machine.LibTorchVersion);
        Assert.False(string.IsNullOrWhiteSpace(r.Machine.CpuModel));
        Assert.Contains("libtorch", r.Machine.Summary);

        var table = r.ToTable();
        Assert.Equal("matmul 64", table.Rows.Single()[0]);
        Assert.Contains("\"box\"", r.ToFigure().PlotlyJson);
        Assert.Contains("\"seconds\"", r.ToJson());
        Assert.StartsWith("name,median ms,", r.ToCsv());
    }

    [Fact]
    public void A_call_that_moves_a_tensor_out_of_its_scope_is_reported_as_leaking()
    {
        var kept = new List<Tensor>();
        var r = Timing.Measure("leaky", () => kept.Add(ones(4).MoveToOuterDisposeScope()), Few);
        Assert.Equal(7, r.TensorsLeaked);
        foreach (var t in kept) t.Dispose();
    }

    [Fact]
    public void Comparison_interleaves_both_callables_and_reports_a_ratio()
    {
        using var small = randn(16, 16);
        using var large = randn(160, 160);
        var c = Timing.Compare("large", () => large.matmul(large), "small", () => small.matmul(small), Few);

        Assert.Equal(7, c.Baseline.Seconds.Count);
        Assert.Equal(7, c.Candidate.Seconds.Count);
        Assert.Equal(7, c.PairedRatios.Count);
        Assert.Equal(c.Baseline.Median / c.Candidate.Median, c.Speedup);
        Assert.Equal(c.Baseline.Seconds[3] / c.Candidate.Seconds[3], c.PairedRatios[3]);
        Assert.Same(c.Baseline.Machine, c.Candidate.Machine);
        Assert.Equal("speedup vs baseline", c.ToTable().Columns[^1]);
        Assert.Equal(2, c.ToTable().Rows.Count);
    }

    [Fact]
    public void Training_step_times_forward_backward_and_optimizer_apart_without_leaking()
    {
        using var model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2));
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        using var x = randn(4, 8);
        using var y = randn(4, 2);
        var before = model.parameters().First().clone();

        var t = Timing.TrainingStep("mlp", () => nn.functional.mse_loss(model.call(x), y), optimizer, Few, itemsPerStep: 4);

        foreach (var phase in new[] { t.Forward, t.Backward, t.Step, t.Total })
        {
            Assert.Equal(7, phase.Seconds.Count);
            Assert.All(phase.Seconds, s => Assert.True(s > 0));
            Assert.Equal(0, phase.TensorsLeaked);
        }
        for (int i = 0; i < 7; i++)
            Assert.True(t.Total.Seconds[i] >= t.Forward.Seconds[i] + t.Backward.Seconds[i] + t.Step.Seconds[i]);
        Assert.False(before.allclose(model.parameters().First())); // the optimizer really stepped
        Assert.Equal(4, t.ToTable().Rows.Count);
        before.Dispose();
    }

    [Fact]
    public void Bad_options_are_refused_by_name()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Timing.Measure("x", () => { }, new TimingOptions(Repeats: 0)));
        Assert.Equal("Repeats", e.ParamName);
    }
}
