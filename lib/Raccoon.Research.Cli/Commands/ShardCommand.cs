using System.CommandLine;
using Raccoon.Research.Experiments;
using Raccoon.Research.Reporting;

namespace Raccoon.Research.Cli.Commands;

/// <summary>reproduce's --shard K/N and --merge DIR...: one job array's share of the experiments, and the one ledger made from all shares.</summary>
static class ShardCommand
{
    public static Option<string?> ShardOption() => new("--shard")
    {
        Description = "K/N: run only shard K (from 0) of N, a deterministic cost-balanced share of the selected experiments; " +
                      "writes only their stored results into DIR/results (no ledger, report or notebooks; see --merge)",
    };

    public static Option<string[]> MergeOption() => new("--merge")
    {
        Description = "Shard output folders: build one ledger and report in --out from their stored results, computing nothing",
        AllowMultipleArgumentsPerToken = true,
    };

    public static Shard? ParseShard(string? text)
    {
        if (text is null) return null;
        try
        {
            return Shard.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>
    /// The shard folders to merge and the options of their run, or null when --merge was not given. The profile,
    /// seed and claim selection come from the shards' shard.json; one given on the command line that differs is
    /// refused, naming both. Checked here so a typo or a mix of runs fails before any work.
    /// </summary>
    public static (IReadOnlyList<string> Dirs, ReproductionOptions Options)? ParseMerge(string[]? dirs, ReproductionOptions options,
        bool profileGiven, bool seedGiven, bool onlyGiven)
    {
        if (dirs is null || dirs.Length == 0) return null;
        if (options.Shard is not null) throw new UsageException("--shard and --merge do not go together: run the shards, then merge their folders");
        IReadOnlyList<(string Dir, ShardManifest Manifest)> manifests;
        try
        {
            manifests = Sharding.ReadManifests(dirs);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        var (dir, run) = manifests[0];
        string Name(Profile p) => p.ToString().ToLowerInvariant();
        const string Why = "leave it out: a merge takes the profile, seed and claims from the shards";
        if (profileGiven && options.Profile != run.Profile)
            throw new UsageException($"--merge: --profile {Name(options.Profile)} was given, but the shards ran {Name(run.Profile)} (shard.json in '{dir}'); {Why}");
        if (seedGiven && options.Seed != run.Seed)
            throw new UsageException($"--merge: --seed {options.Seed} was given, but the shards ran seed {run.Seed} (shard.json in '{dir}'); {Why}");
        if (onlyGiven && !Raccoon.Research.Ledger.ClaimCatalog.Select(options.Only).Select(c => c.Id).SequenceEqual(run.Claims))
            throw new UsageException($"--merge: --only {string.Join(' ', options.Only)} was given, but the shards ran " +
                $"{(run.Only.Count == 0 ? "every claim" : string.Join(' ', run.Only))} (shard.json in '{dir}'); {Why}");
        return (dirs, options with { Profile = run.Profile, Seed = run.Seed, Only = run.Only });
    }

    /// <summary>Runs one shard: its experiments' stored results, and a line per experiment; exit 1 when one crashed.</summary>
    public static int RunShard(ReproductionOptions options, IProgress<ExperimentProgress> progress)
    {
        var experiments = Sharding.Select(ExperimentRegistry.For(Raccoon.Research.Ledger.ClaimCatalog.Select(options.Only)), options.Shard!, options.Profile);
        Console.Error.WriteLine($"reproduce: shard {options.Shard} runs {(experiments.Count == 0 ? "nothing (more shards than experiments)" : string.Join(", ", experiments.Select(e => e.Name)))}");
        var outcome = Reproduction.Run(options, progress);
        var store = new ResultStore(options.OutDir);
        foreach (var r in outcome.Results)
            Console.WriteLine($"{r.Experiment}: {r.Seconds:F1} s -> {store.PathFor(r.Experiment, r.Profile, r.Seed, r.Threads)}");
        foreach (var f in outcome.Failures)
            Console.Error.WriteLine($"reproduce: experiment '{f.Experiment}' crashed: {f.Error.Split('\n')[0]}");
        Console.WriteLine($"shard {options.Shard}: {outcome.Results.Count} results in {store.Directory}; merge with: reproduce --merge DIR... --out OUT");
        return outcome.Failures.Count == 0 ? 0 : 1;
    }
}
