using Raccoon.Research.Training;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.Parity;

/// <param name="Rounds">Rounds per step; each round takes <paramref name="Repeats"/> C# samples and as many
/// PyTorch samples, the side that goes first alternating from round to round.</param>
/// <param name="LeakSteps">Training steps of each model's leak check (0: none).</param>
/// <param name="Only">Case keys or key prefixes ("glyph-cnn", "language-models/transformer"); empty: all.</param>
/// <param name="SecondsPerRound">A slow step takes fewer samples per round (at least one), so one side's round
/// lasts about this long; fast steps take <paramref name="Repeats"/>.</param>
/// <param name="LeakSeconds">A slow model's leak check stops after about this long (at least 8 steps); the
/// table gives the steps it ran.</param>
/// <param name="Function">Run each case's function check (<see cref="FunctionParity"/>) before timing it.</param>
public sealed record ParityOptions(int Threads, int Seed = 1, int Warmup = 3, int Rounds = 6, int Repeats = 5, int LeakSteps = 2000,
    IReadOnlyList<string>? Only = null, double SecondsPerRound = 3, double LeakSeconds = 60, bool Function = true)
{
    public void Validate()
    {
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "at least one thread");
        if (Warmup < 1) throw new ArgumentOutOfRangeException(nameof(Warmup), Warmup, "at least one warm-up step");
        if (Rounds < 2) throw new ArgumentOutOfRangeException(nameof(Rounds), Rounds, "at least 2 rounds, so each side goes first once");
        if (Repeats < 1) throw new ArgumentOutOfRangeException(nameof(Repeats), Repeats, "at least one sample per round");
        if (LeakSteps is < 0 or (> 0 and < 8)) throw new ArgumentOutOfRangeException(nameof(LeakSteps), LeakSteps, "0 (no leak check) or at least 8 steps");
        if (!(SecondsPerRound > 0) || !(LeakSeconds > 0)) throw new ArgumentOutOfRangeException(nameof(SecondsPerRound), "time budgets must be positive");
    }
}

/// <summary>One model's step timed on both sides. Ratio is C# time over PyTorch time (below 1: C# is faster),
/// with the bootstrap interval of the ratio of medians.</summary>
public sealed record ParityRow(
    string Key, string Document, string Model, string Size, string Step,
    long CSharpParameters, long PyTorchParameters, bool SameShapes,
    double CSharpMs, double CSharpIqrMs, double PyTorchMs, double PyTorchIqrMs,
    double Ratio, double RatioLow, double RatioHigh, int Threads, int Samples,
    double? Flops, string? Bound, double? Gflops, double? ShareOfPeak);

/// <summary>One fp32 kernel at one size through libtorch on both sides: the machine's limit for that kernel.</summary>
public sealed record KernelPeak(string Kind, string Size, double Flops, double CSharpGflops, double CSharpBestGflops, double PyTorchGflops, int Threads);

/// <summary>A model whose benchmark could not run, and why (a parameter mismatch, a missing PyTorch definition, an error).</summary>
public sealed record ParityFailure(string Key, string Model, string Error);

/// <summary>One model's leak check: growth and start/end are settled readings (after a garbage collection and a heap trim,
/// <see cref="LeakReport.SettledResident"/>); <paramref name="UnsettledGrowthBytes"/> is the last per-step reading minus the first,
/// which also counts collectable garbage and allocator slack.</summary>
public sealed record LeakRow(string Key, string Model, int Steps, double TensorsPerStep, long MemoryGrowthBytes, long ResidentStartBytes, long ResidentEndBytes, bool Clean,
    long UnsettledGrowthBytes = 0);

