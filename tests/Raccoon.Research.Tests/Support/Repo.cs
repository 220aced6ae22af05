using System.Diagnostics;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Tests.Support;

/// <summary>Paths of the repository the tests run in, and the command-line tool as users run it.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Raccoon.Research.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("tests run outside the repository");
    }

    public static string CliDll => Path.Combine(Root, "lib", "Raccoon.Research.Cli", "bin", "raccoon.dll");

    /// <summary>A fresh empty folder under the system temp folder.</summary>
    public static string TempDir(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "raccoon-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public sealed record CliRun(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs the built command-line tool with <paramref name="args"/>, as `dotnet run --project` would.</summary>
    public static CliRun RunCli(params string[] args) => RunCliIn(Root, args);

    public static CliRun RunCliIn(string workingDir, params string[] args)
    {
        var limit = TimeSpan.FromMinutes(8);
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit)) { p.Kill(true); throw new TimeoutException($"raccoon {string.Join(' ', args)} ran past {limit.TotalMinutes:0} min"); }
        return new CliRun(p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>Loads libtorch once for every test that needs it (two threads, as on CI).</summary>
public sealed class TorchFixture
{
    public TorchFixture() => TorchRuntime.Initialize(2);
}
