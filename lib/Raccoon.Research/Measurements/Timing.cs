using System.Globalization;
using System.Diagnostics;
using Raccoon.Research.Views;
using Raccoon.Research.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Measurements;

/// <summary>How a timing is taken. <paramref name="CallsPerSample"/> &gt; 1 times several calls together
/// (each still in its own dispose scope) for callables too short for one clock reading.</summary>
public sealed record TimingOptions(int Warmup = 3, int Repeats = 20, int CallsPerSample = 1, int? Threads = null)
{
    public static TimingOptions Default { get; } = new();

    internal void Validate()
    {
        if (Warmup < 0) throw new ArgumentOutOfRangeException(nameof(Warmup), Warmup, "warm-up runs cannot be negative");
        if (Repeats < 1) throw new ArgumentOutOfRangeException(nameof(Repeats), Repeats, "at least one timed repeat is needed");
        if (CallsPerSample < 1) throw new ArgumentOutOfRangeException(nameof(CallsPerSample), CallsPerSample, "at least one call per sample is needed");
    }
}

/// <summary>Order statistics of a set of samples (quantiles interpolate linearly, as numpy's default).</summary>
public sealed record SampleStatistics(int Count, double Median, double Q1, double Q3, double Min, double Max, double Mean)
{
    public double Iqr => Q3 - Q1;

    public static SampleStatistics Of(IReadOnlyList<double> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("no samples to summarise", nameof(samples));
        var s = samples.Order().ToArray();
        return new(s.Length, Quantile(s, 0.5), Quantile(s, 0.25), Quantile(s, 0.75), s[0], s[^1], s.Average());
    }

    /// <summary>Quantile <paramref name="q"/> of sorted values by linear interpolation between closest ranks.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        double pos = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}

/// <summary>Seconds per call of one callable, repeated, with the machine it ran on.</summary>
/// <param name="Seconds">One entry per timed sample: seconds per call.</param>
/// <param name="ItemsPerCall">Items (sequences, tokens, images) one call processes, for throughput.</param>
/// <param name="TensorsLeaked">Tensors alive after the measured loop that were not before it (0 when the loop is clean).</param>
public sealed record TimingResult(string Name, IReadOnlyList<double> Seconds, long ItemsPerCall, int Warmup, long TensorsLeaked, MachineContext Machine) : IMeasurementView
{
    public SampleStatistics Stats { get; } = SampleStatistics.Of(Seconds);

    public double Median => Stats.Median;
    public double Iqr => Stats.Iqr;
    public double Min => Stats.Min;

    /// <summary>Items per second at the median latency.</summary>
    public double Throughput => ItemsPerCall / Stats.Median;

    public Table ToTable() => Timing.Table($"Latency of {Name}", [this]);
    public Figure ToFigure() => Timing.Figure($"Latency of {Name}", [this]);
}

/// <summary>Two callables timed in the same run, their repeats interleaved (A B, B A, A B...) so that drift
/// of the machine falls on both alike. <see cref="Speedup"/> &gt; 1 means the candidate is faster.</summary>
/// <summary>Two things timed interleaved. <see cref="BlockRatios"/>: where the rounds were taken in blocks spread over the
/// experiment (<see cref="Timing.CompareInBlocks"/>), each block's ratio of medians, so the interval can cover the drift between them.</summary>
public sealed record TimingComparison(TimingResult Baseline, TimingResult Candidate, IReadOnlyList<double> PairedRatios,
    IReadOnlyList<double>? BlockRatios = null) : IMeasurementView
{
    /// <summary>Baseline median over candidate median.</summary>
    public double Speedup => Baseline.Median / Candidate.Median;

    /// <summary>Statistics of baseline/candidate per round: robust to slow drift, and its IQR says how steady the ratio is.</summary>
    public SampleStatistics PairedRatio { get; } = SampleStatistics.Of(PairedRatios);

    public Table ToTable()
    {
        var t = Timing.Table($"{Candidate.Name} vs {Baseline.Name}", [Baseline, Candidate]);
        var columns = t.Columns.Append("speedup vs baseline").ToList();
        var rows = new List<IReadOnlyList<string>>
        {
            t.Rows[0].Append("1").ToList(),
            t.Rows[1].Append(MeasurementViews.Cell(Speedup)).ToList(),
        };
        return new Table(t.Title, columns, rows);
    }

    public Figure ToFigure() => Timing.Figure($"{Candidate.Name} vs {Baseline.Name}: {Speedup:0.00}x", [Baseline, Candidate]);
}

/// <summary>One training step timed in its three phases. Forward is the loss computation, backward is
/// <c>loss.backward()</c>, step is <c>optimizer.step()</c> plus <c>zero_grad()</c>; Total is the whole step
/// including freeing the step's tensors.</summary>
public sealed record TrainingStepTiming(string Name, TimingResult Forward, TimingResult Backward, TimingResult Step, TimingResult Total) : IMeasurementView
{
    public Table ToTable() => Timing.Table($"Training step of {Name}", [Forward, Backward, Step, Total]);