/// <summary>Everything one <c>raccoon parity</c> run measured, stored as parity/parity.json.</summary>
/// <param name="Functions">Each case's function check (none in a run from before they existed).</param>
public sealed record ParityRun(
    DateTime FinishedAt, MachineContext Machine, string PyTorchVersion, string PyTorchBlas, string Python, ParityOptions Options,
    IReadOnlyList<ParityRow> Rows, IReadOnlyList<KernelPeak> Peaks, IReadOnlyList<LeakRow> Leaks, IReadOnlyList<ParityFailure> Failures,
    double Seconds, IReadOnlyList<FunctionCheck>? Functions = null)
{
    /// <summary>The function column of a case: whether it agrees within <see cref="FunctionTolerance.Fp32"/> and the largest
    /// relative difference of its output and gradients; empty where it was not checked.</summary>
    public string FunctionCell(string key) => Functions?.FirstOrDefault(f => f.Key == key) is { } f
        ? $"{(f.Agrees(FunctionTolerance.Fp32) ? "agrees" : "DIFFERS")}, {f.MaxRel.ToString("0.0e0", CultureInfo.InvariantCulture)}"
        : "";

    /// <summary>Each function check: the largest relative differences of output, loss, gradients and the 5-step losses.</summary>
    public Table FunctionTable() => new Table(
        $"Same weights, same inputs, same seeds: C# against PyTorch {PyTorchVersion}, largest difference over the largest magnitude of PyTorch's tensor " +
        $"(tolerance: output and loss {FunctionTolerance.Fp32.Output:0e0}, each gradient {FunctionTolerance.Fp32.Gradient:0e0}, {FunctionParity.Steps}-step losses {FunctionTolerance.Fp32.Steps:0e0})",
        ["document", "model", "checked at", "parameters", "output", "loss", "worst gradient", "of", $"{FunctionParity.Steps}-step losses", "agrees"],
        (Functions ?? []).Select(f => (IReadOnlyList<string>)
        [
            f.Document, f.Model, f.Size, f.Parameters.ToString("N0", CultureInfo.InvariantCulture), Sci(f.Output.MaxRel), Sci(f.Loss.MaxRel),
            Sci(f.WorstGradient.MaxRel), f.WorstGradient.Name, Sci(f.Steps.MaxRel), f.Agrees(FunctionTolerance.Fp32) ? "yes" : "NO",
        ]).ToList()).Named("function");

    static string Sci(double x) => x.ToString("0.0e0", CultureInfo.InvariantCulture);

    /// <summary>The comparison of both sides, one row per model and step.</summary>
    public Table ParityTable() => new Table(
        $"C# (TorchSharp {Machine.TorchSharpVersion}, libtorch {Machine.LibTorchVersion}) against PyTorch {PyTorchVersion}, {Options.Threads} threads each, interleaved",
        ["document", "model", "size", "step", "parameters (C# = PyTorch)", "C# ms", "PyTorch ms", "ratio C#/PyTorch", "95% interval", "function (max rel. diff.)", "threads", "GFLOP/s", "share of peak"],
        Rows.Select(r => (IReadOnlyList<string>)
        [
            r.Document, r.Model, r.Size, r.Step,
            r.CSharpParameters == r.PyTorchParameters ? $"{r.CSharpParameters:N0}{(r.SameShapes ? "" : " (shapes differ)")}" : $"{r.CSharpParameters:N0} vs {r.PyTorchParameters:N0}",
            Ms(r.CSharpMs), Ms(r.PyTorchMs), $"{r.Ratio:0.00}x", $"{r.RatioLow:0.00}-{r.RatioHigh:0.00}", FunctionCell(r.Key), r.Threads.ToString(CultureInfo.InvariantCulture),
            r.Gflops is double g ? g.ToString("0.0", CultureInfo.InvariantCulture) : "",
            r.ShareOfPeak is double s ? $"{s:P0} of {r.Bound}" : "",
        ]).ToList()).Named("parity");

    public Table PeakTable() => new Table(
        "The machine's fp32 limit through libtorch: one large kernel, median GFLOP/s",
        ["kernel", "size", "GFLOP per call", "C# GFLOP/s (median)", "C# GFLOP/s (best)", "PyTorch GFLOP/s (median)", "threads"],
        Peaks.Select(p => (IReadOnlyList<string>)
        [
            p.Kind, p.Size, (p.Flops / 1e9).ToString("0.00", CultureInfo.InvariantCulture), p.CSharpGflops.ToString("0.0", CultureInfo.InvariantCulture),
            p.CSharpBestGflops.ToString("0.0", CultureInfo.InvariantCulture), p.PyTorchGflops.ToString("0.0", CultureInfo.InvariantCulture), p.Threads.ToString(CultureInfo.InvariantCulture),
        ]).ToList()).Named("peaks");

    public Table LeakTable() => new Table(
        "Leak check of each model's training step: native tensors per step and resident-memory growth (settled: read after a garbage collection and a heap trim)",
        ["model", "steps", "tensors per step", "settled growth MB", "settled at start MB", "settled at end MB", "unsettled growth MB", "flat"],
        Leaks.Select(l => (IReadOnlyList<string>)
        [
            l.Model, l.Steps.ToString(CultureInfo.InvariantCulture), l.TensorsPerStep.ToString("0.###", CultureInfo.InvariantCulture),
            (l.MemoryGrowthBytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture), (l.ResidentStartBytes / 1e6).ToString("0", CultureInfo.InvariantCulture),
            (l.ResidentEndBytes / 1e6).ToString("0", CultureInfo.InvariantCulture), (l.UnsettledGrowthBytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture), l.Clean ? "yes" : "NO",
        ]).ToList()).Named("leaks");

    /// <summary>What the run shows, in sentences computed from its rows.</summary>
    public IReadOnlyList<string> Findings()
    {
        var said = new List<string>();
        if (Functions is { Count: > 0 } functions)
        {
            var t = FunctionTolerance.Fp32;
            var differ = functions.Where(f => !f.Agrees(t)).ToList();
            var worst = functions.MaxBy(f => f.MaxRel)!;
            said.Add(differ.Count == 0
                ? $"All {functions.Count} checked models compute PyTorch's function: with the same weights, inputs and seeds, outputs, losses, every gradient and {FunctionParity.Steps} SGD steps agree within fp32 tolerance (largest relative difference of an output or gradient: {Sci(worst.MaxRel)}, {worst.Model})."
                : $"{functions.Count - differ.Count} of {functions.Count} checked models agree with PyTorch within fp32 tolerance; {string.Join("; ", differ.Select(f => $"{f.Model} differs ({string.Join(", ", f.Disagreements(t))})"))}.");
        }
        if (Rows.Count > 0)
        {
            int faster = Rows.Count(r => r.RatioHigh < 1), slower = Rows.Count(r => r.RatioLow > 1), even = Rows.Count - faster - slower;
            said.Add($"Of {Rows.Count} model steps, C# is faster than PyTorch on {faster}, slower on {slower}, and within the interval of equal on {even} (ratio = C# time / PyTorch time, {Options.Threads} threads each).");
            var worst = Rows.MaxBy(r => r.Ratio)!;
            var best = Rows.MinBy(r => r.Ratio)!;
            said.Add($"Widest gap against C#: {worst.Model} {worst.Step}, {worst.Ratio:0.00}x ({Ms(worst.CSharpMs)} vs {Ms(worst.PyTorchMs)} ms); widest in its favour: {best.Model} {best.Step}, {best.Ratio:0.00}x.");
            int goal = Rows.Count(r => r.Ratio <= 1.0);
            said.Add($"The goal of at most 1.0x PyTorch's time is met on {goal} of {Rows.Count} steps.");
        }
        foreach (var r in Rows.Where(r => r.ShareOfPeak is not null))
            said.Add($"{r.Model} {r.Step} ({r.Size}) runs at {r.Gflops:0.0} GFLOP/s, {r.ShareOfPeak:P0} of the measured {r.Bound} peak (goal: 60%).");
        if (Leaks.Count > 0)
        {
            var dirty = Leaks.Where(l => !l.Clean).ToList();
            said.Add(dirty.Count == 0
                ? $"All {Leaks.Count} training steps held native tensors and resident memory flat ({Leaks.Min(l => l.Steps):N0} to {Leaks.Max(l => l.Steps):N0} steps)."
                : $"{dirty.Count} of {Leaks.Count} training steps did not stay flat: {string.Join(", ", dirty.Select(l => $"{l.Model} ({l.Steps:N0} steps: {l.TensorsPerStep:0.##} tensors/step, +{l.MemoryGrowthBytes / 1e6:0.0} MB)"))}.");
            int stopped = Leaks.Count(l => l.Steps < Options.LeakSteps);
            if (stopped > 0)
                said.Add($"{stopped} of {Leaks.Count} leak checks stopped before {Options.LeakSteps:N0} steps at the {Options.LeakSeconds:0} s budget per model (fewest: {Leaks.Min(l => l.Steps):N0}).");
        }
        foreach (var f in Failures) said.Add($"{f.Model}: not compared ({f.Error.Split('\n')[0]}).");
        return said;
    }

    static string Ms(double ms) => ms.ToString(ms < 10 ? "0.000" : "0.0", CultureInfo.InvariantCulture);
}

/// <summary>
/// Times every parity case on both sides in one run: for each model and step (inference, training step, each as the
/// case's <see cref="StepRecipe"/> says upstream takes it),
/// warm-up on both sides, then rounds that alternate which side goes first; the C# clock includes freeing
/// each step's tensors, as Python frees them. Also measures the fp32 matmul and convolution peak and
/// runs each model's training step through <see cref="LeakCheck"/>.
/// </summary>
public static class ParityBenchmark
{
    /// <summary>The kernels whose throughput is the machine's limit (large enough to leave overhead out).</summary>
    public static IReadOnlyList<(string Kind, IReadOnlyDictionary<string, int> Size, double Flops)> PeakKernels { get; } =
    [
        ("matmul", new Dictionary<string, int> { ["n"] = 2048 }, 2.0 * 2048 * 2048 * 2048),
        ("convolution", new Dictionary<string, int> { ["batch"] = 32, ["channels"] = 128, ["height"] = 32, ["width"] = 32, ["kernel"] = 3 },
            2.0 * 32 * 128 * 32 * 32 * 128 * 3 * 3),
    ];

    public static ParityRun Run(IReadOnlyList<ParityCase> cases, ParityOptions options, Action<string>? say = null)
    {
        options.Validate();
        long started = Stopwatch.GetTimestamp();
        TorchRuntime.Initialize(options.Threads);
        var selected = Select(cases, options.Only ?? []);
        using var peer = PyTorchPeer.Start(options.Threads);
        say?.Invoke($"PyTorch {peer.TorchVersion} ({peer.Python}); {selected.Count} cases, {options.Threads} threads");

        var peaks = new List<KernelPeak>();
        foreach (var (kind, size, flops) in PeakKernels)
        {
            say?.Invoke($"peak: {kind}");
            peaks.Add(Peak(peer, kind, size, flops, options));
        }

        var rows = new List<ParityRow>();
        var leaks = new List<LeakRow>();
        var failures = new List<ParityFailure>();
        var functions = new List<FunctionCheck>();
        foreach (var c in selected)
        {
            try
            {
                if (options.Function && c.Check is not null)
                {
                    say?.Invoke($"{c.Key}: function check");
                    functions.Add(FunctionParity.Check(c, peer, options.Threads, options.Seed));
                }
                say?.Invoke($"{c.Key}: building both sides");
                torch.manual_seed(options.Seed);
                using var model = c.Build();
                var (pyParameters, pyShapes) = peer.Build(c, options.Seed, options.Threads);
                long parameters = model.Parameters;
                bool sameShapes = model.Shapes.SequenceEqual(pyShapes);
                if (parameters != pyParameters)
                    throw new InvalidOperationException($"parameter counts differ: C# {parameters:N0}, PyTorch {pyParameters:N0}; not the same architecture, so not timed");
                using var optimizer = c.Recipe.MakeOptimizer(model.Module.parameters());
                foreach (string step in new[] { "inference", "train" })
                {
                    say?.Invoke($"{c.Key}: timing {step}");
                    Action call = step == "inference" ? Inference(c, model) : TrainingStep(c, model, optimizer);
                    if (step == "inference") model.Module.eval(); else model.Module.train();
                    var (cs, py) = Interleave(call, n => peer.Time(step, 1, n), () => peer.Time(step, options.Warmup, 1), options);
                    rows.Add(Row(c, step, parameters, pyParameters, sameShapes, cs, py, options.Threads, peaks));
                }
                if (options.LeakSteps > 0)
                {
                    model.Module.train();
                    var step = TrainingStep(c, model, optimizer);
                    double perStep = rows[^1].CSharpMs / 1e3;
                    int steps = Math.Clamp((int)(options.LeakSeconds / perStep), 8, options.LeakSteps);
                    say?.Invoke($"{c.Key}: leak check over {steps:N0} training steps");
                    var report = LeakCheck.Run(c.Model, () => { using var scope = NewDisposeScope(); step(); }, steps);
                    leaks.Add(new LeakRow(c.Key, c.Model, report.Steps, report.TensorsPerStep, report.MemoryGrowthBytes,
                        report.SettledResident[0].Bytes, report.SettledResident[^1].Bytes, report.Clean,
                        report.ResidentBytesAfterStep[^1] - report.ResidentBytesAfterStep[0]));
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failures.Add(new ParityFailure(c.Key, c.Model, e.Message));
                say?.Invoke($"{c.Key}: not compared: {e.Message.Split('\n')[0]}");
            }
        }
        string blas = peer.TorchConfig.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("BLAS_INFO")) is { } line
            ? System.Text.RegularExpressions.Regex.Match(line, @"BLAS_INFO=([^,]+)").Groups[1].Value : "unknown";
        return new ParityRun(DateTime.UtcNow, MachineContext.Current(), peer.TorchVersion, blas, peer.Python, options, rows, peaks, leaks, failures,
            Stopwatch.GetElapsedTime(started).TotalSeconds, functions);
    }

    /// <summary>The cases whose key equals or starts with one of <paramref name="only"/> (all when empty); an
    /// unknown one is an error listing the keys.</summary>
    public static IReadOnlyList<ParityCase> Select(IReadOnlyList<ParityCase> cases, IReadOnlyList<string> only)
    {
        if (only.Count == 0) return cases;
        foreach (var o in only)
            if (!cases.Any(c => Matches(c.Key, o)))
                throw new ArgumentException($"no parity case '{o}'; cases: {string.Join(", ", cases.Select(c => c.Key))}");
        return cases.Where(c => only.Any(o => Matches(c.Key, o))).ToList();
    }

    static bool Matches(string key, string prefix) => key == prefix || key.StartsWith(prefix.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>The case's inference call as upstream makes it (<see cref="StepRecipe.InferenceStep"/>).</summary>
    static Action Inference(ParityCase c, ParityModel model) => () => c.Recipe.InferenceStep(model);

    /// <summary>The case's training step as upstream takes it (<see cref="StepRecipe.TrainingStep"/>).</summary>
    static Action TrainingStep(ParityCase c, ParityModel model, optim.Optimizer optimizer) => () => c.Recipe.TrainingStep(model, optimizer);

    /// <summary>Warm-up on both sides, then rounds in which each side takes its samples, the first side alternating.</summary>
    static (List<double> CSharp, List<double> PyTorch) Interleave(Action call, Func<int, double[]> pyRound, Func<double[]> pyWarmup, ParityOptions o)
    {
        long w0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < o.Warmup; i++) Timing.Scoped(call);
        double stepSeconds = Stopwatch.GetElapsedTime(w0).TotalSeconds / o.Warmup;
        int repeats = Math.Clamp((int)(o.SecondsPerRound / Math.Max(stepSeconds, 1e-6)), 1, o.Repeats);
        pyWarmup();
        Timing.SettleGarbageCollector();
        var cs = new List<double>();
        var py = new List<double>();
        for (int round = 0; round < o.Rounds; round++)
        {
            void CSharp()
            {
                Timing.Scoped(call); // one untimed step: the other side had the caches
                for (int r = 0; r < repeats; r++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    Timing.Scoped(call);
                    cs.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
                }
            }
            if (round % 2 == 0) { CSharp(); py.AddRange(pyRound(repeats)); }
            else { py.AddRange(pyRound(repeats)); CSharp(); }
        }
        return (cs, py);
    }

    static ParityRow Row(ParityCase c, string step, long parameters, long pyParameters, bool sameShapes, List<double> cs, List<double> py, int threads,
        IReadOnlyList<KernelPeak> peaks)
    {
        var (ratio, interval) = Intervals.RatioOfMedians(cs, py, Sampling.Interleaved) /* each round: both sides take the same number of samples, back to back */;
        var a = SampleStatistics.Of(cs);
        var b = SampleStatistics.Of(py);
        double? flops = step == "train" ? c.TrainingFlops : c.Flops;
        double? gflops = flops is double fl ? fl / a.Median / 1e9 : null;
        double? share = gflops is double g && c.Bound is string bound && peaks.FirstOrDefault(p => p.Kind == bound) is { } peak ? g / peak.CSharpGflops : null;
        return new ParityRow(c.Key, c.Document, c.Model, c.Size, step == "train" ? "training step" : "inference",
            parameters, pyParameters, sameShapes, a.Median * 1e3, a.Iqr * 1e3, b.Median * 1e3, b.Iqr * 1e3,
            ratio, interval.Low, interval.High, threads, cs.Count, flops, c.Bound, gflops, share);
    }

    static KernelPeak Peak(PyTorchPeer peer, string kind, IReadOnlyDictionary<string, int> size, double flops, ParityOptions o)
    {
        Tensor[] inputs = kind == "matmul"
            ? [randn(size["n"], size["n"]), randn(size["n"], size["n"])]
            : [randn(size["batch"], size["channels"], size["height"], size["width"]), randn(size["channels"], size["channels"], size["kernel"], size["kernel"])];
        try
        {
            Action call = kind == "matmul"
                ? () => { using var _ = no_grad(); inputs[0].mm(inputs[1]); }
                : () => { using var _ = no_grad(); nn.functional.conv2d(inputs[0], inputs[1], padding: [size["kernel"] / 2, size["kernel"] / 2]); };
            int repeats = Math.Max(3, o.Repeats);
            var (cs, py) = Interleave(call, n => peer.Peak(kind, size, o.Threads, 1, n), () => peer.Peak(kind, size, o.Threads, o.Warmup, 1),
                o with { Repeats = repeats, Rounds = 2, SecondsPerRound = 1e6 });
            var a = SampleStatistics.Of(cs);
            return new KernelPeak(kind, string.Join(", ", size.Select(kv => $"{kv.Key} {kv.Value}")), flops,
                flops / a.Median / 1e9, flops / a.Min / 1e9, flops / SampleStatistics.Of(py).Median / 1e9, o.Threads);
        }
        finally
        {
            foreach (var t in inputs) t.Dispose();
        }
    }
}

/// <summary>Where a parity run is stored in an output folder, written whole or not at all.</summary>
public static class ParityFiles
{
    public static string Folder(string outDir) => Path.Combine(outDir, "parity");
    public static string JsonPath(string outDir) => Path.Combine(Folder(outDir), "parity.json");

    public static void Write(string outDir, ParityRun run)
    {
        AtomicFile.WriteAllText(JsonPath(outDir), JsonSerializer.Serialize(run, Json.Options));
        foreach (var t in new[] { run.ParityTable(), run.FunctionTable(), run.PeakTable(), run.LeakTable() })
        {
            AtomicFile.WriteAllText(Path.Combine(Folder(outDir), t.Key + ".csv"), MeasurementViews.ToCsv(t));
            AtomicFile.WriteAllText(Path.Combine(Folder(outDir), t.Key + ".md"), Views.TableFormats.Markdown(t));
        }
    }

    /// <summary>The stored run, null when there is none; a damaged file is an error naming it.</summary>
    public static ParityRun? Read(string outDir)
    {
        string path = JsonPath(outDir);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<ParityRun>(File.ReadAllText(path), Json.Options)
                ?? throw new InvalidDataException($"parity run '{path}' is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"parity run '{path}' does not read as a parity run ({e.Message}); run `raccoon parity` again", e);
        }
    }
}
