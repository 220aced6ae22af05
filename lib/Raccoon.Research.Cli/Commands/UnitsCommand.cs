using System.CommandLine;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;

namespace Raccoon.Research.Cli.Commands;

/// <summary>
/// reproduce's --unit EXPERIMENT/UNIT... and --units [--shard K/N]: training units run alone, each to its end, into --out's
/// training folder, where they are kept. A plain reproduce in the same folder (same build, profile, seed and threads) then
/// resumes every finished unit and makes the ledger, so a job array training into one shared folder spreads an experiment's
/// models over its nodes instead of giving the whole experiment to one.
/// </summary>
static class UnitsCommand
{
    public static Option<string[]> UnitOption() => new("--unit")
    {
        Description = "EXPERIMENT/UNIT: train only these training units (as --plan lists them), each to its end, into DIR/training/; " +
                      "then a reproduce with the same --out, profile, seed and threads resumes them finished and writes the ledger",
        AllowMultipleArgumentsPerToken = true,
    };

    public static Option<bool> UnitsOption() => new("--units")
    {
        Description = "Train every training unit of the selected experiments (with --shard K/N: units K, K + N, K + 2N, ... of them) " +
                      "into DIR/training/ and stop; experiments that run as one unit are left to the reproduce that follows",
    };

    /// <summary>The units named by --unit, or those of the selected experiments (a share of them with --shard) for --units;
    /// a name that is not EXPERIMENT/UNIT, an unknown experiment or an unknown unit is a usage error naming it.</summary>
    public static IReadOnlyList<(IExperiment Experiment, string Unit)> Select(ReproductionOptions options, IReadOnlyList<string> named)
    {
        if (named.Count > 0)
        {
            var picked = new List<(IExperiment, string)>();
            foreach (var name in named)
            {
                int slash = name.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0 || slash == name.Length - 1)
                    throw new UsageException($"--unit '{name}' is not EXPERIMENT/UNIT (e.g. path-flow-training/lorenz-upstream.training-seed1; reproduce --plan lists them)");
                IExperiment experiment;
                try
                {
                    experiment = ExperimentRegistry.Get(name[..slash]);
                }
                catch (KeyNotFoundException e)
                {
                    throw new UsageException($"--unit '{name}': {e.Message}");
                }
                var units = experiment.TrainingUnits(options.Profile);
                string unit = name[(slash + 1)..];
                if (!units.Contains(unit))
                    throw new UsageException(units.Count == 0
                        ? $"--unit '{name}': experiment '{experiment.Name}' runs as one unit, it has no training units to run alone"
                        : $"--unit '{name}': experiment '{experiment.Name}' has no unit '{unit}' at {options.Profile.ToString().ToLowerInvariant()}; its units: {string.Join(", ", units)}");
                picked.Add((experiment, unit));
            }
            return picked;
        }
        var all = ExperimentRegistry.For(ClaimCatalog.Select(options.Only))
            .SelectMany(e => e.TrainingUnits(options.Profile).Select(u => (e, u))).ToList();
        return options.Shard is { } shard ? all.Where((_, i) => i % shard.Count == shard.Index).ToList() : all;
    }

    /// <summary>Trains the selected units one after another; a line per unit with its wall and CPU seconds and its file.</summary>
    public static int Run(ReproductionOptions options, IReadOnlyList<string> named, IProgress<ExperimentProgress> progress)
    {
        var units = Select(options, named);
        Console.Error.WriteLine($"reproduce: {(units.Count == 0 ? "no training unit to run (the selected experiments run as one unit each, or there are more shards than units)" : $"training {units.Count} unit(s): {string.Join(", ", units.Select(u => $"{u.Experiment.Name}/{u.Unit}"))}")}");
        var context = new ExperimentContext(options.Profile, options.Seed, options.Threads, options.OutDir, progress, Device: options.Device, TrainingRoot: options.TrainingDir);
        foreach (var (experiment, unit) in units)
        {
            var done = ExperimentRunner.TrainUnit(experiment, context, unit);
            Console.WriteLine($"{done.Experiment}/{done.Unit}: {done.Seconds:F1} s wall, {done.CpuSeconds:F1} CPU s -> {done.File}");
        }
        string only = options.Only.Count == 0 ? "" : $" --only {string.Join(' ', options.Only)}";
        Console.WriteLine($"units trained into {Path.GetFullPath(options.TrainingDir ?? options.OutDir)}; once every unit is there, make the ledger with: " +
            $"reproduce{only} --profile {options.Profile.ToString().ToLowerInvariant()} --seed {options.Seed} --threads {options.Threads} " +
            (options.TrainingDir is { } t ? $"--training-dir {t} --out DIR" : $"--out {options.OutDir}"));
        return 0;
    }
}
