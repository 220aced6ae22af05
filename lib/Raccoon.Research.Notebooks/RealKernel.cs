using System.Diagnostics;
using System.Text;
using Raccoon.Research.IO;

namespace Raccoon.Research.Notebooks;

/// <summary>Where a notebook failed: the 1-based cell number (as VS Code counts cells, markdown included),
/// the cell's first line and the error.</summary>
public sealed record CellFailure(int Cell, string FirstLine, string Error)
{
    public override string ToString() => $"cell {Cell} ({FirstLine}): {Error}";
}

/// <summary>One notebook executed by the kernel: the notebook with its outputs, the first failing cell
/// (null when none failed), how many cells failed, or a failure of the kernel's process itself.</summary>
public sealed record NotebookRun(NotebookDocument Executed, CellFailure? Failure, int FailedCells, string? ProcessError)
{
    public bool Succeeded => Failure is null && ProcessError is null;
}

/// <summary>
/// Executes a notebook in the real .NET Interactive kernel: dotnet-repl (pinned in the repository's
/// .config/dotnet-tools.json; it hosts the same kernel libraries as the dotnet-interactive tool VS Code
/// runs), one process per notebook, `dotnet-repl --run NB --exit-after-run --output-path OUT`, with the
/// notebook's folder as the kernel's working directory. The kernel writes every output; this class only adds what
/// VS Code's saved form has and dotnet-repl's does not (cell ids, VS Code cell metadata, execution counts),
/// finds the first cell whose outputs hold an error, and enforces a time limit per cell by following the
/// kernel's log, which records each cell as it starts.
/// </summary>
public static class RealKernel
{
    public const string Tool = "dotnet-repl";

    /// <summary>How long the kernel may take to start before its first cell (it takes about 4 to 15 s).</summary>
    public static readonly TimeSpan StartupLimit = TimeSpan.FromMinutes(3);

    /// <summary>Runs <paramref name="notebookPath"/>; <paramref name="repositoryRoot"/> is where the tool
    /// manifest is, <paramref name="environment"/> is added to the kernel's environment.</summary>
    public static NotebookRun Run(string notebookPath, string repositoryRoot, TimeSpan cellTimeout,
        IReadOnlyDictionary<string, string> environment, TextWriter? log = null)
    {
        string path = Path.GetFullPath(notebookPath);
        var source = NotebookDocument.Load(path);
        source.AssignIds();
        foreach (var c in source.Cells)
        {
            c.Outputs.Clear();
            c.ExecutionCount = null;
        }

        string work = Path.Combine(Path.GetTempPath(), "raccoon-kernel-" + Guid.NewGuid().ToString("N")[..12]);
        string logDir = Path.Combine(work, "log");
        Directory.CreateDirectory(logDir);
        string output = Path.Combine(work, "executed.ipynb");
        try
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Path.GetDirectoryName(path)!, // as in VS Code: the kernel runs in the notebook's folder
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in new[] { ToolAssembly(repositoryRoot), "--run", path, "--exit-after-run", "--output-path", output, "--log-path", logDir })
                psi.ArgumentList.Add(a);
            foreach (var (k, v) in environment) psi.Environment[k] = v;
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";

