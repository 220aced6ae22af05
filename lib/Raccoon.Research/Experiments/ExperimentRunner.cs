using System.Diagnostics;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Experiments;

/// <summary>Runs an experiment, or reuses its stored result from this build, and checks what it returns.</summary>
public static class ExperimentRunner
{
    /// <summary>The one entry point for the command line, the tests and the notebooks.</summary>
    public static StoredResult Run(IExperiment experiment, ExperimentContext context, bool reuse = true)
    {
        using var culture = InvariantFormatting.Enter(); // its figures, tables and findings read the same in any caller's culture
        var store = new ResultStore(context.OutDir);
        if (reuse && store.TryLoad(experiment.Name, context.Profile, context.Seed, context.Threads, m => context.Report(experiment.Name, m)) is { } cached)
            return cached;
        // Before the work, not after it: a folder that cannot take the result says so now.
        AtomicFile.EnsureWritableDirectory(store.Directory);
        string training = ExperimentContext.TrainingDirectory(context.TrainingFolder, experiment.Name);
        if (!reuse && Directory.Exists(training)) Directory.Delete(training, recursive: true); // --fresh: no phase resumes either
        TorchDevice.Use(context.Device, context.Threads);
        // Called without the reproduction layer (a notebook, a test): its training still stops at its own claims' plateau
        // tests, so a result stored under this key is the one reproduce would store.
        if (context.Plateaus is null) context = context with { Plateaus = PlateauStop.Of(experiment.Claims.Select(ClaimCatalog.Get)) };
        var load = MachineLoad.Now();
        var clock = Stopwatch.StartNew();
        var result = RunOnceMoreAfterScalarRace(experiment, context);
        clock.Stop();
        double? otherCores = load is null ? null : MachineLoad.Now() is { } after ? load.OtherCoresUntil(after) : null;
        Validate(experiment, result, context.Profile);
        var stored = new StoredResult(experiment.Name, context.Profile, context.Seed, ResultStore.LibraryVersion,
            context.Threads, DateTimeOffset.UtcNow, clock.Elapsed.TotalSeconds, result.Measurements,
            result.FiguresOrEmpty, result.TablesOrEmpty, MachineContext.LibraryOptimized, otherCores);
        store.Save(stored);
        // The result is stored whole: the phases' checkpoints have served (and so have their folders, once empty),
        // unless they were asked for, to export the trained models.
        if (context.KeepTraining) return stored;
        if (Directory.Exists(training)) Directory.Delete(training, recursive: true);
        for (var dir = Directory.GetParent(training); dir is not null && dir.FullName != Path.GetFullPath(context.TrainingFolder); dir = dir.Parent)
        {
            if (!dir.Exists || dir.EnumerateFileSystemInfos().Any()) break;
            dir.Delete();
        }
        return stored;
    }

