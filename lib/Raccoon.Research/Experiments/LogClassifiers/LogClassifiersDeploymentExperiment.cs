using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Models.LogClassifiers;
using Raccoon.Research.Training;
using TorchSharp;
using static Raccoon.Research.Experiments.LogClassifiers.LogClassifiersBuilds;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.LogClassifiers;

/// <summary>
/// R0-11: what serving each build costs. Each build is saved as a checkpoint; a fresh process runs the
/// command line's <c>predict</c> on it (cold start: from the operating system's start of that process to its
/// first printed prediction; first inference; its peak resident memory), several times; in this process,
/// single-request latency (batch 1) gives the CPU throughput one request at a time. GPU figures need a GPU.
/// </summary>
public sealed partial class LogClassifiersDeploymentExperiment : IExperiment
{
    public string Name => "log-classifiers-deployment";
    public string Title => "Raccoon builds: cold start, first inference, model file, single-request throughput";
    public IReadOnlyList<string> Claims => ["R0-11"];

    /// <summary>Sizes per profile: cold launches of the command per build, and repeats of the single-request timing.</summary>
    public sealed record Sizes(int Launches, int SingleRequestRepeats);

    public static ProfileSizes<Sizes> Profiles { get; } = new(
        Quick: new(Launches: 1, SingleRequestRepeats: 20),
        Standard: new(Launches: 3, SingleRequestRepeats: 50),
        Full: new(Launches: 5, SingleRequestRepeats: 200));

    sealed record Row(RaccoonBuild Build, long FileBytes, IReadOnlyList<double> ColdStartMs, IReadOnlyList<double> FirstInferenceMs,
        IReadOnlyList<double> PeakResidentMb, TimingResult Single)
    {
        public double ColdStart => SampleStatistics.Of(ColdStartMs).Median;
        public double FirstInference => SampleStatistics.Of(FirstInferenceMs).Median;
        public double? PeakMb => PeakResidentMb.Count == 0 ? null : SampleStatistics.Of(PeakResidentMb).Median;
        public double RequestsPerSecond => 1 / Single.Median;
    }

    public ExperimentResult Run(ExperimentContext context)
    {
        int launches = Profiles.For(context.Profile).Launches;
        string cli = CliPath();
        string dir = Path.Combine(context.OutDir, "models");
        Directory.CreateDirectory(dir);
        var rows = new List<Row>();
        foreach (var (build, i) in All.Select((b, i) => (b, i)))
        {
            context.Report(Name, $"{Label(build)}: save, start {launches} process(es)", i / 3.0);
            rows.Add(Measure(build, context, cli, dir, launches));
        }
        var o = rows.Single(r => r.Build == RaccoonBuild.DocumentedOriginal);
        var u = rows.Single(r => r.Build == RaccoonBuild.UpstreamOriginal);
        var a = rows.Single(r => r.Build == RaccoonBuild.Alternative);
        double ratio = o.ColdStart / a.ColdStart;
        string gpu = cuda.is_available() ? "a CUDA device is visible but this experiment serves on CPU only" : "no GPU on this machine";
        string Peak(Row r) => r.PeakMb is double p ? $"{p:0} MB" : "n/a";
        var measured = $"Fresh `predict` process to its first prediction (median of {launches}, {context.Threads} thread(s)): Original as documented {o.ColdStart:0} ms, " +
            $"upstream Original {u.ColdStart:0} ms, Alternative {a.ColdStart:0} ms: ratio {Fmt(ratio)}x (claimed 500 vs 50 ms, 10x). First inference (batch 1) {o.FirstInference:0.0} / {u.FirstInference:0.0} / {a.FirstInference:0.0} ms " +
            $"(claimed 100 vs 2 ms). Checkpoint file {o.FileBytes / 1e6:0.000} MB / {u.FileBytes / 1e6:0.000} MB / {a.FileBytes / 1e3:0.0} KB (claimed 2.8 MB vs 109 KB). " +
            $"Peak resident memory of the process {Peak(o)} / {Peak(u)} / {Peak(a)} (claimed footprint 10 vs 1.75 MB). Single-request CPU throughput {o.RequestsPerSecond:0} / {u.RequestsPerSecond:0} / {a.RequestsPerSecond:0} req/s " +
            $"(claimed 10 vs 500). GPU throughput (claimed 100 vs 1000 req/s): not testable here ({gpu}).";
        double upRatio = u.ColdStart / a.ColdStart;
        // With two launches or more, each ratio carries its bootstrap interval over the launches.
        MeasuredInterval? Spread(Row x) => launches >= 2 ? Intervals.RatioOfMedians(x.ColdStartMs, a.ColdStartMs, Sampling.Independent).Interval : null;
        var m = Measurement.PerBuild("R0-11", measured,
            [
                new BuildMeasurement("upstream Original", $"{Fmt(upRatio)}x{(Spread(u) is { } iu ? " " + iu : "")}", upRatio, Interval: Spread(u), Upstream: true),
                new BuildMeasurement("documented Original", $"{Fmt(ratio)}x{(Spread(o) is { } io ? " " + io : "")}", ratio, Interval: Spread(o)),
            ],
            evidence: "child processes running `raccoon predict` on saved checkpoints; Timing.Measure of batch-1 inference",
            reason: "The number is the cold-start ratio (the claim's figure), the upstream Original's as headline. A cold start is dominated by the runtime and libtorch loading, which both builds pay alike; " +
                    $"a ratio within the rule's no-effect band is no speedup. The GPU half of the claim is not testable here: {gpu}.");

        var table = new Table("Deployment on this CPU", ["metric", "Original (as documented)", "Original (upstream)", "Alternative", "document: Original", "document: Alternative"],
        [
            ["cold start, ms (process start to first prediction)", o.ColdStart.ToString("0", CultureInfo.InvariantCulture), u.ColdStart.ToString("0", CultureInfo.InvariantCulture), a.ColdStart.ToString("0", CultureInfo.InvariantCulture), "500", "50"],
            ["first inference, ms", o.FirstInference.ToString("0.00", CultureInfo.InvariantCulture), u.FirstInference.ToString("0.00", CultureInfo.InvariantCulture), a.FirstInference.ToString("0.00", CultureInfo.InvariantCulture), "100", "2"],
            ["checkpoint file, bytes", Count(o.FileBytes), Count(u.FileBytes), Count(a.FileBytes), "2.8 MB", "109 KB"],
            ["peak resident memory of predict, MB", Peak(o), Peak(u), Peak(a), "10 (footprint)", "1.75 (footprint)"],
            ["single-request latency, ms (median)", Fmt(o.Single.Median * 1e3), Fmt(u.Single.Median * 1e3), Fmt(a.Single.Median * 1e3), "-", "-"],
            ["CPU throughput, requests/s (one at a time)", o.RequestsPerSecond.ToString("0", CultureInfo.InvariantCulture), u.RequestsPerSecond.ToString("0", CultureInfo.InvariantCulture), a.RequestsPerSecond.ToString("0", CultureInfo.InvariantCulture), "10", "500"],
            ["GPU throughput, requests/s", "not testable here", "not testable here", "not testable here", "100", "1000"],
        ]);
        var figure = Charts.Bars("Cold start of a fresh predict process, per launch (ms)", "ms", false,
            rows.Select(r => Short(r.Build)).ToList(),
            Enumerable.Range(0, launches).Select(k => ($"launch {k + 1}", (IReadOnlyList<double>)rows.Select(r => r.ColdStartMs[k]).ToList())).ToArray());
        double fastest = rows.Min(r => r.ColdStart), slowest = rows.Max(r => r.ColdStart);
        var finding = $"A cold start is dominated by starting the .NET runtime and loading libtorch, which every build pays alike: the three builds start in {fastest:0}-{slowest:0} ms " +
            $"(the slowest {100 * (slowest / fastest - 1):0}% above the fastest; the document: 500 vs 50 ms). Peak memory of the serving process: {Peak(o)} / {Peak(u)} / {Peak(a)}. " +
            $"Checkpoint sizes follow the parameter counts: {o.FileBytes / 1e6:0.000} / {u.FileBytes / 1e6:0.000} / {a.FileBytes / 1e6:0.000} MB.";
        return new ExperimentResult([m with { Kind = FigureKind.Timing }], [figure.Named("cold-start")],
            [table.Named("deployment"), Timing.Table("Single-request (batch 1) inference latency", rows.Select(r => r.Single)).Named("single-request"),
             Findings.Of(("R0-11", finding))]);
    }