            using var process = Process.Start(psi) ?? throw new IOException("could not start dotnet");
            var stdout = new Tail();
            var stderr = new Tail();
            process.OutputDataReceived += (_, e) => stdout.Add(e.Data);
            process.ErrorDataReceived += (_, e) => stderr.Add(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            var watch = new CellWatch(logDir);
            var clock = Stopwatch.StartNew();
            int started = 0;
            TimeSpan startedAt = TimeSpan.Zero;
            CellFailure? timedOut = null;
            string? startFailure = null;
            while (!process.WaitForExit(500))
            {
                int now = watch.CellsStarted();
                if (now != started)
                {
                    started = now;
                    startedAt = clock.Elapsed;
                    int shown = Math.Min(started, source.Cells.Count);
                    log?.WriteLine($"[{DateTime.Now:HH:mm:ss}] {Path.GetFileName(path)}: cell {shown}/{source.Cells.Count}");
                }
                if (started == 0 && clock.Elapsed > StartupLimit)
                {
                    startFailure = $"the kernel ran no cell within {StartupLimit.TotalSeconds:0} s of starting";
                    break;
                }
                if (started > 0 && clock.Elapsed - startedAt > cellTimeout)
                {
                    int cell = Math.Min(started, source.Cells.Count);
                    timedOut = new CellFailure(cell, FirstLine(source.Cells[cell - 1].Source),
                        $"the cell ran past its time limit of {cellTimeout.TotalSeconds:0.###} s");
                    break;
                }
            }
            if (timedOut is not null || startFailure is not null)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit();
                if (timedOut is not null)
                {
                    // The kernel was stopped, so it wrote nothing: the limit's error goes into the cell itself.
                    source.Cells[timedOut.Cell - 1].Outputs.Add(new ErrorOutput("TimeoutException", timedOut.Error, []));
                    return new NotebookRun(source, timedOut, 1, null);
                }
                return new NotebookRun(source, null, 0, startFailure + Describe(stdout, stderr));
            }
            process.WaitForExit(); // drains the redirected streams

            if (!File.Exists(output))
                return new NotebookRun(source, null, 0,
                    $"{Tool} exited with code {process.ExitCode} and wrote no notebook" + Describe(stdout, stderr));
            var executed = IpynbFormat.Read(File.ReadAllText(output));
            if (executed.Cells.Count != source.Cells.Count)
                return new NotebookRun(source, null, 0,
                    $"{Tool} wrote {executed.Cells.Count} cells for the notebook's {source.Cells.Count}" + Describe(stdout, stderr));

            int count = 0, failed = 0;
            CellFailure? first = null;
            for (int i = 0; i < source.Cells.Count; i++)
            {
                var cell = source.Cells[i];
                if (cell.Kind != CellKind.Code) continue;
                cell.ExecutionCount = ++count;
                cell.Outputs.AddRange(executed.Cells[i].Outputs);
                var error = cell.Outputs.OfType<ErrorOutput>().FirstOrDefault();
                if (error is null) continue;
                failed++;
                first ??= new CellFailure(i + 1, FirstLine(cell.Source), FirstLine(error.Value));
            }
            string? processError = first is null && process.ExitCode != 0
                ? $"{Tool} exited with code {process.ExitCode} though no cell holds an error" + Describe(stdout, stderr)
                : null;
            return new NotebookRun(source, first, failed, processError);
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// The dotnet-repl assembly the repository's manifest pins, as `dotnet tool restore` put it in the NuGet
    /// package folder. Run directly (not `dotnet tool run`, which looks for the manifest from the working
    /// directory) so that the kernel's working directory can be the notebook's folder wherever it is;
    /// dotnet-repl's own --working-dir leaves the process's current directory where it started.
    /// </summary>
    public static string ToolAssembly(string repositoryRoot) => ToolAssembly(repositoryRoot, Tool);

    /// <summary>The .NET Interactive kernel tool as a Jupyter kernel (`dotnet-interactive jupyter`), pinned beside dotnet-repl.</summary>
    public const string JupyterTool = "microsoft.dotnet-interactive";

