using System.Text;
using Markdig;
using Raccoon.Research.IO;
using Raccoon.Research.Reporting;
using Raccoon.Research.Views;

namespace Raccoon.Research.Notebooks;

/// <summary>
/// An executed notebook as one standalone HTML page, readable without a kernel or a network: markdown cells rendered
/// (Markdig, CommonMark with pipe tables), code cells with their execution counts, and every output as the kernel
/// wrote it (HTML as is, images inline, text, errors). The charts draw offline: the kernel's first chart output
/// carries plotly.js (<see cref="PlotlyJs.NotebookLoader"/>); a page whose outputs have charts but not that gets
/// plotly.js once in its head. So a page holds plotly.js exactly once, or not at all when it has no chart.
/// </summary>
public static class NotebookPage
{
    static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UsePipeTables().UseAutoLinks().Build();

    /// <summary>DIR/notebooks/NAME.html: the page of the executed notebook <paramref name="executedPath"/> (DIR/notebooks/NAME.ipynb).</summary>
    public static string PathFor(string executedPath) => Path.ChangeExtension(executedPath, ".html");

    public static void Write(string path, NotebookDocument notebook, string title, string? subtitle = null) =>
        AtomicFile.WriteAllText(path, Render(notebook, title, subtitle));

    public static string Render(NotebookDocument notebook, string title, string? subtitle = null)
    {
        var body = new StringBuilder();
        int charts = 0;
        bool loader = false;
        foreach (var cell in notebook.Cells)
        {
            if (cell.Kind == CellKind.Markdown)
            {
                body.Append("<div class=\"cell markdown\">").Append(Markdig.Markdown.ToHtml(cell.Source, Markdown)).Append("</div>\n");
                continue;
            }
            if (cell.Kind == CellKind.Raw)
            {
                body.Append("<div class=\"cell raw\"><pre>").Append(Html.Escape(cell.Source)).Append("</pre></div>\n");
                continue;
            }
            string count = cell.ExecutionCount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? " ";
            body.Append("<div class=\"cell code\"><div class=\"prompt\">[").Append(count).Append("]</div><pre class=\"source\"><code>")
                .Append(Html.Escape(cell.Source)).Append("</code></pre>");
            foreach (var output in cell.Outputs)
            {
                string html = Output(output);
                if (html.Contains("plotly-figure", StringComparison.Ordinal)) charts++;
                if (html.Contains(PlotlyJs.Banner, StringComparison.Ordinal)) loader = true;
                body.Append("<div class=\"output\">").Append(html).Append("</div>");
            }
            body.Append("</div>\n");
        }

        var page = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>")
            .Append(Html.Escape(title)).Append("</title><style>").Append(Css).Append("</style>");
        if (charts > 0 && !loader) page.Append("<script>").Append(PlotlyJs.Source).Append("</script>");
        page.Append("</head><body><header><h1>").Append(Html.Escape(title)).Append("</h1>");
        if (subtitle is not null) page.Append("<p class=\"meta\">").Append(Html.Escape(subtitle)).Append("</p>");
        return page.Append("</header>\n").Append(body).Append("</body></html>").ToString();
    }

    /// <summary>One output as HTML: a display's richest form this page can show (HTML, SVG, PNG, JPEG, JSON, text).</summary>
    static string Output(CellOutput output) => output switch
    {
        StreamOutput s => $"<pre class=\"stream {Html.Escape(s.Name)}\">{Html.Escape(s.Text)}</pre>",
        ErrorOutput e => $"<pre class=\"error\">{Html.Escape(e.Name)}: {Html.Escape(e.Value)}" +
                         (e.Traceback.Count > 0 ? "\n" + Html.Escape(string.Join("\n", e.Traceback)) : "") + "</pre>",
        DisplayOutput d when d.Data.TryGetValue("text/html", out var html) => html,
        DisplayOutput d when d.Data.TryGetValue("image/svg+xml", out var svg) => svg,
        DisplayOutput d when d.Data.TryGetValue("image/png", out var png) => $"<img alt=\"image\" src=\"data:image/png;base64,{Html.Escape(png.Trim())}\">",
        DisplayOutput d when d.Data.TryGetValue("image/jpeg", out var jpeg) => $"<img alt=\"image\" src=\"data:image/jpeg;base64,{Html.Escape(jpeg.Trim())}\">",
        DisplayOutput d when d.Data.TryGetValue("text/markdown", out var md) => Markdig.Markdown.ToHtml(md, Markdown),
        DisplayOutput d when d.Data.TryGetValue("application/json", out var json) => $"<pre class=\"json\">{Html.Escape(json)}</pre>",
        DisplayOutput d when d.Data.TryGetValue("text/plain", out var text) => $"<pre>{Html.Escape(text)}</pre>",
        DisplayOutput d => $"<pre class=\"meta\">(an output of type {Html.Escape(string.Join(", ", d.Data.Keys))} this page does not show)</pre>",
        _ => "",
    };

    const string Css = """
        body{font-family:system-ui,sans-serif;margin:2em auto;padding:0 2em;max-width:1200px;color:#222}
        header{border-bottom:1px solid #ccc;margin-bottom:1em} .meta{color:#666;font-size:0.85em}
        .cell{margin:0.8em 0} .cell.code{border-left:3px solid #c8d4e6;padding-left:0.8em}
        .prompt{color:#888;font-size:0.8em;font-family:monospace}
        pre{white-space:pre-wrap;font-size:0.85em;margin:0.3em 0}
        pre.source{background:#f6f8fa;padding:0.5em;border-radius:3px;overflow-x:auto}
        pre.stderr,pre.error{color:#b00020;background:#fdf0f0;padding:0.4em}
        .output{margin:0.3em 0;overflow-x:auto}
        .markdown table,.output table{border-collapse:collapse} .markdown th,.markdown td{border:1px solid #ddd;padding:3px 7px}
        """;
}
