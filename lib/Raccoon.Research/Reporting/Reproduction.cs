using Raccoon.Research.Experiments;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Reporting.WriteUp;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Reporting;

public sealed record ReproductionOutcome(IReadOnlyList<LedgerRow> Ledger, IReadOnlyList<StoredResult> Results,
    IReadOnlyList<ExperimentFailure> Failures, string ReportPath);

/// <summary>
/// The main job: runs the experiments behind the selected claims and writes claims.json, claims.csv
/// and report/index.html. Rows of claims not selected keep the figures of the last run in the same
/// folder; claims no experiment answers are written as not-run, never left out.
/// </summary>
public static class Reproduction
{
    /// <summary>
    /// Gathers the stored results of the selected claims' experiments from the shards' output folders into
    /// <c>options.OutDir</c>/results and writes one ledger and report from them (through
    /// <see cref="Publish"/>), computing nothing. Only results of this build, profile and seed
    /// count. When an expected result is missing (no shard stored it), nothing is written: the outcome names
    /// each missing experiment and the shard that should have run it, its ledger is empty and
    /// <paramref name="afterLedger"/> never runs. A stored result that does not read is an error naming its file.
    /// </summary>
    public static ReproductionOutcome Merge(ReproductionOptions options, IReadOnlyList<string> shardDirs,
        IProgress<ExperimentProgress>? progress = null, Action<IReadOnlyList<LedgerRow>>? afterLedger = null)
    {
        var manifests = Sharding.ReadManifests(shardDirs);
        var selected = ClaimCatalog.Select(options.Only);
        var experiments = ExperimentRegistry.For(selected);
        int count = manifests[0].Manifest.Count;
        var owner = Sharding.Partition(experiments, count, options.Profile)
            .SelectMany((share, k) => share.Select(e => (e.Name, Shard: new Shard(k, count))))
            .ToDictionary(x => x.Name, x => x.Shard);
        var chosen = new List<(string Dir, StoredResult Result)>();
        var failures = new List<ExperimentFailure>();
        foreach (var experiment in experiments)
        {
            var found = new List<(string Dir, StoredResult Result)>();
            var otherBuilds = new List<string>();
            // A shard's thread count is its own (its node's cores): every thread count counts.
            foreach (var dir in shardDirs)
                foreach (var path in new ResultStore(dir).FilesFor(experiment.Name, options.Profile, options.Seed))
                {
                    string? problem = StoredResultCheck.Problem(path, experiment.Name, options.Profile, options.Seed, out var r);
                    if (problem is not null || r is null)
                        throw new InvalidDataException($"stored result '{path}' {problem}: rerun that shard (reproduce --shard ... --out {dir})");
                    if (r.LibraryVersion == ResultStore.LibraryVersion) found.Add((dir, r));
                    else otherBuilds.Add($"{path} (build {r.LibraryVersion})");
                }
            if (found.Count == 0)
            {
                var shard = owner[experiment.Name];
                bool given = manifests.Any(m => m.Manifest.Index == shard.Index);
                string why = otherBuilds.Count > 0
                    ? $"only results of other builds were found ({string.Join(", ", otherBuilds)}; this build is {ResultStore.LibraryVersion}): merge with the build that ran the shards, or rerun them"
                    : given
                        ? $"shard {shard} should have stored its {options.Profile.ToString().ToLowerInvariant()} seed-{options.Seed} result and did not: did it finish? (see its log; rerun it)"
                        : $"it is shard {shard}'s, and no folder of shard {shard} was given to --merge";
                failures.Add(new ExperimentFailure(experiment.Name, why));
                progress?.Report(new ExperimentProgress(experiment.Name, "missing: " + why, 1));
                continue;
            }
            // Two shards ran it (a rerun with another split): the newer result counts.
            chosen.Add(found.OrderByDescending(f => f.Result.FinishedAt).First());
        }
        // A merge with a hole makes nothing: no ledger, no report, no notebooks (which would compute the hole).
        if (failures.Count > 0) return new ReproductionOutcome([], [], failures, "");
        AtomicFile.EnsureWritableDirectory(options.OutDir);
        var target = new ResultStore(options.OutDir);
        foreach (var (fromDir, result) in chosen)
        {
            if (Path.GetFullPath(fromDir) != Path.GetFullPath(options.OutDir)) target.Save(result);
            progress?.Report(new ExperimentProgress(result.Experiment, $"merged from {fromDir}", 1));
        }
        return Publish(options, selected, chosen.Select(c => c.Result).ToList(), failures, afterLedger);
    }