    /// <summary>
    /// Trains one training unit of <paramref name="experiment"/> alone (<see cref="IExperiment.TrainUnit"/>): to its end, into its
    /// resume file under <see cref="ExperimentContext.TrainingDirectory"/>, which is kept (it is the unit's result). A later
    /// <see cref="Run(IExperiment, ExperimentContext, bool)"/> in the same output folder, build, profile, seed and threads
    /// resumes it finished, so units trained on many nodes into one shared folder make the experiment's result there. A unit
    /// the experiment does not have at this profile is an error listing the ones it has.
    /// </summary>
    public static UnitOutcome TrainUnit(IExperiment experiment, ExperimentContext context, string unit)
    {
        using var culture = InvariantFormatting.Enter();
        experiment.UnitIndex(context.Profile, unit);
        AtomicFile.EnsureWritableDirectory(ExperimentContext.TrainingDirectory(context.TrainingFolder, experiment.Name));
        TorchDevice.Use(context.Device, context.Threads);
        // The plateau tests Run would give it: its experiment's claims'.
        if (context.Plateaus is null) context = context with { Plateaus = PlateauStop.Of(experiment.Claims.Select(ClaimCatalog.Get)) };
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        try
        {
            experiment.TrainUnit(context, unit);
        }
        catch (Exception e) when (IsScalarRace(e))
        {
            context.Report(experiment.Name, $"libtorch read a freed Scalar ({e.Message.Split('\n')[0].Trim()}), TorchSharp's finalizer race: training unit {unit} once more, from its checkpoint");
            experiment.TrainUnit(context, unit);
        }
        return new UnitOutcome(experiment.Name, unit, clock.Elapsed.TotalSeconds,
            (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, context.TrainingResume(experiment.Name, unit).Path);
    }

    /// <summary>
    /// TorchSharp 0.107's own optimizer steps (Adam, AdamW) hand libtorch a Scalar made by an implicit conversion and keep
    /// no reference to it during the native call (the open TorchSharp pull requests #1434 and #1496 dispose such Scalars):
    /// where a garbage collection finalizes it meanwhile, libtorch reads a freed Scalar and throws from Scalar.h ("Expected
    /// false to be true", seen once in three standard runs, in addcdiv_ during 000's training). That failure is not the
    /// experiment's: it runs once more, its training phases resuming from their checkpoints (a resumed run gives the
    /// uninterrupted figures; tests of every trainer), and says so. Any other failure, or a second one, is the experiment's.
    /// </summary>
    public static ExperimentResult RunOnceMoreAfterScalarRace(IExperiment experiment, ExperimentContext context)
    {
        try
        {
            return experiment.Run(context);
        }
        catch (Exception e) when (IsScalarRace(e))
        {
            context.Report(experiment.Name, $"libtorch read a freed Scalar ({e.Message.Split('\n')[0].Trim()}), TorchSharp's finalizer race: running it once more, from its checkpoints");
            return experiment.Run(context);
        }
    }

    /// <summary>libtorch's failure on a freed Scalar: its check in c10/core/Scalar.h, which a Scalar it was given whole never fails.</summary>
    public static bool IsScalarRace(Exception e) => e is System.Runtime.InteropServices.ExternalException && e.Message.Contains("c10/core/Scalar.h", StringComparison.Ordinal);

    /// <summary>Runs by name with the default output folder (artifacts/ of the working directory's repository).</summary>
    public static StoredResult Run(string name, Profile profile = Profile.Standard, int seed = 1, string? outDir = null, int? threads = null) =>
        Run(ExperimentRegistry.Get(name), new ExperimentContext(profile, seed, threads ?? Environment.ProcessorCount, outDir ?? "artifacts"));

    /// <summary>
    /// Refuses a result that cannot become a verdict, naming the experiment and the claim: a declared claim
    /// without a measurement, a stray claim, a figure that is NaN, infinite or (for ratio, value and count
    /// rules) zero or negative where a measurement was expected, a bad interval, builds without one upstream
    /// build, a figure or table without a unique stable name. A broken measurement is an error of the
    /// experiment, never an input to a rule.
    /// </summary>
    public static void Validate(IExperiment experiment, ExperimentResult result, Profile profile = Profile.Standard)
    {
        using var culture = InvariantFormatting.Enter();
        string name = experiment.Name;
        var missing = experiment.Claims.Except(result.Measurements.Select(m => m.ClaimId)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"experiment '{name}' returned no measurement for {string.Join(", ", missing)}");
        var stray = result.Measurements.Select(m => m.ClaimId).Except(experiment.Claims).ToList();
        if (stray.Count > 0)
            throw new InvalidOperationException($"experiment '{name}' measured claims it does not declare: {string.Join(", ", stray)}");
        var twice = result.Measurements.GroupBy(m => m.ClaimId).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new InvalidOperationException($"experiment '{name}' measured {twice.Key} twice");
        foreach (var m in result.Measurements)
        {
            var claim = ClaimCatalog.Get(m.ClaimId);
            if (string.IsNullOrWhiteSpace(m.Measured))
                throw new InvalidOperationException($"experiment '{name}' gave {m.ClaimId} no measured text");
            CheckFigure(name, claim, "measurement", m.Value, m.Interval, m.Figures, m.NotTestable is not null || m.Builds is not null || m.Runs is { Count: > 0 });
            foreach (var b in m.Builds ?? [])
                CheckFigure(name, claim, $"build '{b.Build}'", b.Value, b.Interval, b.Figures, m.Figures is { Count: > 0 });
            // Decide now, so a rule that cannot take this measurement fails the experiment, not the ledger.
            try
            {
                LedgerRow.From(claim, m, name, profile.ToString().ToLowerInvariant(), 0, DateTimeOffset.UtcNow);
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"experiment '{name}' gave {m.ClaimId} a measurement its rule cannot judge: {e.Message}", e);
            }
        }
        CheckNames(name, "figure", result.FiguresOrEmpty.Select(f => (f.Key, f.Title)));
        CheckNames(name, "table", result.TablesOrEmpty.Select(t => (t.Key, t.Title)));
    }

    static void CheckFigure(string experiment, Claim claim, string what, double? value, MeasuredInterval? interval,
        IReadOnlyList<Quantity>? figures, bool mayBeEmpty)
    {
        string where = $"experiment '{experiment}' measured {claim.Id} ({what})";
        if (value is null && figures is not { Count: > 0 } && !mayBeEmpty)
            throw new InvalidOperationException($"{where}: no figure at all");
        if (value is double v)
        {
            if (!double.IsFinite(v))
                throw new InvalidOperationException($"{where} as {v}: the measurement returned nothing");
            if (interval is not null)
            {
                try { interval.Validate(v); }
                catch (ArgumentException e) { throw new InvalidOperationException($"{where}: {e.Message}", e); }
            }
        }
        else if (interval is not null)
            throw new InvalidOperationException($"{where}: an interval without a figure");
        var dup = (figures ?? []).GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidOperationException($"{where}: two figures named '{dup.Key}'");
        foreach (var f in figures ?? [])
        {
            if (string.IsNullOrWhiteSpace(f.Name)) throw new InvalidOperationException($"{where}: a figure without a name");
            if (!double.IsFinite(f.Value)) throw new InvalidOperationException($"{where}: figure '{f.Name}' is {f.Value}: the measurement returned nothing");
            if (f.Interval is { } i)
            {
                try { i.Validate(f.Value); }
                catch (ArgumentException e) { throw new InvalidOperationException($"{where}: figure '{f.Name}': {e.Message}", e); }
            }
        }
    }

    static void CheckNames(string experiment, string kind, IEnumerable<(string? Key, string Title)> items)
    {
        var list = items.ToList();
        var unnamed = list.FirstOrDefault(i => string.IsNullOrWhiteSpace(i.Key));
        if (unnamed != default)
            throw new InvalidOperationException($"experiment '{experiment}' returned the {kind} '{unnamed.Title}' without a stable name: give it one with .Named(\"...\"), so notebooks reach it by name, not by position");
        var dup = list.GroupBy(i => i.Key).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new InvalidOperationException($"experiment '{experiment}' returned two {kind}s named '{dup.Key}'");
    }
}

/// <summary>A training unit trained alone: its experiment and name, the wall and CPU seconds it took in this process (a unit
/// resumed at its end takes next to none), and its resume file, which holds its result.</summary>
public sealed record UnitOutcome(string Experiment, string Unit, double Seconds, double CpuSeconds, string File);
