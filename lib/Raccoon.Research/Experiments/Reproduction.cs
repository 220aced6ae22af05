using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Reporting;
using Raccoon.Research.Reporting.WriteUp;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Experiments;

public sealed record ReproductionOptions(
    IReadOnlyList<string> Only, Profile Profile, string OutDir, int Threads, int Seed, bool Reuse = true,
    ComputeDevice Device = ComputeDevice.Cpu, Shard? Shard = null, bool KeepTraining = false);

/// <summary>An experiment that threw: its name and the error, for the command line to report.</summary>
public sealed record ExperimentFailure(string Experiment, string Error);

public sealed record ReproductionOutcome(IReadOnlyList<LedgerRow> Ledger, IReadOnlyList<StoredResult> Results,
    IReadOnlyList<ExperimentFailure> Failures, string ReportPath);

/// <summary>
/// The main job: runs the experiments behind the selected claims and writes claims.json, claims.csv
/// and report/index.html. Rows of claims not selected keep the figures of the last run in the same
/// folder; claims no experiment answers are written as not-run, never left out.
/// </summary>
public static class Reproduction
{
    /// <param name="afterLedger">Runs once the ledger is written and before the report, so the report can
    /// link what it made (the command line runs the notebooks here).</param>
    public static ReproductionOutcome Run(ReproductionOptions options, IProgress<ExperimentProgress>? progress = null,
        CancellationToken cancel = default, Action<IReadOnlyList<LedgerRow>>? afterLedger = null)
    {
        var selected = ClaimCatalog.Select(options.Only);
        AtomicFile.EnsureWritableDirectory(options.OutDir);
        var context = new ExperimentContext(options.Profile, options.Seed, options.Threads, options.OutDir, progress, cancel, options.Device, options.KeepTraining);

        var results = new List<StoredResult>();
        var failures = new List<ExperimentFailure>();
        var experiments = ExperimentRegistry.For(selected);
        if (options.Shard is { } shard)
        {
            experiments = Sharding.Select(experiments, shard, options.Profile);
            // Before the first experiment: a shard that dies still tells the merge what it was to store.
            Sharding.WriteManifest(options, experiments);
        }
        foreach (var experiment in experiments)
        {
            cancel.ThrowIfCancellationRequested();
            progress?.Report(new ExperimentProgress(experiment.Name, "running", 0));
            try
            {
                results.Add(ExperimentRunner.Run(experiment, context, options.Reuse));
                progress?.Report(new ExperimentProgress(experiment.Name, "done", 1));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add(new ExperimentFailure(experiment.Name, e.ToString()));
                progress?.Report(new ExperimentProgress(experiment.Name, "failed: " + e.Message, 1));
            }
        }

        // A shard writes only its stored results; `reproduce --merge` makes the one ledger and report.
        if (options.Shard is not null) return new ReproductionOutcome(BuildLedger(selected, results, null), results, failures, "");
        return Publish(options, selected, results, failures, afterLedger, progress);
    }

    /// <summary>Writes the ledger of the selected claims from <paramref name="results"/> (other rows kept), then the report.</summary>
    public static ReproductionOutcome Publish(ReproductionOptions options, IReadOnlyList<Claim> selected, IReadOnlyList<StoredResult> results,
        IReadOnlyList<ExperimentFailure> failures, Action<IReadOnlyList<LedgerRow>>? afterLedger = null,
        IProgress<ExperimentProgress>? progress = null)
    {
        var ledger = BuildLedger(selected, results, LedgerFiles.Read(options.OutDir), options.OutDir);
        LedgerFiles.Write(options.OutDir, ledger);
        afterLedger?.Invoke(ledger);
        var all = LoadAllResults(options.OutDir, ledger);
        TorchRuntime.Initialize(options.Threads);
        var machine = MachineContext.Current();
        string report = HtmlReport.Write(options.OutDir, ledger, all, failures, machine);
        var writeUp = PaperWriteUp.Write(options.OutDir, ledger, all, failures, machine, CommandLine(options));
        progress?.Report(new ExperimentProgress("write-up", writeUp.Warning ?? $"{writeUp.Html}, {writeUp.Pdf} ({writeUp.Pages} pages); {writeUp.Figures.Count} figure files, {writeUp.Tables.Count} table files under report/", 1));
        return new ReproductionOutcome(ledger, results, failures, report);
    }

    /// <summary>Writes report/index.html again from the folder's ledger and stored results (after a parity run
    /// added its table); false when the folder has no ledger yet.</summary>
    public static bool RewriteReport(string outDir, int threads)
    {
        var ledger = LedgerFiles.Read(outDir);
        if (ledger is null) return false;
        TorchRuntime.Initialize(threads);
        HtmlReport.Write(outDir, ledger, LoadAllResults(outDir, ledger), [], MachineContext.Current());
        return true;
    }

    /// <summary>The command that reproduces this run, for the write-up's methods section.</summary>
    public static string CommandLine(ReproductionOptions o) =>
        "dotnet run --project lib/Raccoon.Research.Cli -- reproduce" + (o.Only.Count > 0 ? " --only " + string.Join(' ', o.Only) : "") +
        $" --profile {o.Profile.ToString().ToLowerInvariant()} --seed {o.Seed} --threads {o.Threads} --out {o.OutDir}";

    /// <summary>Every claim once, in catalog order: this run's measurement judged, else the previous ledger's row judged
    /// again from its stored result (see <see cref="LedgerAssembly"/>), else not-run.</summary>
    public static IReadOnlyList<LedgerRow> BuildLedger(IReadOnlyList<Claim> selected, IReadOnlyList<StoredResult> results,
        IReadOnlyList<LedgerRow>? previous, string? outDir = null)
    {
        var selectedIds = selected.Select(c => c.Id).ToHashSet();
        var measured = new Dictionary<string, LedgerRow>();
        foreach (var r in results)
            foreach (var m in r.Measurements.Where(m => selectedIds.Contains(m.ClaimId)))
                measured[m.ClaimId] = LedgerRow.From(ClaimCatalog.Get(m.ClaimId), m, r.Experiment,
                    r.Profile.ToString().ToLowerInvariant(), r.Seed, r.FinishedAt, r.Threads, r.Optimized);
        var store = outDir is null ? null : new ResultStore(outDir);
        Measurement? Stored(LedgerRow old) =>
            store is null || old.Experiment is null || old.Profile is null || old.Seed is null || old.Threads is null ? null
            : store.TryLoadAnyVersion(old.Experiment, Enum.Parse<Profile>(old.Profile, ignoreCase: true), old.Seed.Value, old.Threads.Value)?
                .Measurements.FirstOrDefault(m => m.ClaimId == old.Id);
        return LedgerAssembly.Assemble(selected, measured, previous, Stored);
    }

    /// <summary>The stored results behind the ledger's rows, for the report's figures and tables.</summary>
    static IReadOnlyList<StoredResult> LoadAllResults(string outDir, IReadOnlyList<LedgerRow> ledger)
    {
        var store = new ResultStore(outDir);
        return ledger.Where(r => r.Experiment is not null && r.Profile is not null && r.Seed is not null && r.Threads is not null)
            .Select(r => (r.Experiment!, Enum.Parse<Profile>(r.Profile!, ignoreCase: true), r.Seed!.Value, r.Threads!.Value))
            .Distinct()
            .Select(k => store.TryLoadAnyVersion(k.Item1, k.Item2, k.Item3, k.Item4))
            .OfType<StoredResult>()
            .ToList();
    }
}
