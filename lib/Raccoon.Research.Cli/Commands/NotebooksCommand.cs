using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Raccoon.Research.Experiments;
using Raccoon.Research.IO;
using Raccoon.Research.Notebooks;
using Raccoon.Research.Reporting;

namespace Raccoon.Research.Cli.Commands;

/// <summary>What every notebook of a batch runs with; reaches the notebooks as RACCOON_* variables.</summary>
/// <param name="StoredOnly">The notebooks only read stored results (RACCOON_STORED_ONLY=1): a merge computes nothing.</param>
/// <param name="Only">The claims the run selected (`reproduce --only`, RACCOON_ONLY); empty for all. The notebooks then
/// compute nothing, and show an experiment neither selected nor stored as not run.</param>
sealed record NotebookSettings(string OutDir, Profile Profile, int Seed, int Threads, TimeSpan CellTimeout, bool StoredOnly = false,
    IReadOnlyList<string>? Only = null);

/// <summary>One notebook's outcome: where its executed copy is, and where it failed if it did.</summary>
sealed record NotebookOutcome(string Notebook, string Executed, CellFailure? Failure, int FailedCells, string? Error, double Seconds)
{
    public bool Succeeded => Failure is null && Error is null;

    public string Describe() => Failure is not null
        ? $"{Path.GetFileName(Notebook)} failed at cell {Failure.Cell} ({Failure.FirstLine}): {Failure.Error}" +
          (FailedCells > 1 ? $" ({FailedCells} cells failed in all; the kernel runs every cell)" : "") + $" -> {Executed}"
        : Error is not null
            ? $"{Path.GetFileName(Notebook)} failed: {Error}"
            : $"{Path.GetFileName(Notebook)}: ran in {Seconds:F1} s -> {Executed}, {NotebookPage.PathFor(Executed)}";
}

/// <summary>
/// notebooks run: executes .ipynb and .dib notebooks in the real .NET Interactive kernel (dotnet-repl,
/// pinned in .config/dotnet-tools.json), one kernel process per notebook, since a cell's compiled
/// assembly is never unloaded.
/// </summary>
static class NotebooksCommand
{
    const string DefaultTimeoutSeconds = "1200";
    public static readonly TimeSpan DefaultCellTimeout = TimeSpan.FromSeconds(1200);

    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Notebooks (.ipynb, .dib) or folders of them; default: notebooks/",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var outDir = CommonOptions.Out();
        var profile = CommonOptions.ProfileOption();
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed();
        var timeout = CellTimeout();
        var device = CommonOptions.Device();
        var storedOnly = new Option<bool>("--stored-only")
        {
            Description = "Only read the results stored in DIR/results, never compute one (as after `reproduce --merge`); a missing one fails its cell",
        };
        var run = new Command("run", "Execute notebooks in the real .NET Interactive kernel into DIR/notebooks/ (.ipynb with outputs, and each as a standalone .html page)")
        {
            paths, outDir, profile, threads, seed, timeout, device, storedOnly,
        };
        run.SetAction(parse => Cli.Guard(() =>
        {
            var settings = new NotebookSettings(Path.GetFullPath(parse.GetValue(outDir)!),
                CommonOptions.ParseProfile(parse.GetValue(profile)!), parse.GetValue(seed),
                CommonOptions.ParseThreads(parse.GetValue(threads)), ParseTimeout(parse.GetValue(timeout)), parse.GetValue(storedOnly));
            CommonOptions.ParseDevice(parse.GetValue(device), settings.Threads); // RACCOON_DEVICE for the notebooks' processes
            var given = parse.GetValue(paths) is { Length: > 0 } p ? p : ["notebooks"];
            var outcomes = RunAll(Expand(given), settings);
            return outcomes.All(o => o.Succeeded) ? 0 : 1;
        }));

