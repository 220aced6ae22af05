using System.Text;
using Raccoon.Research.Experiments;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;

namespace Raccoon.Research.Reporting;

/// <summary>
/// DIR/report/index.html: one self-contained page (plotly.js inlined, no network needed) with the
/// ledger, each experiment's figures and tables, and any experiment that crashed.
/// </summary>
public static class HtmlReport
{
    /// <summary>Colours of the verdicts, shared by the report, the notebooks' tables and charts.</summary>
    public static string Colour(Verdict v) => v switch
    {
        Verdict.Holds => "#2e7d32",
        Verdict.Partly => "#f9a825",
        Verdict.Fails => "#c62828",
        Verdict.NotTestableHere => "#6a1b9a",
        Verdict.Inconsistent => "#ef6c00",
        _ => "#757575",
    };

    public static string VerdictBadge(Verdict v) =>
        $"<span class=\"verdict\" style=\"background:{Colour(v)}\">{v.Name()}</span>";

    public static string Write(string outDir, IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results,
        IReadOnlyList<ExperimentFailure> failures)
    {
        string path = Path.Combine(outDir, "report", "index.html");
        AtomicFile.WriteAllText(path, Render(ledger, results, failures, outDir));
        return path;
    }

    public static string Render(IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results,
        IReadOnlyList<ExperimentFailure> failures, string outDir)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Raccoon.Research: claims ledger</title>");
        sb.Append("<style>").Append(Css).Append("</style>");
        sb.Append("<script>").Append(PlotlyJs.Source).Append("</script></head><body>");
        sb.Append("<h1>Raccoon.Research: which claims hold</h1>");
        sb.Append("<p class=\"summary\">");
        foreach (var g in ledger.GroupBy(r => r.Verdict).OrderBy(g => g.Key))
            sb.Append(VerdictBadge(g.Key)).Append(' ').Append(g.Count()).Append(" &nbsp; ");
        sb.Append("</p>");
        if (failures.Count > 0)
        {
            sb.Append("<h2>Experiments that crashed</h2><ul class=\"failures\">");
            foreach (var f in failures)
                sb.Append("<li><b>").Append(Html.Escape(f.Experiment)).Append("</b><pre>").Append(Html.Escape(f.Error)).Append("</pre></li>");
            sb.Append("</ul>");
        }
        sb.Append("<h2>Ledger</h2>").Append(LedgerTable(ledger, outDir));
        foreach (var r in results)
        {
            sb.Append("<section id=\"").Append(Html.Escape(r.Experiment)).Append("\"><h2>").Append(Html.Escape(r.Experiment))
              .Append("</h2><p class=\"meta\">profile ").Append(r.Profile.ToString().ToLowerInvariant()).Append(", seed ").Append(r.Seed)
              .Append(", ").Append(r.Threads).Append(" threads, ").Append(r.Seconds.ToString("F1")).Append(" s, ")
              .Append(r.FinishedAt.ToString("u")).Append("</p>");
            foreach (var f in r.Figures) sb.Append("<h3>").Append(Html.Escape(f.Title)).Append("</h3>").Append(f.ToHtmlFragment());
            foreach (var t in r.Tables) sb.Append(t.ToHtml());
            sb.Append("</section>");
        }
        return sb.Append("</body></html>").ToString();
    }

    /// <summary>The ledger as an HTML table with coloured verdicts; each row links to its notebook.</summary>
    public static string LedgerTable(IReadOnlyList<LedgerRow> ledger, string? outDir = null)
    {
        var sb = new StringBuilder();
        sb.Append("<table class=\"ledger\"><thead><tr><th>ID</th><th>Claim</th><th>Document says</th><th>Measured</th><th>Verdict</th><th>Why</th><th>Notebook</th></tr></thead><tbody>");
        foreach (var r in ledger)
        {
            string nb = Path.GetFileName(r.Notebook);
            // The executed copy (notebooks run) sits beside the report; the source notebook otherwise.
            string href = outDir is not null && File.Exists(Path.Combine(outDir, "notebooks", nb)) ? $"../notebooks/{nb}" : $"../../{r.Notebook}";
            sb.Append("<tr id=\"").Append(r.Id).Append("\"><td>").Append(r.Id).Append("</td><td>").Append(Html.Escape(r.Claim))
              .Append("</td><td>").Append(Html.Escape(r.Claimed)).Append("</td><td>").Append(Html.Escape(r.Measured)).Append(KindNote(r))
              .Append("</td><td>").Append(VerdictBadge(r.Verdict)).Append("</td><td>").Append(Html.Escape(r.Reason ?? ""))
              .Append("</td><td><a href=\"").Append(Html.Escape(href)).Append("\">").Append(Html.Escape(nb)).Append("</a></td></tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    /// <summary>Says, in the Measured cell, when the row's figure is a timing or measured process memory: those vary from run to run.</summary>
    static string KindNote(LedgerRow r) => r.Verdict == Verdict.NotRun ? "" : r.FigureKind switch
    {
        FigureKind.Timing => " <span class=\"figure-kind\" title=\"measured with a clock: varies from run to run and with load\">[timing]</span>",
        FigureKind.Memory => " <span class=\"figure-kind\" title=\"measured process memory: varies from run to run\">[measured memory]</span>",
        _ => "",
    };

    const string Css = """
        body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}
        table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
        th,td{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
        th{background:#f4f4f4} caption{font-weight:bold;text-align:left;padding:4px 0}
        .verdict{color:#fff;border-radius:4px;padding:1px 6px;font-weight:600;white-space:nowrap}
        .meta{color:#666;font-size:0.85em} pre{white-space:pre-wrap;font-size:0.8em}
        """;
}

/// <summary>
/// plotly.js, for pages that must draw offline. The only served copy is the one Plotly.NET 6 embeds as a
/// resource; it is read straight from Plotly.NET.dll's metadata (beside this library) without loading that
/// assembly, because Plotly.NET cannot load inside the .NET Interactive kernel (FSharp.Core 10.1 vs the
/// kernel's 10.0) and this library must load there.
/// </summary>
public static class PlotlyJs
{
    /// <summary>The Plotly.NET assembly file that carries plotly.js: beside this library (the build copies it there).</summary>
    public static string AssemblyPath =>
        Path.Combine(Path.GetDirectoryName(typeof(PlotlyJs).Assembly.Location) ?? AppContext.BaseDirectory, "Plotly.NET.dll");

    static readonly Lazy<(string Name, string Source)> Js = new(() =>
    {
        string path = AssemblyPath;
        if (!File.Exists(path))
            throw new FileNotFoundException($"plotly.js is read from {path}, which is missing: build the project (Plotly.NET is a package reference for that file only)", path);
        using var stream = File.OpenRead(path);
        using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
        var md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        foreach (var handle in md.ManifestResources)
        {
            var res = md.GetManifestResource(handle);
            string name = md.GetString(res.Name);
            if (!name.EndsWith(".min.js", StringComparison.Ordinal) || !res.Implementation.IsNil) continue;
            // An embedded resource: a 4-byte length then the bytes, at Offset within the CLR resources section.
            var dir = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var block = pe.GetSectionData(dir.RelativeVirtualAddress);
            var reader = block.GetReader((int)res.Offset, dir.Size - (int)res.Offset);
            int length = reader.ReadInt32();
            var bytes = reader.ReadBytes(length);
            return (name, System.Text.Encoding.UTF8.GetString(bytes));
        }
        throw new InvalidOperationException($"{path} carries no plotly.js resource");
    });

    public static string Source => Js.Value.Source;

    /// <summary>The version of that plotly.js ("2.28.0"), read from its resource name.</summary>
    public static string Version => System.Text.RegularExpressions.Regex.Match(Js.Value.Name, @"plotly-(\d+\.\d+\.\d+)\.min\.js$") is { Success: true } m
        ? m.Groups[1].Value : throw new InvalidOperationException($"no plotly.js version in the resource name {Js.Value.Name}");

    /// <summary>The same plotly.js on its CDN, as a require.js module path (no .js), for notebook outputs.</summary>
    public static string RequireUrl => $"https://cdn.plot.ly/plotly-{Version}.min";

    public const string RequireJsUrl = "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js";
}