    /// <summary>The entry assembly of the tool package <paramref name="package"/> at the version the repository's manifest pins,
    /// as `dotnet tool restore` put it in the NuGet package folder (the entry point named in the package's DotnetToolSettings.xml).</summary>
    public static string ToolAssembly(string repositoryRoot, string package)
    {
        string manifest = Path.Combine(repositoryRoot, ".config", "dotnet-tools.json");
        if (!File.Exists(manifest)) throw new IOException($"no tool manifest at {manifest}: the kernel is pinned there");
        string version = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))?["tools"]?[package]?["version"]?.GetValue<string>()
            ?? throw new InvalidDataException($"{manifest} pins no {package}");
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string tools = Path.Combine(packages, package.ToLowerInvariant(), version, "tools");
        string? settings = Directory.Exists(tools)
            ? Directory.EnumerateFiles(tools, "DotnetToolSettings.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).LastOrDefault()
            : null;
        if (settings is null)
            throw new IOException($"{package} {version} is not restored (no {tools}): run `dotnet tool restore` at {repositoryRoot} (the build does it)");
        string entry = System.Xml.Linq.XDocument.Load(settings).Descendants("Command").Select(c => (string?)c.Attribute("EntryPoint")).FirstOrDefault(e => e is not null)
            ?? throw new InvalidDataException($"{settings} names no entry point");
        string dll = Path.Combine(Path.GetDirectoryName(settings)!, entry);
        return File.Exists(dll) ? dll : throw new IOException($"{package} {version}: its entry point {dll} is missing; run `dotnet tool restore` at {repositoryRoot}");
    }

    /// <summary>DIR/notebooks/NAME.ipynb: where the executed copy of <paramref name="notebookPath"/> goes.</summary>
    public static string ExecutedPath(string outDir, string notebookPath) =>
        Path.Combine(outDir, "notebooks", Path.GetFileNameWithoutExtension(notebookPath) + ".ipynb");

    public static void WriteExecuted(string path, NotebookDocument notebook) => AtomicFile.WriteAllText(path, IpynbFormat.Write(notebook));

    static string FirstLine(string text)
    {
        string line = text.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        return line.Length <= 100 ? line : line[..100] + "...";
    }

    static string Describe(Tail stdout, Tail stderr)
    {
        string text = (stderr.Text() + "\n" + stdout.Text()).Trim();
        if (text.Contains("dotnet tool restore", StringComparison.Ordinal))
            return $": the {Tool} tool is not restored; run `dotnet tool restore` at the repository root (the build does it)";
        return text.Length == 0 ? "" : ":\n" + text;
    }

    /// <summary>The last lines of a process's stream.</summary>
    sealed class Tail
    {
        readonly Queue<string> lines = new();

        public void Add(string? line)
        {
            if (line is null) return;
            lock (lines)
            {
                lines.Enqueue(line);
                while (lines.Count > 40) lines.Dequeue();
            }
        }

        public string Text()
        {
            lock (lines) return string.Join("\n", lines);
        }
    }

    /// <summary>
    /// Counts the cells the kernel has started, from its log (--log-path): the kernel logs one
    /// "[KernelInvocationContext] [KernelInvocationContext] ... SubmitCode" line when each cell of the
    /// notebook, markdown included, begins; the kernel's own set-up submissions are logged otherwise.
    /// </summary>
    sealed class CellWatch(string logDir)
    {
        const string Marker = "[KernelInvocationContext] [KernelInvocationContext]";
        readonly Dictionary<string, long> read = [];
        readonly Dictionary<string, string> partial = [];
        int count;

        public int CellsStarted()
        {
            foreach (var file in Directory.EnumerateFiles(logDir))
            {
                try
                {
                    using var s = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    long from = read.GetValueOrDefault(file);
                    if (s.Length <= from) continue;
                    s.Seek(from, SeekOrigin.Begin);
                    var buffer = new byte[s.Length - from];
                    int n = s.Read(buffer, 0, buffer.Length);
                    read[file] = from + n;
                    string text = partial.GetValueOrDefault(file, "") + Encoding.UTF8.GetString(buffer, 0, n);
                    int last = text.LastIndexOf('\n');
                    partial[file] = last < 0 ? text : text[(last + 1)..];
                    if (last < 0) continue;
                    foreach (var line in text[..last].Split('\n'))
                        if (line.Contains(Marker, StringComparison.Ordinal) && line.Contains(" SubmitCode ", StringComparison.Ordinal))
                            count++;
                }
                catch (IOException) { }
            }
            return count;
        }
    }
}