        return new Command("notebooks", "Run the Polyglot notebooks in the real kernel") { run };
    }

    static Option<string> CellTimeout() => new("--cell-timeout")
    {
        Description = $"Seconds a cell may run before it is stopped and reported (default {DefaultTimeoutSeconds})",
        DefaultValueFactory = _ => DefaultTimeoutSeconds,
    };

    static TimeSpan ParseTimeout(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 && s < int.MaxValue / 1000.0
            ? TimeSpan.FromSeconds(s)
            : throw new UsageException($"--cell-timeout must be a positive number of seconds, got '{text}'");

    /// <summary>The notebooks named by files and folders, in name order within a folder.</summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> paths)
    {
        var list = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
            {
                var found = Directory.EnumerateFiles(p).Where(IsNotebook).Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0) throw new UsageException($"no .ipynb or .dib notebook in '{p}'");
                list.AddRange(found);
            }
            else if (File.Exists(p))
                list.Add(IsNotebook(p) ? p : throw new UsageException($"'{p}' is not a notebook: expected .ipynb or .dib"));
            else
                throw new UsageException($"no notebook or folder '{p}'");
        }
        var clash = list.GroupBy(n => Path.GetFileNameWithoutExtension(n)).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new UsageException($"{string.Join(" and ", clash)} would both be written as {clash.Key}.ipynb");
        return list.Select(Path.GetFullPath).ToList();
    }

    static bool IsNotebook(string path) => Path.GetExtension(path).ToLowerInvariant() is ".ipynb" or ".dib";

    /// <summary>Runs each notebook in a process of its own, in order; reports each and returns every outcome.</summary>
    public static IReadOnlyList<NotebookOutcome> RunAll(IReadOnlyList<string> notebooks, NotebookSettings settings)
    {
        AtomicFile.EnsureWritableDirectory(Path.Combine(settings.OutDir, "notebooks"));
        Console.Error.WriteLine($"notebooks: {notebooks.Count} to run, profile {settings.Profile.ToString().ToLowerInvariant()}, seed {settings.Seed}, {settings.Threads} threads, cell limit {settings.CellTimeout.TotalSeconds:0.#} s, into {Path.Combine(settings.OutDir, "notebooks")}");
        var outcomes = new List<NotebookOutcome>();
        foreach (var nb in notebooks)
        {
            var outcome = RunInChild(nb, settings);
            outcomes.Add(outcome);
            (outcome.Succeeded ? Console.Out : Console.Error).WriteLine("notebooks: " + outcome.Describe());
        }
        return outcomes;
    }

    static NotebookOutcome RunInChild(string notebook, NotebookSettings settings)
    {
        string executed = RealKernel.ExecutedPath(settings.OutDir, notebook);
        var environment = new Dictionary<string, string>
        {
            [NotebookSession.ProfileVariable] = settings.Profile.ToString().ToLowerInvariant(),
            [NotebookSession.SeedVariable] = settings.Seed.ToString(CultureInfo.InvariantCulture),
            [NotebookSession.ThreadsVariable] = settings.Threads.ToString(CultureInfo.InvariantCulture),
            [NotebookSession.OutVariable] = settings.OutDir,
            [NotebookSession.StoredOnlyVariable] = settings.StoredOnly ? "1" : "",
            [NotebookSession.OnlyVariable] = string.Join(" ", settings.Only ?? []),
        };
        var clock = Stopwatch.StartNew();
        try
        {
            var run = RealKernel.Run(notebook, ToolRoot(), settings.CellTimeout, environment, Console.Error);
            RealKernel.WriteExecuted(executed, run.Executed);
            // The same notebook as a standalone page beside it, readable without a kernel; the report links it.
            NotebookPage.Write(NotebookPage.PathFor(executed), run.Executed, Path.GetFileName(notebook),
                string.Create(CultureInfo.InvariantCulture, $"Executed {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in the .NET Interactive kernel ({RealKernel.Tool}) at profile {settings.Profile.ToString().ToLowerInvariant()}, seed {settings.Seed}, {settings.Threads} threads{(run.Succeeded ? "" : "; some cells failed, their errors are shown")}. The notebook itself: {Path.GetFileName(executed)}."));
            return new NotebookOutcome(notebook, executed, run.Failure, run.FailedCells, run.ProcessError, clock.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            return new NotebookOutcome(notebook, executed, null, 0, e.Message, clock.Elapsed.TotalSeconds);
        }
    }

    /// <summary>The repository this tool was built from (its bin/ is lib/Raccoon.Research.Cli/bin/): where
    /// the tool manifest that pins the kernel is.</summary>
    static string ToolRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, ".config", "dotnet-tools.json"))) return dir.FullName;
        return NotebookSession.RepositoryRoot;
    }
}