    public Figure ToFigure()
    {
        string[] phases = ["forward", "backward", "optimizer step"];
        double[] ms = [Forward.Median * 1e3, Backward.Median * 1e3, Step.Median * 1e3];
        return Charts.Bars($"Training step of {Name} ({Total.Machine.Summary})", "median ms per step", false, phases, new BarSeries(Name, ms));
    }
}

/// <summary>
/// Latency and throughput of callables. Each measurement: fixes torch's thread count, runs the warm-up,
/// settles the garbage collector, then times each call inside its own dispose scope (the clock includes
/// freeing that call's tensors, as Python frees them when they go out of reach), and counts tensors the
/// loop left alive.
/// </summary>
public static class Timing
{
    public static TimingResult Measure(string name, Action call, TimingOptions? options = null, long itemsPerCall = 1)
    {
        var o = Prepare(options);
        for (int i = 0; i < o.Warmup; i++) Scoped(call);
        SettleGarbageCollector();
        long live = LiveTensors.Count; // after warm-up: one-time allocations are not leaks
        var seconds = new double[o.Repeats];
        for (int r = 0; r < o.Repeats; r++) seconds[r] = Sample(call, o.CallsPerSample);
        return new TimingResult(name, seconds, itemsPerCall, o.Warmup, LiveTensors.Count - live, MachineContext.Current());
    }

    /// <summary>Times <paramref name="baseline"/> and <paramref name="candidate"/> in alternating order within each round.</summary>
    public static TimingComparison Compare(string baselineName, Action baseline, string candidateName, Action candidate, TimingOptions? options = null, long itemsPerCall = 1)
    {
        var o = Prepare(options);
        for (int i = 0; i < o.Warmup; i++) { Scoped(baseline); Scoped(candidate); }
        SettleGarbageCollector();
        long live = LiveTensors.Count;
        var a = new double[o.Repeats];
        var b = new double[o.Repeats];
        for (int r = 0; r < o.Repeats; r++)
        {
            if (r % 2 == 0) { a[r] = Sample(baseline, o.CallsPerSample); b[r] = Sample(candidate, o.CallsPerSample); }
            else { b[r] = Sample(candidate, o.CallsPerSample); a[r] = Sample(baseline, o.CallsPerSample); }
        }
        long leaked = LiveTensors.Count - live;
        var machine = MachineContext.Current();
        return new TimingComparison(
            new TimingResult(baselineName, a, itemsPerCall, o.Warmup, leaked, machine),
            new TimingResult(candidateName, b, itemsPerCall, o.Warmup, leaked, machine),
            a.Zip(b, (x, y) => x / y).ToArray());
    }

    /// <summary>One comparison of <see cref="CompareInBlocks"/>: two calls timed interleaved, with their own options.</summary>
    public sealed record Pair(string BaselineName, Action Baseline, string CandidateName, Action Candidate, TimingOptions? Options = null, long ItemsPerCall = 1);

    /// <summary>
    /// Several interleaved comparisons, each split into <paramref name="blocks"/> blocks of rounds taken in turn (block 1 of
    /// every comparison, then block 2 of every one, ...), so each comparison's samples are spread over the whole span of the
    /// experiment rather than one stretch of it. Each comparison keeps its block ratios; <see cref="Intervals.Speedup"/> widens
    /// its interval to cover them, so a drift of the machine between blocks shows as a wider interval, not a narrow wrong one.
    /// </summary>
    public static IReadOnlyList<TimingComparison> CompareInBlocks(IReadOnlyList<Pair> pairs, int blocks = 3)
    {
        if (blocks < 1) throw new ArgumentOutOfRangeException(nameof(blocks), blocks, "at least one block");
        var prepared = pairs.Select(p => Prepare(p.Options)).ToList();
        for (int k = 0; k < pairs.Count; k++)
            if (prepared[k].Repeats < blocks)
                throw new ArgumentException($"'{pairs[k].CandidateName}' vs '{pairs[k].BaselineName}': {prepared[k].Repeats} repeats cannot fill {blocks} blocks");
        var a = pairs.Select(_ => new List<double>()).ToList();
        var b = pairs.Select(_ => new List<double>()).ToList();
        var blockRatios = pairs.Select(_ => new List<double>()).ToList();
        var leaked = new long[pairs.Count];
        for (int block = 0; block < blocks; block++)
            for (int k = 0; k < pairs.Count; k++)
            {
                var (p, o) = (pairs[k], prepared[k]);
                if (block == 0) for (int i = 0; i < o.Warmup; i++) { Scoped(p.Baseline); Scoped(p.Candidate); }
                SettleGarbageCollector();
                long live = LiveTensors.Count;
                int from = o.Repeats * block / blocks, to = o.Repeats * (block + 1) / blocks;
                var ba = new List<double>(); var bb = new List<double>();
                for (int r = from; r < to; r++)
                {
                    if (r % 2 == 0) { ba.Add(Sample(p.Baseline, o.CallsPerSample)); bb.Add(Sample(p.Candidate, o.CallsPerSample)); }
                    else { bb.Add(Sample(p.Candidate, o.CallsPerSample)); ba.Add(Sample(p.Baseline, o.CallsPerSample)); }
                }
                leaked[k] += LiveTensors.Count - live;
                a[k].AddRange(ba); b[k].AddRange(bb);
                blockRatios[k].Add(SampleStatistics.Of(ba).Median / SampleStatistics.Of(bb).Median);
            }
        var machine = MachineContext.Current();
        return pairs.Select((p, k) => new TimingComparison(
            new TimingResult(p.BaselineName, a[k], p.ItemsPerCall, prepared[k].Warmup, leaked[k], machine),
            new TimingResult(p.CandidateName, b[k], p.ItemsPerCall, prepared[k].Warmup, leaked[k], machine),
            a[k].Zip(b[k], (x, y) => x / y).ToArray(), blockRatios[k])).ToList();
    }

