using System.Diagnostics;
using System.Text;

namespace Raccoon.Research.Tests.Support;

/// <summary>A child process with its output collected line by line as it comes, for tests that act while it runs (kill it mid-way).</summary>
public sealed class ChildProcess : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _stdout = new(), _stderr = new();
    readonly object _gate = new();

    public ChildProcess(string fileName, IEnumerable<string> args, string workingDir, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName) { WorkingDirectory = workingDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_gate) _stdout.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_gate) _stderr.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The command-line tool, as <see cref="Repo.RunCli"/> runs it.</summary>
    public static ChildProcess Cli(params string[] args) => new("dotnet", [Repo.CliDll, .. args], Repo.Root);

    public int Id => _process.Id;
    public string Stdout { get { lock (_gate) return _stdout.ToString(); } }
    public string Stderr { get { lock (_gate) return _stderr.ToString(); } }
    public bool HasExited => _process.HasExited;

    /// <summary>Waits until <paramref name="condition"/> holds; false when the process ended or the time ran out first.</summary>
    public bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition()) return true;
            if (_process.HasExited) return condition();
            Thread.Sleep(50);
        }
        return false;
    }

    /// <summary>SIGKILL to the process (and what it started): no handler runs, no file is closed cleanly.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) { KillHard(); throw new TimeoutException($"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)}"); }
        _process.WaitForExit(); // drains the output
        return _process.ExitCode;
    }

    public static Repo.CliRun Run(string fileName, IEnumerable<string> args, string workingDir, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var p = new ChildProcess(fileName, args, workingDir, environment);
        int code = p.WaitForExit(TimeSpan.FromMinutes(8));
        return new Repo.CliRun(code, p.Stdout, p.Stderr);
    }

    public void Dispose() => _process.Dispose();
}
