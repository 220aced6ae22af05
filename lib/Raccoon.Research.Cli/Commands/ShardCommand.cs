using System.CommandLine;
using Raccoon.Research.Experiments;

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

    /// <summary>The shard folders to merge, or null when --merge was not given; checked here so a typo fails before any work.</summary>
    public static IReadOnlyList<string>? ParseMerge(string[]? dirs, ReproductionOptions options)
    {
        if (dirs is null || dirs.Length == 0) return null;
        if (options.Shard is not null) throw new UsageException("--shard and --merge do not go together: run the shards, then merge their folders");
        foreach (var d in dirs)
        {
            if (File.Exists(d)) throw new UsageException($"--merge '{d}' is a file, not a shard's output folder");
            if (!Directory.Exists(d)) throw new UsageException($"--merge '{d}': no such folder");
            if (!Directory.Exists(Path.Combine(d, "results")))
                throw new UsageException($"--merge '{d}' holds no results/ folder: is it the --out of a `reproduce --shard` run?");
        }
        return dirs;
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
