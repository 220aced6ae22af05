using Raccoon.Research.Notebooks;
using Raccoon.Research.Reporting;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Views;

namespace Raccoon.Research.Tests.Notebooks;

/// <summary>An executed notebook as a standalone page, and notebook charts that draw with no network.</summary>
public class NotebookPageTests
{
    static Figure Chart(string title) => Charts.Lines(title, "step", "loss", false, false, new LineSeries("loss", [1, 2, 3], [3, 2, 1]));

    static NotebookCell Code(string source, params CellOutput[] outputs)
    {
        var cell = new NotebookCell(CellKind.Code, "csharp", source) { ExecutionCount = 1 };
        cell.Outputs.AddRange(outputs);
        return cell;
    }

    static DisplayOutput Html(string html) => new(new Dictionary<string, string> { ["text/html"] = html });

    static int Occurrences(string text, string part)
    {
        int n = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    [Fact]
    public void A_page_shows_markdown_code_and_every_kind_of_output()
    {
        var doc = new NotebookDocument([
            new NotebookCell(CellKind.Markdown, "markdown", "# Losses\n\n| a | b |\n|---|---|\n| 1 | 2 |"),
            Code("Console.WriteLine(\"x < y\");",
                new StreamOutput("stdout", "x < y\n"),
                Html("<b>bold</b>"),
                new DisplayOutput(new Dictionary<string, string> { ["image/png"] = "iVBORw0KGgo=\n", ["text/plain"] = "an image" }),
                new DisplayOutput(new Dictionary<string, string> { ["application/json"] = "{\"a\":1}" }),
                new DisplayOutput(new Dictionary<string, string> { ["text/plain"] = "3 < 4" }),
                new ErrorOutput("Error", "System.Exception: boom", ["at Cell 2"])),
            new NotebookCell(CellKind.Raw, "raw", "raw <text>"),
        ]);
        string page = NotebookPage.Render(doc, "demo.ipynb", "executed here");
        Assert.Contains("<title>demo.ipynb</title>", page);
        Assert.Contains("<p class=\"meta\">executed here</p>", page);
        Assert.Contains("<h1>Losses</h1>", page);
        Assert.Contains("<td>1</td>", page);
        Assert.Contains("<div class=\"prompt\">[1]</div><pre class=\"source\"><code>Console.WriteLine(&quot;x &lt; y&quot;);</code></pre>", page);
        Assert.Contains("<pre class=\"stream stdout\">x &lt; y\n</pre>", page);
        Assert.Contains("<div class=\"output\"><b>bold</b></div>", page);
        Assert.Contains("<img alt=\"image\" src=\"data:image/png;base64,iVBORw0KGgo=\">", page);
        Assert.Contains("<pre class=\"json\">{&quot;a&quot;:1}</pre>", page);
        Assert.Contains("<pre>3 &lt; 4</pre>", page);
        Assert.Contains("<pre class=\"error\">Error: System.Exception: boom\nat Cell 2</pre>", page);
        Assert.Contains("<pre>raw &lt;text&gt;</pre>", page);
        Assert.DoesNotContain("<script", page); // no chart: no plotly.js
    }

    [Fact]
    public void A_page_holds_plotly_js_once_whether_or_not_its_outputs_carry_it()
    {
        // Outputs without the kernel's loader (two charts): the page brings plotly.js once, in its head.
        var bare = new NotebookDocument([Code("a", Html(Chart("a").ToHtmlFragment())), Code("b", Html(Chart("b").ToHtmlFragment()))]);
        string page = NotebookPage.Render(bare, "bare");
        Assert.Equal(1, Occurrences(page, PlotlyJs.Banner));
        Assert.True(page.IndexOf(PlotlyJs.Banner, StringComparison.Ordinal) < page.IndexOf("<body>", StringComparison.Ordinal));

        // The first chart output carries the loader, as the kernel writes it: the page adds no second copy.
        var carried = new NotebookDocument([Code("a", Html(PlotlyJs.NotebookLoader() + Chart("a").ToHtmlFragment())), Code("b", Html(Chart("b").ToHtmlFragment()))]);
        page = NotebookPage.Render(carried, "carried");
        Assert.Equal(1, Occurrences(page, PlotlyJs.Banner));
        Assert.True(page.IndexOf(PlotlyJs.Banner, StringComparison.Ordinal) > page.IndexOf("<body>", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"<script[^>]*\ssrc=", page);
    }

    [Fact]
    public void A_notebook_chart_loads_nothing_from_the_network()
    {
        string html = Chart("offline").ToNotebookHtml().Replace(PlotlyJs.NotebookLoader(), "");
        Assert.Contains("Plotly.newPlot(box, [{", html);
        Assert.DoesNotContain("http", html);
        Assert.DoesNotContain("require", html);
        Assert.DoesNotContain(PlotlyJs.Banner, html);
        Assert.Contains(PlotlyJs.MissingMessage, html);
        // The loader is the library's plotly.js, guarded so a page that has it already keeps its own.
        Assert.StartsWith("<script type=\"text/javascript\">", PlotlyJs.NotebookLoader());
        Assert.Contains("if (!window.Plotly)", PlotlyJs.NotebookLoader());
        Assert.Contains(PlotlyJs.Source, PlotlyJs.NotebookLoader());
        Assert.Equal(1, Occurrences(PlotlyJs.Source, PlotlyJs.Banner));
    }

    /// <summary>Classic Jupyter pages carry require.js, where plotly.js would register an anonymous AMD module instead of
    /// window.Plotly: the loader hides the AMD loader while plotly.js runs, and charts still draw.</summary>
    [Fact]
    public async Task Notebook_charts_draw_on_a_page_with_an_amd_loader_and_with_plotly_js_only_from_the_first_output()
    {
        ExternalTools.Require(ExternalTools.Chromium);
        string dir = Repo.TempDir("nb-amd");
        string path = Path.Combine(dir, "amd.html");
        File.WriteAllText(path, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script>window.define = function () { throw new Error('anonymous define'); }; window.define.amd = {};</script></head><body>" +
            "<div>" + PlotlyJs.NotebookLoader() + Chart("first").ToNotebookHtml() + "</div><div>" + Chart("second").ToNotebookHtml() + "</div></body></html>");
        var (figures, drawn) = await HeadlessChromium.CountChartsAsync(path);
        Assert.Equal(2, figures);
        Assert.Equal(2, drawn);
    }

    /// <summary>Where no script runs (GitHub, nbviewer) a chart's box shows its static SVG; plotly.js clears the box
    /// before it draws. The figure's image output is the same drawing; a figure that is not there says why instead.</summary>
    [Fact]
    public void A_notebook_chart_carries_its_static_drawing_in_the_box_and_as_an_image_output()
    {
        var chart = Chart("static");
        string html = chart.ToNotebookHtml();
        var img = System.Text.RegularExpressions.Regex.Match(html, "<div id=\"[^\"]+\" class=\"plotly-figure\"[^>]*><img class=\"static-figure\" alt=\"static\"[^>]* src=\"data:image/svg\\+xml;base64,([A-Za-z0-9+/=]+)\"></div>");
        Assert.True(img.Success, html[..Math.Min(html.Length, 400)]);
        string svg = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(img.Groups[1].Value));
        Assert.Contains("<svg", svg);
        // the same drawing as the write-up's SVG file, byte for byte (SkiaSharp's per-process clip-path ids renumbered)
        Assert.Equal(System.Text.Encoding.UTF8.GetString(StaticFigure.Svg(chart)), svg);
        Assert.Equal(StaticFigure.Svg(chart), StaticFigure.Svg(chart));
        // Drawn once per figure (the box and the image output share it); a copy of the figure is drawn again, to the same text.
        Assert.Same(StaticFigure.SvgText(chart), StaticFigure.SvgText(chart));
        var copy = chart with { };
        Assert.NotSame(StaticFigure.SvgText(chart), StaticFigure.SvgText(copy));
        Assert.Equal(StaticFigure.SvgText(chart), StaticFigure.SvgText(copy));
        Assert.Matches("clip-path=\"url\\(#cl_[0-9a-f]{8}_0\\)\"", svg);
        Assert.DoesNotMatch("cl_[0-9a-f]+\"", svg); // every id renumbered
        Assert.Contains("box.replaceChildren(); window.Plotly.newPlot(box", html);

        var writer = new StringWriter();
        Assert.True(NotebookHtml.TryFormatSvg(chart, writer));
        Assert.Equal(svg, writer.ToString());
        Assert.False(NotebookHtml.TryFormatSvg(new HtmlContent("<b>not a chart</b>"), new StringWriter()));

        var missing = Figure.NotAvailable("loss", "not run in this reproduction");
        Assert.False(StaticFigure.TrySvgText(missing, out _, out string why));
        Assert.Equal("not run in this reproduction", why);
        writer = new StringWriter();
        Assert.True(NotebookHtml.TryFormatSvg(missing, writer));
        Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"", writer.ToString());
        Assert.Contains("not run in this reproduction", writer.ToString());
    }
}
