using System.Diagnostics;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Experiments;

/// <summary>Runs an experiment, or reuses its stored result from this build, and checks what it returns.</summary>
public static class ExperimentRunner
{
    /// <summary>The one entry point for the command line, the tests and the notebooks.</summary>
    public static StoredResult Run(IExperiment experiment, ExperimentContext context, bool reuse = true)
    {
        var store = new ResultStore(context.OutDir);
        if (reuse && store.TryLoad(experiment.Name, context.Profile, context.Seed, m => context.Report(experiment.Name, m)) is { } cached)
            return cached;
        // Before the work, not after it: a folder that cannot take the result says so now.
        AtomicFile.EnsureWritableDirectory(store.Directory);
        TorchDevice.Use(context.Device, context.Threads);
        var clock = Stopwatch.StartNew();
        var result = experiment.Run(context);
        clock.Stop();
        Validate(experiment, result);
        var stored = new StoredResult(experiment.Name, context.Profile, context.Seed, ResultStore.LibraryVersion,
            context.Threads, DateTimeOffset.UtcNow, clock.Elapsed.TotalSeconds, result.Measurements,
            result.FiguresOrEmpty, result.TablesOrEmpty);
        store.Save(stored);
        return stored;
    }

    /// <summary>Runs by name with the default output folder (artifacts/ of the working directory's repository).</summary>
    public static StoredResult Run(string name, Profile profile = Profile.Standard, int seed = 1, string? outDir = null, int? threads = null) =>
        Run(ExperimentRegistry.Get(name), new ExperimentContext(profile, seed, threads ?? Environment.ProcessorCount, outDir ?? "artifacts"));

    static void Validate(IExperiment experiment, ExperimentResult result)
    {
        var missing = experiment.Claims.Except(result.Measurements.Select(m => m.ClaimId)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"experiment '{experiment.Name}' returned no measurement for {string.Join(", ", missing)}");
        var stray = result.Measurements.Select(m => m.ClaimId).Except(experiment.Claims).ToList();
        if (stray.Count > 0)
            throw new InvalidOperationException($"experiment '{experiment.Name}' measured claims it does not declare: {string.Join(", ", stray)}");
        foreach (var m in result.Measurements)
        {
            if (m.Value is double v && (double.IsNaN(v) || double.IsInfinity(v)))
                throw new InvalidOperationException($"experiment '{experiment.Name}' measured {v} for {m.ClaimId}");
            if (m.Value is null && m.Verdict is null)
                throw new InvalidOperationException($"experiment '{experiment.Name}' gave {m.ClaimId} neither a number nor a verdict");
            // Decide now, so a rule that cannot take this measurement fails the experiment, not the ledger.
            LedgerRow.From(ClaimCatalog.Get(m.ClaimId), m, experiment.Name, "check", 0, DateTimeOffset.UtcNow);
        }
    }
}