    /// <param name="afterLedger">Runs once the ledger is written and before the report, so the report can
    /// link what it made (the command line runs the notebooks here).</param>
    public static ReproductionOutcome Run(ReproductionOptions options, IProgress<ExperimentProgress>? progress = null,
        CancellationToken cancel = default, Action<IReadOnlyList<LedgerRow>>? afterLedger = null)
    {
        using var culture = InvariantFormatting.Enter();
        var selected = ClaimCatalog.Select(options.Only);
        AtomicFile.EnsureWritableDirectory(options.OutDir);
        var results = new List<StoredResult>();
        var failures = new List<ExperimentFailure>();
        var experiments = ExperimentRegistry.For(selected);
        // The plateau tests of the claims the run serves: every claim of each experiment run (an experiment runs whole
        // and its stored result serves all its claims), so its training stops where its rows are judged converged.
        var plateaus = PlateauStop.Of(ClaimCatalog.All.Where(c => experiments.Any(e => e.Claims.Contains(c.Id))));
        var context = new ExperimentContext(options.Profile, options.Seed, options.Threads, options.OutDir, progress, cancel, options.Device,
            options.KeepTraining, plateaus, options.TrainingDir);
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
                var started = DateTimeOffset.UtcNow;
                var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                var stored = ExperimentRunner.Run(experiment, context, options.Reuse);
                results.Add(stored);
                if (options.Profile == Profile.Reference && options.ReferenceDir is { } referenceDir)
                {
                    // Committed as it finishes, so a sitting that ends later keeps what it finished.
                    bool computed = stored.FinishedAt >= started;
                    double? cpuSeconds = computed ? (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds : null;
                    var saved = ReferenceResults.Save(referenceDir, experiment, stored, cpuSeconds, MachineContext.Current());
                    progress?.Report(new ExperimentProgress(experiment.Name, $"reference result {ReferenceResults.PathFor(referenceDir, experiment.Name, options.Seed)} " +
                        $"({saved.Seconds:0} s{(cpuSeconds is double c ? $", {c:0} CPU s" : ", reused")}; {string.Join("; ", saved.Measurements.SelectMany(m => m.Traces ?? []).Select(t => $"{t.Name}: {t.StoppedBecause}").Distinct())})", 1));
                }
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
        using var culture = InvariantFormatting.Enter();
        var ledger = BuildLedger(selected, results, LedgerFiles.Read(options.OutDir), options.OutDir);
        if (options.UseReference)
            ledger = WithReference(ledger, selected, options.ReferenceDir ?? ReferenceResults.DefaultDirectory, options.Seed, Profiles(options.Profile));
        LedgerFiles.Write(options.OutDir, ledger);
        afterLedger?.Invoke(ledger);
        // This run's own results too: a row judged from the reference run points at a result not stored in this folder.
        var all = LoadAllResults(options.OutDir, ledger).Concat(results).DistinctBy(r => (r.Experiment, r.Profile, r.Seed, r.Threads)).ToList();
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
        using var culture = InvariantFormatting.Enter();
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

    static string Profiles(Profile p) => p.ToString().ToLowerInvariant();

    /// <summary>
    /// The ledger with the rows of every selected claim whose experiment has a committed reference result judged from
    /// it (its evidence opening "reference run, date, commit"), each with this run's own verdict beside it; the other
    /// rows as they are. A reference file that is damaged or of another experiment, seed or sizes is refused by name.
    /// </summary>
    /// <remarks>The seed, the claims and the run's profile are the ledger's own (<paramref name="fallbackSeed"/> where no row
    /// has a seed); a ledger that mixes seeds is refused.</remarks>
    public static IReadOnlyList<LedgerRow> WithReference(IReadOnlyList<LedgerRow> ledger, string referenceDir, int fallbackSeed)
    {
        var seeds = ledger.Select(r => r.Seed).OfType<int>().Distinct().ToList();
        if (seeds.Count > 1)
            throw new InvalidDataException($"the ledger mixes seeds {string.Join(", ", seeds)}: a reference result is of one seed, so give a ledger of one seed");
        string profile = ledger.Select(r => r.Profile).FirstOrDefault(p => p is not null) ?? "this";
        var claims = ledger.Select(r => ClaimCatalog.Get(r.Id)).ToList();
        return WithReference(ledger, claims, referenceDir, seeds.Count == 1 ? seeds[0] : fallbackSeed, profile);
    }

    /// <summary><see cref="WithReference(IReadOnlyList{LedgerRow}, string, int)"/> for the claims <paramref name="selected"/>
    /// of a run of <paramref name="seed"/> and <paramref name="runProfile"/>, as a reproduce run knows them.</summary>
    public static IReadOnlyList<LedgerRow> WithReference(IReadOnlyList<LedgerRow> ledger, IReadOnlyList<Claim> selected, string referenceDir, int seed, string runProfile)
    {
        var rows = ledger.ToList();
        var selectedIds = selected.Select(c => c.Id).ToHashSet();
        foreach (var experiment in ExperimentRegistry.For(selected))
        {
            if (ReferenceResults.Load(referenceDir, experiment, seed) is not { } reference) continue;
            foreach (var m in reference.Measurements.Where(m => selectedIds.Contains(m.ClaimId)))
            {
                int i = rows.FindIndex(r => r.Id == m.ClaimId);
                var own = rows[i];
                var judged = LedgerRow.From(ClaimCatalog.Get(m.ClaimId), m, reference.Experiment, "reference", reference.Seed, reference.FinishedAt,
                    reference.Threads, reference.Machine.Optimized);
                rows[i] = judged with
                {
                    Evidence = reference.Evidence(judged.Evidence),
                    Beside = own.Verdict == Verdict.NotRun ? null
                        : new OtherRunVerdict($"{own.Profile ?? runProfile} run", own.Verdict, own.Measured, own.Reason, own.Converged),
                };
            }
        }
        return rows;
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
