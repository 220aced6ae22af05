using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Raccoon.Research.Experiments;
using Raccoon.Research.IO;
using Raccoon.Research.Notebooks;

namespace Raccoon.Research.Cli.Commands;

/// <summary>What every notebook of a batch runs with; reaches the notebooks as RACCOON_* variables.</summary>
sealed record NotebookSettings(string OutDir, Profile Profile, int Seed, int Threads, TimeSpan CellTimeout);

/// <summary>One notebook's outcome: where its executed copy is, and where it stopped if it failed.</summary>
sealed record NotebookOutcome(string Notebook, string Executed, int? FailedCell, string? Error, double Seconds)
{
    public bool Succeeded => Error is null;

    public string Describe() => Succeeded
        ? $"{Path.GetFileName(Notebook)}: ran in {Seconds:F1} s -> {Executed}"
        : FailedCell is int cell
            ? $"{Path.GetFileName(Notebook)} failed at cell {cell}: {Error}"
            : $"{Path.GetFileName(Notebook)} failed: {Error}";
}

/// <summary>
/// notebooks run: executes .ipynb and .dib notebooks headlessly with the C# kernel's semantics, each in
/// its own process (the hidden `notebooks execute`), since a cell's compiled assembly is never unloaded.
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
        var run = new Command("run", "Execute notebooks headlessly into DIR/notebooks/ (.ipynb with outputs)")
        {
            paths, outDir, profile, threads, seed, timeout, device,
        };
        run.SetAction(parse => Cli.Guard(() =>
        {
            var settings = new NotebookSettings(Path.GetFullPath(parse.GetValue(outDir)!),
                CommonOptions.ParseProfile(parse.GetValue(profile)!), parse.GetValue(seed),
                CommonOptions.ParseThreads(parse.GetValue(threads)), ParseTimeout(parse.GetValue(timeout)));
            CommonOptions.ParseDevice(parse.GetValue(device), settings.Threads); // RACCOON_DEVICE for the notebooks' processes
            var given = parse.GetValue(paths) is { Length: > 0 } p ? p : ["notebooks"];
            var outcomes = RunAll(Expand(given), settings);
            return outcomes.All(o => o.Succeeded) ? 0 : 1;
        }));

        var notebook = new Argument<string>("NOTEBOOK");
        var to = new Option<string>("--to") { Required = true };
        var status = new Option<string>("--status") { Required = true };
        var executeTimeout = CellTimeout();
        var execute = new Command("execute", "Run one notebook in this process (used by `notebooks run`)")
        {
            notebook, to, status, executeTimeout,
        };
        execute.Hidden = true;
        execute.SetAction(parse => Execute(parse.GetValue(notebook)!, parse.GetValue(to)!, parse.GetValue(status)!,
            ParseTimeout(parse.GetValue(executeTimeout))));

        return new Command("notebooks", "Run the Polyglot notebooks headlessly") { run, execute };
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
        string executed = NotebookRunner.ExecutedPath(settings.OutDir, notebook);
        string status = Path.Combine(Path.GetTempPath(), $"raccoon-notebook-{Guid.NewGuid():N}.json");
        string self = Environment.ProcessPath ?? "dotnet";
        var psi = new ProcessStartInfo(self) { WorkingDirectory = Path.GetDirectoryName(notebook)!, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(NotebooksCommand).Assembly.Location);
        foreach (var a in new[] { "notebooks", "execute", notebook, "--to", executed, "--status", status,
                     "--cell-timeout", settings.CellTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        psi.Environment[NotebookSession.ProfileVariable] = settings.Profile.ToString().ToLowerInvariant();
        psi.Environment[NotebookSession.SeedVariable] = settings.Seed.ToString(CultureInfo.InvariantCulture);
        psi.Environment[NotebookSession.ThreadsVariable] = settings.Threads.ToString(CultureInfo.InvariantCulture);
        psi.Environment[NotebookSession.OutVariable] = settings.OutDir;
        var clock = Stopwatch.StartNew();
        try
        {
            using var child = Process.Start(psi) ?? throw new IOException($"could not start {self}");
            child.WaitForExit();
            clock.Stop();
            if (File.Exists(status))
            {
                var s = JsonSerializer.Deserialize<ChildStatus>(File.ReadAllText(status), Ledger.Json.Options)!;
                return new NotebookOutcome(notebook, executed, s.Cell, s.Error, clock.Elapsed.TotalSeconds);
            }
            return new NotebookOutcome(notebook, executed, null, $"the notebook's process exited with code {child.ExitCode} before reporting", clock.Elapsed.TotalSeconds);
        }
        finally
        {
            if (File.Exists(status)) File.Delete(status);
        }
    }

    sealed record ChildStatus(int? Cell, string? Error);

    /// <summary>The child: runs one notebook in this process, writes its executed copy and a status for the parent.</summary>
    static int Execute(string notebook, string to, string status, TimeSpan cellTimeout)
    {
        ChildStatus result;
        try
        {
            string full = Path.GetFullPath(notebook);
            Environment.CurrentDirectory = Path.GetDirectoryName(full)!; // the kernel's working directory is the notebook's folder
            var run = NotebookRunner.Run(full, cellTimeout, Console.Error);
            NotebookRunner.WriteExecuted(to, run.Executed);
            result = new ChildStatus(run.Failure?.Cell, run.Failure?.Error);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            result = new ChildStatus(null, e.Message);
        }
        AtomicFile.WriteAllText(status, JsonSerializer.Serialize(result, Ledger.Json.Options));
        Console.Out.Flush();
        // A timed-out cell may still be running on another thread: end the process, not just Main.
        Environment.Exit(result.Error is null ? 0 : 1);
        return 0;
    }
}