    static Row Measure(RaccoonBuild build, ExperimentContext context, string cli, string dir, int launches)
    {
        var model = Create(build, context.Seed);
        try
        {
            string path = Path.Combine(dir, $"{Kind(build)}.ckpt");
            Checkpoint.Save(path, model.Module, Meta(model));
            long bytes = new FileInfo(path).Length;
            var cold = new List<double>();
            var first = new List<double>();
            var peak = new List<double>();
            for (int k = 0; k < launches; k++)
            {
                var (c, f, p) = Launch(cli, path, context.Threads);
                cold.Add(c); first.Add(f);
                if (p is double mb) peak.Add(mb);
            }
            model.Module.eval();
            var (tokens, _) = Batch32(context.Seed + 400, batch: 1);
            var single = Timing.Measure($"{Short(build)} single request", () => { using var g = no_grad(); model.Logits(tokens); }, TimingFor(context) with { Repeats = Profiles.For(context.Profile).SingleRequestRepeats });
            return new Row(build, bytes, cold, first, peak, single);
        }
        finally
        {
            model.Module.Dispose();
        }
    }

    /// <summary>Runs <c>predict</c> in a fresh process and reads what it reports on standard error.</summary>
    static (double ColdMs, double FirstMs, double? PeakMb) Launch(string cli, string checkpoint, int threads)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { cli, "predict", "--model", checkpoint, "--text", "ERROR", "--threads", threads.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(arg);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start `dotnet` for the predict process");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`predict` on {checkpoint} did not finish within 2 minutes");
        }
        string err = stderr.Result;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"`predict` on {checkpoint} exited with {process.ExitCode}: {err.Trim()}");
        double Read(Regex pattern, string what) => pattern.Match(err) is { Success: true } m
            ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidDataException($"`predict` did not report its {what}; it wrote: {err.Trim()}");
        double? peak = PeakPattern().Match(err) is { Success: true } p ? double.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        return (Read(ColdPattern(), "cold start"), Read(FirstPattern(), "first inference"), peak);
    }

    [GeneratedRegex(@"cold start: ([0-9.]+) ms")] private static partial Regex ColdPattern();
    [GeneratedRegex(@"first inference: ([0-9.]+) ms")] private static partial Regex FirstPattern();
    [GeneratedRegex(@"peak resident memory: ([0-9.]+) MB")] private static partial Regex PeakPattern();

    /// <summary>The command-line tool: this process when it is the tool, else its build output in the repository.</summary>
    static string CliPath()
    {
        string? entry = Assembly.GetEntryAssembly()?.Location;
        if (entry is not null && Path.GetFileName(entry) == "raccoon.dll") return entry;
        string built = Path.Combine(RepositoryFolder.Root, "lib", "Raccoon.Research.Cli", "bin", "raccoon.dll");
        return File.Exists(built) ? built
            : throw new FileNotFoundException($"R0-11 starts the command-line tool in a fresh process, but {built} does not exist: run `dotnet build` first", built);
    }
}
