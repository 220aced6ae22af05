using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Measurements;

/// <summary>Resident memory is per process: these run alone so other tests' allocations don't move it.</summary>
[CollectionDefinition(nameof(ProcessMemoryCollection), DisableParallelization = true)]
public sealed class ProcessMemoryCollection;

[Collection(nameof(ProcessMemoryCollection))]
public sealed class LeakCheckTests(TorchFixture _) : IClassFixture<TorchFixture>
{
    [Fact]
    public void A_clean_training_loop_passes()
    {
        using var model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 1));
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        using var x = randn(8, 16);
        using var y = randn(8, 1);
        var report = LeakCheck.Run("clean", () =>
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), y);
            loss.backward();
            optimizer.step();
        }, steps: 60);

        Assert.Equal(0, report.TensorsPerStep);
        Assert.False(report.GrowsMemory, $"grew {report.MemoryGrowthBytes} bytes");
        Assert.True(report.Clean);
        Assert.Same(report, report.EnsureClean());
        Assert.Equal(61, report.LiveTensorsAfterStep.Count);
        Assert.Equal("yes", report.ToTable().Rows[0][^1]);
        // The growth is judged on settled readings: step 0 and 16 checkpoints, the last one after the last step.
        Assert.Equal(17, report.SettledResident.Count);
        Assert.Equal((0, 60), (report.SettledResident[0].Step, report.SettledResident[^1].Step));
        Assert.All(report.SettledResident, r => Assert.True(r.Bytes > 0));
    }

    [Theory]
    [InlineData(4, new[] { 1, 2, 3, 4 })]
    [InlineData(2000, new[] { 125, 250, 375, 500, 625, 750, 875, 1000, 1125, 1250, 1375, 1500, 1625, 1750, 1875, 2000 })]
    public void Settled_readings_are_evenly_spaced_and_end_at_the_last_step(int steps, int[] expected) =>
        Assert.Equal(expected, LeakCheck.Checkpoints(steps).Order());

    [Fact]
    public void A_loop_that_forgets_its_dispose_scope_is_caught()
    {
        using var w = randn(16, 16);
        var leaked = new List<Tensor>();
        var report = LeakCheck.Run("no scope", () =>
        {
            var h = w.matmul(w).relu(); // two tensors, never disposed
            leaked.Add(h);
        }, steps: 20, warmup: 1);

        Assert.True(report.LeaksTensors);
        Assert.Equal(2, report.TensorsPerStep);
        var e = Assert.Throws<InvalidOperationException>(() => report.EnsureClean());
        Assert.Contains("2 tensor(s) alive per step", e.Message);
        foreach (var t in leaked) t.Dispose();
    }

    [Fact]
    public void A_loop_that_keeps_every_step_alive_grows_memory_and_is_caught()
    {
        var kept = new List<Tensor>();
        var report = LeakCheck.Run("keeps results", () =>
        {
            using var scope = NewDisposeScope();
            kept.Add(ones(1 << 20).MoveToOuterDisposeScope()); // 4 MiB a step, filled so the pages are resident
        }, steps: 24, warmup: 1);

        Assert.True(report.GrowsMemory, $"grew only {report.MemoryGrowthBytes} bytes");
        Assert.True(report.MemoryGrowthBytes >= 40L << 20, $"grew {report.MemoryGrowthBytes} bytes"); // 18 steps apart at 4 MiB, minus slack
        Assert.Equal(1, report.TensorsPerStep);
        Assert.Throws<InvalidOperationException>(() => report.EnsureClean());
        foreach (var t in kept) t.Dispose();
    }
}
