using System.Diagnostics;
using System.Text.Json.Nodes;
using Raccoon.Research.Notebooks;

namespace Raccoon.Research.Tests.Support;

/// <summary>
/// A notebook executed the way a Jupyter frontend executes it: Debian's python3-nbclient drives the pinned .NET
/// Interactive kernel (`dotnet-interactive jupyter`, Microsoft.dotnet-interactive 1.0.712001 from the repository's tool
/// manifest) over the Jupyter protocol. The kernel spec `.net-csharp` is written into a folder of its own on
/// JUPYTER_PATH (what `dotnet interactive jupyter install` writes, with the tool's assembly run directly, since the
/// tool is repository-local), so nothing under the user's ~/.local is touched.
/// </summary>
public static class JupyterClient
{
    const string Script = """
        import sys, nbformat
        from nbclient import NotebookClient
        nb = nbformat.read(sys.argv[1], as_version=4)
        client = NotebookClient(nb, kernel_name='.net-csharp', timeout=int(sys.argv[4]), startup_timeout=180,
                                allow_errors=True, resources={'metadata': {'path': sys.argv[2]}})
        client.execute()
        nbformat.write(nb, sys.argv[3])
        """;

    public sealed record Run(int ExitCode, string Stderr, JsonNode? Executed);

    /// <summary>Executes <paramref name="notebook"/> with the kernel started in <paramref name="workingDir"/> and
    /// <paramref name="environment"/> added to its environment; every cell runs (errors stay in their outputs).</summary>
    public static Run Execute(string notebook, string workingDir, IReadOnlyDictionary<string, string> environment, TimeSpan cellTimeout)
    {
        string dir = Repo.TempDir("jupyter");
        string spec = Path.Combine(dir, "kernels", ".net-csharp");
        Directory.CreateDirectory(spec);
        var argv = new JsonArray("dotnet", RealKernel.ToolAssembly(Repo.Root, RealKernel.JupyterTool), "jupyter", "--default-kernel", "csharp",
            "{connection_file}", "--http-port-range", "2048-3000");
        File.WriteAllText(Path.Combine(spec, "kernel.json"),
            new JsonObject { ["argv"] = argv, ["display_name"] = ".NET (C#)", ["language"] = "C#" }.ToJsonString());
        string output = Path.Combine(dir, "executed.ipynb");

        var psi = new ProcessStartInfo(ExternalTools.DebianPython) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var a in new[] { "-c", Script, notebook, workingDir, output, ((int)cellTimeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        psi.Environment["JUPYTER_PATH"] = dir;
        psi.Environment["JUPYTER_RUNTIME_DIR"] = Path.Combine(dir, "runtime");
        psi.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10))) { p.Kill(true); throw new TimeoutException($"nbclient on {notebook}"); }
        return new Run(p.ExitCode, stderr.Result + stdout.Result, File.Exists(output) ? JsonNode.Parse(File.ReadAllText(output)) : null);
    }
}
