using System.CommandLine;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Reporting;
using Raccoon.Research.Runtime;
using Spectre.Console;

namespace Raccoon.Research.Cli.Commands;

/// <summary>reproduce: runs the experiments behind the selected claims into a ledger and a report.</summary>
static class ReproduceCommand
{
    public static Command Create()
    {
        var only = new Option<string[]>("--only")
        {
            Description = "Claim IDs or prefixes to reproduce (R0, H4-01, ...); default: all",
            AllowMultipleArgumentsPerToken = true,
        };
        var profile = CommonOptions.ProfileOption();
        var outDir = CommonOptions.Out();
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed();
        var fresh = new Option<bool>("--fresh") { Description = "Recompute results even where this build stored them" };
        var keepTraining = new Option<bool>("--keep-training")
        {
            Description = "Keep the training phases' checkpoints (DIR/training/<build>/<experiment>/*.ckpt) once each result is stored, to export the trained models with 'raccoon export'",
        };
        var noNotebooks = new Option<bool>("--no-notebooks") { Description = "Skip running notebooks/ into DIR/notebooks/ after the ledger" };
        var device = CommonOptions.Device();
        var (shard, merge) = (ShardCommand.ShardOption(), ShardCommand.MergeOption());
        var (unit, units) = (UnitsCommand.UnitOption(), UnitsCommand.UnitsOption());
        var trainingDir = new Option<string?>("--training-dir")
        {
            Description = "Where training phases keep their resume files (DIR2/training/<build>/<experiment>/), instead of --out: one folder " +
                          "the tasks of a job array share, so the units --units trained resume finished in the shard that runs their experiment",
        };
        var plan = new Option<bool>("--plan")
        {
            Description = "Print every unit of the run with its estimated cost (a few training steps timed now x the steps the sizes plan), " +
                          "the total and the wall time on --nodes nodes of this machine's size; runs no experiment",
        };
        var nodes = new Option<string?>("--nodes") { Description = "With --plan: nodes of this machine's size the run is spread over (default 1)" };
        var reference = new Option<bool>("--reference")
        {
            Description = "Judge the rows of the experiments that have a committed reference result (results/reference/) from it, " +
                          "each row naming the reference run's date and commit, with this run's own verdict beside it",
        };
        var referenceDir = new Option<string?>("--reference-dir")
        {
            Description = "Where the reference results are: written by --profile reference as each experiment finishes, read by --reference (default: results/reference/ of the repository)",
        };
        var cmd = new Command("reproduce", "Measure the claims and write DIR/claims.json, DIR/claims.csv and DIR/report/index.html")
        {
            only, profile, outDir, threads, seed, fresh, keepTraining, noNotebooks, device, shard, merge, plan, nodes, reference, referenceDir, unit, units, trainingDir,
        };
        cmd.SetAction(parse => Cli.Guard(() =>
        {
            var options = new ReproductionOptions(
                parse.GetValue(only) ?? [],
                CommonOptions.ParseProfile(parse.GetValue(profile)!),
                parse.GetValue(outDir)!,
                CommonOptions.ParseThreads(parse.GetValue(threads)),
                parse.GetValue(seed),
                Reuse: !parse.GetValue(fresh),
                Shard: ShardCommand.ParseShard(parse.GetValue(shard)),
                KeepTraining: parse.GetValue(keepTraining),
                UseReference: parse.GetValue(reference),
                TrainingDir: parse.GetValue(trainingDir));
            if (options.UseReference && options.Profile == Raccoon.Research.Experiments.Profile.Reference)
                throw new UsageException("--reference judges rows from the committed reference results beside another run: give it with --profile quick, standard or full, not reference");
            if (options.Profile == Raccoon.Research.Experiments.Profile.Reference || options.UseReference)
                options = options with { ReferenceDir = parse.GetValue(referenceDir) ?? ReferenceResults.DefaultDirectory };
            else if (parse.GetValue(referenceDir) is not null)
                throw new UsageException("--reference-dir goes with --profile reference or --reference");
            try
            {
                ClaimCatalog.Select(options.Only);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            var unitNames = parse.GetValue(unit) ?? [];
            bool trainUnits = unitNames.Length > 0 || parse.GetValue(units);
            if (trainUnits)
            {
                if (unitNames.Length > 0 && parse.GetValue(units)) throw new UsageException("--unit names its units: give it without --units");
                if (unitNames.Length > 0 && options.Shard is not null) throw new UsageException("--unit names its units: a share of them is --units --shard K/N");
                if (parse.GetValue(plan)) throw new UsageException("--plan lists the units and runs none: give it without --unit or --units");
                if (parse.GetValue(merge) is { Length: > 0 }) throw new UsageException("--merge computes nothing: give it without --unit or --units");
                if (options.UseReference) throw new UsageException("--reference judges a ledger: units make none, give it to the reproduce that follows them");
            }
            if (options.TrainingDir is { } td)
            {
                if (parse.GetValue(merge) is { Length: > 0 }) throw new UsageException("--training-dir goes with a run that trains: --merge computes nothing");
                if (File.Exists(td)) throw new UsageException($"--training-dir '{td}' is a file, not a folder");
            }
            if (parse.GetValue(plan)) return Plan(options, ParseNodes(parse.GetValue(nodes)));
            if (parse.GetValue(nodes) is not null) throw new UsageException("--nodes goes with --plan");
            var mergeRun = ShardCommand.ParseMerge(parse.GetValue(merge), options,
                Given(parse, profile), Given(parse, seed), Given(parse, only));
            if (mergeRun is { } m) options = m.Options;
            var merged = mergeRun?.Dirs;
            options = options with { Device = CommonOptions.ParseDevice(parse.GetValue(device), options.Threads) };
            Console.Error.WriteLine($"reproduce: profile {options.Profile.ToString().ToLowerInvariant()}, seed {options.Seed}, {options.Threads} threads, on {TorchDevice.Name(options.Device)}{(options.Shard is { } sh ? $", shard {sh}" : "")}{(merged is null ? "" : $", merging {merged.Count} shard folders")}, into {Path.GetFullPath(options.OutDir)}");
            // The notebooks run after the ledger is written (they show it) and before the report (it links them).
            var notebooks = parse.GetValue(noNotebooks) || options.Shard is not null || trainUnits ? [] : RepositoryNotebooks();
            IReadOnlyList<NotebookOutcome> notebookOutcomes = [];
            int nnpackSaid = 0;
            var progress = new Progress<ExperimentProgress>(p =>
            {
                // Once, in place of the warning libtorch would print on every convolution (Runtime/Nnpack.cs).
                if (TorchRuntime.NnpackNote is { } note && Interlocked.Exchange(ref nnpackSaid, 1) == 0)
                    Console.Error.WriteLine($"reproduce: {note}.");
                Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {p.Experiment}: {p.Status}{(p.Fraction is double f && f is > 0 and < 1 ? $" ({f:P0})" : "")}");
            });
            Action<IReadOnlyList<LedgerRow>> afterLedger = _ =>
            {
                if (notebooks.Count > 0)
                    notebookOutcomes = NotebooksCommand.RunAll(notebooks, new NotebookSettings(Path.GetFullPath(options.OutDir),
                        options.Profile, options.Seed, options.Threads, NotebooksCommand.DefaultCellTimeout, StoredOnly: merged is not null,
                        Only: options.Only));
            };
            if (trainUnits) return UnitsCommand.Run(options, unitNames, progress);
            if (options.Shard is not null) return ShardCommand.RunShard(options, progress);
            var outcome = merged is not null
                ? Reproduction.Merge(options, merged, progress, afterLedger)
                : Reproduction.Run(options, progress, afterLedger: afterLedger);
            if (merged is not null && outcome.Failures.Count > 0)
            {
                // Nothing was written: a merge with a hole stops before the ledger and the notebooks.
                foreach (var f in outcome.Failures)
                    Console.Error.WriteLine($"reproduce: experiment '{f.Experiment}' not merged: {f.Error}");
                Console.Error.WriteLine($"reproduce: merge stopped before the ledger and the notebooks: {outcome.Failures.Count} " +
                    $"of the {ExperimentRegistry.For(ClaimCatalog.Select(options.Only)).Count} expected results missing ({string.Join(", ", outcome.Failures.Select(f => f.Experiment))})");
                return 1;
            }
            ClaimsCommand.Print(outcome.Ledger.Where(r => ClaimCatalog.Select(options.Only).Any(c => c.Id == r.Id)).ToList());
            Console.WriteLine($"ledger: {Path.Combine(options.OutDir, LedgerFiles.JsonName)}, {Path.Combine(options.OutDir, LedgerFiles.CsvName)}; report: {outcome.ReportPath}");
            // Timings beside other work are not from a quiet machine: say how busy it was (also in the report's run table).
            Console.WriteLine($"other processes while the experiments ran: {RunTable.OtherProcesses(outcome.Results)}");
            foreach (var f in outcome.Failures)
                Console.Error.WriteLine($"reproduce: experiment '{f.Experiment}' {(merged is null ? "crashed" : "not merged")}: {f.Error.Split('\n')[0]}");
            foreach (var n in notebookOutcomes.Where(n => !n.Succeeded))
                Console.Error.WriteLine($"reproduce: notebook {n.Describe()}");
            return outcome.Failures.Count == 0 && notebookOutcomes.All(n => n.Succeeded) ? 0 : 1;
        }));
        return cmd;
    }

    /// <summary>--nodes: a whole number of at least 1 (default 1), parsed here so "many" and 0 get one clear line.</summary>
    public static int ParseNodes(string? text)
    {
        if (text is null) return 1;
        if (!int.TryParse(text.Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n))
            throw new UsageException($"--nodes must be a whole number of at least 1, got '{text}'");
        if (n < 1) throw new UsageException($"--nodes must be at least 1, got {n}");
        return n;
    }

    /// <summary>reproduce --plan: prices every unit of the selected experiments on this machine and prints the plan; runs no experiment.</summary>
    static int Plan(ReproductionOptions options, int nodes)
    {
        TorchRuntime.Initialize(options.Threads);
        var experiments = ExperimentRegistry.For(ClaimCatalog.Select(options.Only));
        var units = Raccoon.Research.Planning.UnitCosts.For(experiments, options.Profile, options.Threads,
            e => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] plan: pricing {e}"));
        var machine = Raccoon.Research.Measurements.MachineContext.Current();
        var runPlan = Raccoon.Research.Planning.RunPlan.Of(options.Profile, nodes, Environment.ProcessorCount, units,
            $"measured steps timed {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {options.Threads} thread(s), {machine.Summary} (noisy where the machine is shared); " +
            "recorded seconds from experiment-costs.json (the development machine, 2 cores); " +
            $"a step whose memory, estimated from its sizes, is over half the memory available when it is probed is timed on a share of its batch and scaled",
            Raccoon.Research.Measurements.MachineContext.MemoryBytes());
        Console.Write(runPlan.Format());
        return 0;
    }

    /// <summary>Whether the option was given on the command line (not its default).</summary>
    static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>The notebooks of the repository the command runs in (notebooks/ under Raccoon.Research.sln), if any.</summary>
    static IReadOnlyList<string> RepositoryNotebooks()
    {
        string? root;
        try
        {
            root = NotebookSession.RepositoryRoot;
        }
        catch (InvalidOperationException)
        {
            return [];
        }
        string dir = Path.Combine(root, "notebooks");
        return Directory.Exists(dir) && Directory.EnumerateFiles(dir).Any(f => f.EndsWith(".ipynb") || f.EndsWith(".dib"))
            ? NotebooksCommand.Expand([dir]) : [];
    }
}
