using System.Text.Json.Nodes;
using Raccoon.Research.Experiments;
using Raccoon.Research.Notebooks;
using Raccoon.Research.Reporting;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Views;

namespace Raccoon.Research.Tests.Notebooks;

/// <summary>
/// The notebooks under a Jupyter client, not only dotnet-repl: Debian's python3-nbclient with the pinned .NET
/// Interactive kernel registered as the Jupyter kernel `.net-csharp` (skipped, naming the package, where it is missing).
/// </summary>
public class JupyterClientTests
{
    static string Library => Path.Combine(Repo.Root, "lib", "Raccoon.Research.Cli", "bin", "Raccoon.Research.dll");

    static Dictionary<string, string> Settings(string outDir) => new()
    {
        [NotebookSession.OutVariable] = outDir,
        [NotebookSession.ProfileVariable] = "quick",
        [NotebookSession.SeedVariable] = "1",
        [NotebookSession.ThreadsVariable] = "2",
    };

    static IEnumerable<JsonNode> Outputs(JsonNode notebook) =>
        notebook["cells"]!.AsArray().Where(c => c!["cell_type"]!.GetValue<string>() == "code").SelectMany(c => c!["outputs"]!.AsArray()).Select(o => o!);

    static string? Mime(JsonNode output, string mime) => output["data"]?[mime] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l!.GetValue<string>())),
        JsonValue v => v.GetValue<string>(),
        _ => null,
    };

    [Fact]
    public void The_claims_ledger_notebook_runs_under_nbclient_with_no_error_output_and_its_chart_offline()
    {
        ExternalTools.Require(ExternalTools.NbClient);
        string outDir = Repo.TempDir("nbclient-ledger");
        string notebooks = Path.Combine(Repo.Root, "notebooks");
        var run = JupyterClient.Execute(Path.Combine(notebooks, "claims-ledger.ipynb"), notebooks, Settings(outDir), TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0 && run.Executed is not null, run.Stderr);

        var cells = run.Executed!["cells"]!.AsArray();
        var errors = cells.Select((c, i) => (Cell: i + 1, Errors: c!["outputs"]?.AsArray().Where(o => o!["output_type"]!.GetValue<string>() == "error").ToList() ?? []))
            .Where(x => x.Errors.Count > 0).ToList();
        Assert.True(errors.Count == 0, string.Join("; ", errors.Select(e => $"cell {e.Cell}: {e.Errors[0]!["evalue"]}")));
        Assert.All(cells.Where(c => c!["cell_type"]!.GetValue<string>() == "code"), c => Assert.NotEmpty(c!["outputs"]!.AsArray()));

        // Every claim of the catalog in the ledger view, as not-run (nothing was reproduced into this folder).
        var html = Outputs(run.Executed).Select(o => Mime(o, "text/html")).OfType<string>().ToList();
        Assert.Contains(html, h => h.Contains("<table class=\"ledger\"") && h.Contains("R0-01") && h.Contains("H4-01"));
        // The verdict chart draws offline: plotly.js once in the notebook, no CDN, no require.js.
        Assert.Contains(html, h => h.Contains("plotly-figure"));
        // ... and its static drawing is in the box, drawn in the kernel (SkiaSharp and HarfBuzz found beside the library).
        Assert.Contains(html, h => h.Contains("<img class=\"static-figure\""));
        Assert.DoesNotContain(html, h => h.Contains(StaticFigure.NotDrawn));
        string text = string.Concat(Outputs(run.Executed).SelectMany(o => new[] { Mime(o, "text/html"), Mime(o, "text/plain") }).OfType<string>());
        Assert.Equal(1, Occurrences(text, PlotlyJs.Banner));
        // plotly.js itself names its CDN (the default of topojsonURL, for maps, which no chart here draws): checked outside it.
        Assert.DoesNotContain("cdn.", text.Replace(PlotlyJs.Source, ""));
        Assert.DoesNotContain("requirejs", text);
    }

    /// <summary>Under a Jupyter frontend the kernel's display updates carry another display_id than the display (see
    /// LiveDisplay.ServesJupyter), so nothing would update: the progress prints lines there instead.</summary>
    [Fact]
    public void Progress_prints_lines_under_a_jupyter_client()
    {
        ExternalTools.Require(ExternalTools.NbClient);
        string dir = Repo.TempDir("nbclient-progress");
        string path = Path.Combine(dir, "progress.ipynb");
        File.WriteAllText(path, IpynbFormat.Write(ProgressNotebook(Library)));
        var run = JupyterClient.Execute(path, dir, Settings(Path.Combine(dir, "out")), TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0 && run.Executed is not null, run.Stderr);

        var outputs = Outputs(run.Executed!).ToList();
        Assert.DoesNotContain(outputs, o => o["output_type"]!.GetValue<string>() == "error");
        string printed = string.Concat(outputs.Where(o => o["output_type"]!.GetValue<string>() == "stream")
            .Select(o => o["text"] is JsonArray a ? string.Concat(a.Select(l => l!.GetValue<string>())) : o["text"]!.GetValue<string>()));
        Assert.Contains("demo: step 1 of 3 (33%)", printed);
        Assert.Contains("demo: step 3 of 3 (100%)", printed);
        Assert.EndsWith("demo: done\n", printed);
        Assert.Contains(outputs, o => (Mime(o, "text/html") ?? Mime(o, "text/plain") ?? "").Contains("False")); // InPlace
    }

    /// <summary>A one-cell notebook that reports three steps, a second apart, and finishes; its value says whether it updated in place.</summary>
    internal static NotebookDocument ProgressNotebook(string library)
    {
        var doc = new NotebookDocument([
            new NotebookCell(CellKind.Code, "csharp", $$"""
                #r "{{library}}"
                using Raccoon.Research.Experiments;
                using Raccoon.Research.Reporting;
                var progress = new NotebookProgress("demo");
                foreach (var i in Enumerable.Range(1, 3))
                {
                    progress.Report(new ExperimentProgress("demo", $"step {i} of 3", i / 3.0));
                    System.Threading.Thread.Sleep(1100);
                }
                progress.Finish("demo: done");
                progress.InPlace
                """),
        ]);
        doc.AssignIds();
        return doc;
    }

    [Fact]
    public void Progress_outside_a_kernel_cell_prints_lines()
    {
        Assert.False(new NotebookProgress("demo").InPlace);
    }

    static int Occurrences(string text, string part)
    {
        int n = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