    /// <summary>Times zero_grad + forward (<paramref name="loss"/>) + backward + optimizer step, each phase apart.</summary>
    public static TrainingStepTiming TrainingStep(string name, Func<Tensor> loss, optim.Optimizer optimizer, TimingOptions? options = null, long itemsPerStep = 1)
    {
        var o = Prepare(options);
        if (o.CallsPerSample != 1) throw new ArgumentException("a training step is timed one step per sample", nameof(options));
        long live = 0;
        var phases = new double[4][];
        for (int k = 0; k < 4; k++) phases[k] = new double[o.Repeats];
        for (int i = -o.Warmup; i < o.Repeats; i++)
        {
            if (i == 0) { SettleGarbageCollector(); live = LiveTensors.Count; }
            long t0 = Stopwatch.GetTimestamp(), t1, t2, t3;
            using (NewDisposeScope())
            {
                var value = loss();
                t1 = Stopwatch.GetTimestamp();
                value.backward();
                t2 = Stopwatch.GetTimestamp();
                optimizer.step();
                optimizer.zero_grad();
                t3 = Stopwatch.GetTimestamp();
            }
            long t4 = Stopwatch.GetTimestamp();
            if (i < 0) continue;
            phases[0][i] = Stopwatch.GetElapsedTime(t0, t1).TotalSeconds;
            phases[1][i] = Stopwatch.GetElapsedTime(t1, t2).TotalSeconds;
            phases[2][i] = Stopwatch.GetElapsedTime(t2, t3).TotalSeconds;
            phases[3][i] = Stopwatch.GetElapsedTime(t0, t4).TotalSeconds;
        }
        long leaked = LiveTensors.Count - live;
        var machine = MachineContext.Current();
        TimingResult R(string phase, double[] s) => new($"{name} {phase}", s, itemsPerStep, o.Warmup, leaked, machine);
        return new TrainingStepTiming(name, R("forward", phases[0]), R("backward", phases[1]), R("optimizer step", phases[2]), R("step", phases[3]));
    }

    /// <summary>Full collection, finalizers run, and a second collection for what they freed.</summary>
    public static void SettleGarbageCollector()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>One row per result: median, quartiles, IQR, min, max (milliseconds), throughput and where it ran.</summary>
    public static Table Table(string title, IEnumerable<TimingResult> results) => new(title,
        ["name", "median ms", "q1 ms", "q3 ms", "iqr ms", "min ms", "max ms", "repeats", "items/s", "tensors leaked", "machine"],
        results.Select(r => (IReadOnlyList<string>)
        [
            r.Name, Ms(r.Stats.Median), Ms(r.Stats.Q1), Ms(r.Stats.Q3), Ms(r.Stats.Iqr), Ms(r.Stats.Min), Ms(r.Stats.Max),
            r.Stats.Count.ToString(CultureInfo.InvariantCulture), MeasurementViews.Cell(r.Throughput), MeasurementViews.Cell(r.TensorsLeaked), r.Machine.Summary,
        ]).ToList());

    /// <summary>A box per result over its samples, in milliseconds.</summary>
    public static Figure Figure(string title, IEnumerable<TimingResult> results)
    {
        var list = results.ToList();
        string machine = list.Count > 0 ? $" ({list[0].Machine.Summary})" : "";
        return Charts.Boxes(title + machine, "ms per call", false, list.Select(r => new BoxSeries(r.Name, [.. r.Seconds.Select(s => s * 1e3)])));
    }

    static string Ms(double seconds) => MeasurementViews.Cell(Math.Round(seconds * 1e3, 6));

    static TimingOptions Prepare(TimingOptions? options)
    {
        var o = options ?? TimingOptions.Default;
        o.Validate();
        TorchRuntime.Initialize(o.Threads ?? TorchRuntime.Threads);
        return o;
    }

    /// <summary>One call inside its own dispose scope, so its tensors are freed before it returns (the parity benchmark times calls this way too).</summary>
    internal static void Scoped(Action call)
    {
        using var scope = NewDisposeScope();
        call();
    }

    static double Sample(Action call, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int c = 0; c < calls; c++) Scoped(call);
        return Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
    }
}
