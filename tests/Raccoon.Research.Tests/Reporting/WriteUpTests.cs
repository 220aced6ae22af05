using System.Globalization;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Reporting;
using Raccoon.Research.Reporting.WriteUp;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Reporting;

/// <summary>
/// The report and the paper-style write-up as a reader sees them: the PDF and the figure files made in process, the
/// PDF read back with poppler-utils (its sections and pages), and the HTML pages rendered in headless chromium (no
/// chart box overlaps another element, every chart draws its traces). The poppler and chromium checks are skipped,
/// saying so, where those Debian packages are missing (.ci/run installs them). The ledger and results are made by
/// hand, so no torch runs here.
/// </summary>
public sealed class WriteUpTests
{
    static readonly MachineContext Machine = new("Test CPU", 2, 2, 2, "0.107.0", "2.10.0", ".NET 10.0", "Debian 12", true, "test");

    /// <summary>A ledger with a final row, a provisional row, an inconsistent row and a per-build disagreement; the rest not run.</summary>
    static (IReadOnlyList<LedgerRow> Rows, StoredResult Result) Sample()
    {
        var at = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        var provisionalClaim = ClaimCatalog.All.First(c => c.Rule.MinProfile is "standard" && c.Rule.Kind == "ratio");
        var measurements = new List<Measurement>
        {
            Measurement.PerBuild("R0-01", "upstream 6.2x, documented 30x fewer parameters",
                [new BuildMeasurement("upstream", "6.2x", 6.2, Upstream: true), new BuildMeasurement("documented", "30x", 30)], "parameter counts"),
            Measurement.Number(provisionalClaim.Id, 1.3, "1.3x faster (median of 5, interleaved)", "Timing.Compare"),
            Measurement.Of("R0-12", "the document's two tables disagree",
                [new("contradictions", 2), new("inferenceRatio", 50), new("epochRatio", 50), new("accuracyGap", 3)], reason: "table 1 says 80 ms, table 2 says 100 ms"),
        };
        var line = new LineSeries("loss", [1, 2, 3, 4], [0.9, 0.5, 0.3, 0.2]);
        var figures = new List<Figure>
        {
            Charts.Lines("Training loss", "step", "loss", false, true, line).Named("loss"),
            Charts.Bars("Milliseconds per call", "ms", false, ["original", "alternative"], new BarSeries("ms", [12.5, 3.1])).Named("speed"),
            Charts.Boxes("Repetitions", "ms", false, new BoxSeries("a", [1, 2, 3, 2.5]), new BoxSeries("b", [2, 3, 4, 3.5])).Named("spread"),
            Charts.Grid("Two panels", 1, 2, Charts.Lines("left", "x", "y", false, false, line), Charts.Lines("right", "x", "y", false, false, line)).Named("panels"),
        };
        var table = new Table("Counts", ["component", "parameters"], [["embedding", "15,000"], ["head", "4,000"]]).Named("counts");
        var result = new StoredResult("write-up-check", Profile.Quick, 1, ResultStore.LibraryVersion, 2, at, 1.5, measurements, figures, [table]);
        var rows = Reproduction.BuildLedger(ClaimCatalog.All, [result], null);
        return (rows, result);
    }

    [Fact]
    public void Each_document_section_names_its_notebook_and_links_its_page_executed_in_the_run()
    {
        string dir = Repo.TempDir("writeup-notebook");
        string before = BlockHtml.Runs(PaperWriteUp.NotebookParagraph("notebooks/004-language-models.ipynb", dir).Runs);
        Assert.Contains("<a href=\"../../notebooks/004-language-models.ipynb\"><code>notebooks/004-language-models.ipynb</code></a>", before);
        Assert.Contains("it was not executed in this run", before);
        Directory.CreateDirectory(Path.Combine(dir, "notebooks"));
        File.WriteAllText(Path.Combine(dir, "notebooks", "004-language-models.ipynb"), "{}"); // executed, its page not made
        string ipynb = BlockHtml.Runs(PaperWriteUp.NotebookParagraph("notebooks/004-language-models.ipynb", dir).Runs);
        Assert.Contains("executed in this run, it is <a href=\"../notebooks/004-language-models.ipynb\"><code>notebooks/004-language-models.ipynb</code></a> beside the report folder.", ipynb);
        File.WriteAllText(Path.Combine(dir, "notebooks", "004-language-models.html"), "<html></html>");
        string after = BlockHtml.Runs(PaperWriteUp.NotebookParagraph("notebooks/004-language-models.ipynb", dir).Runs);
        Assert.Contains("executed in this run, it is <a href=\"../notebooks/004-language-models.html\"><code>notebooks/004-language-models.html</code></a> beside the report folder.", after);
    }

    [Fact]
    public void Tables_are_written_as_csv_booktabs_tex_and_markdown()
    {
        var t = new Table("Cost & size_1", ["name", "value"], [["a|b", "50%"], ["c,\"d\"", "x^2 ~ {y}"]]);
        Assert.Equal("name,value\r\na|b,50%\r\n\"c,\"\"d\"\"\",x^2 ~ {y}\r\n", TableFormats.Csv(t));
        string tex = TableFormats.Tex(t, "tab:cost");
        Assert.Contains("\\caption{Cost \\& size\\_1}", tex);
        Assert.Contains("\\label{tab:cost}", tex);
        Assert.Contains("\\toprule\nname & value \\\\\n\\midrule\n", tex);
        Assert.Contains("a|b & 50\\% \\\\", tex);
        Assert.Contains("x\\textasciicircum{}2 \\textasciitilde{} \\{y\\} \\\\\n\\bottomrule", tex);
        string md = TableFormats.Markdown(t);
        Assert.Contains("| name | value |\n|---|---|\n| a\\|b | 50% |", md);
    }

    [Fact]
    public void The_abstract_and_the_tally_come_from_the_rows()
    {
        var (rows, result) = Sample();
        string text = PaperWriteUp.Abstract(rows, [result]);
        Assert.Contains($"this run measured 3 of them", text);
        Assert.Contains(PaperWriteUp.TallyWords([.. rows.Where(r => r.Verdict != Verdict.NotRun)]), text);
        Assert.Contains("1 is inconsistent", text);
        Assert.Contains("provisional", text);
        // The findings, not only the tallies: the largest discrepancy with how far off it is, and the contradiction by name.
        Assert.Contains("The largest discrepancies: R0-02 (Inference latency per batch), claimed 50.0 x faster inference, measured 1.3: 38.5x short of the claim (partly); " +
            "R0-01 (Parameter counts, Original vs Alternative), claimed 31.0 x fewer parameters, measured 6.2: 5.0x short of the claim (partly).", text);
        Assert.Contains("The document and its upstream code lead to different verdicts in R0-01", text);
        Assert.Contains("The document contradicts itself in R0-12 (Summary table, and the document against itself)", text);
        var tally = LedgerDigest.Tally(rows);
        Assert.Equal("all", tally.Rows[^1][0]);
        Assert.Equal("1", tally.Rows[^1][tally.Columns.ToList().IndexOf("inconsistent")]);
        // provisional: each measured row whose rule needs a larger profile than this quick result (R0-12 and the sampled ratio claim)
        int provisional = rows.Count(r => r.Verdict != Verdict.NotRun && ClaimCatalog.Get(r.Id).Rule.IsProvisionalAt("quick"));
        Assert.Equal(2, provisional);
        Assert.Equal(provisional.ToString(CultureInfo.InvariantCulture), tally.Rows[^1][tally.Columns.ToList().IndexOf("provisional")]);
        Assert.Equal(ClaimCatalog.All.Count.ToString(CultureInfo.InvariantCulture), tally.Rows[^1][^1]);
    }

    [Fact]
    public void The_write_up_its_pdf_and_every_figure_file_are_made_in_process()
    {
        var (rows, result) = Sample();
        string dir = Repo.TempDir("writeup-inprocess");
        var files = PaperWriteUp.Write(dir, rows, [result], [], Machine, "reproduce");
        Assert.Null(files.Warning);
        Assert.NotNull(files.Pdf);
        Assert.True(files.Pages > 0, "the PDF has no page");
        Assert.Equal("%PDF-"u8.ToArray(), File.ReadAllBytes(files.Pdf!)[..5]);
        var (figures, tables) = PaperWriteUp.Number(rows, [result], Machine);
        // Every numbered figure as SVG, PNG and PDF; the tally, the forest plot and the experiment's four.
        Assert.Equal(2 + result.Figures.Count, figures.Count);
        Assert.Contains(figures, f => f.Name == "figure-02-forest");
        Assert.Equal(3 * figures.Count, files.Figures.Count);
        foreach (var f in files.Figures)
        {
            byte[] bytes = File.ReadAllBytes(f);
            Assert.True(bytes.Length > 500, $"{f} is only {bytes.Length} bytes");
            switch (Path.GetExtension(f))
            {
                case ".svg": Assert.Contains("<svg", System.Text.Encoding.UTF8.GetString(bytes)); break;
                case ".png": Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]); break;
                case ".pdf": Assert.Equal("%PDF-"u8.ToArray(), bytes[..5]); break;
                default: Assert.Fail($"unexpected figure file {f}"); break;
            }
        }
        Assert.Equal(3 * tables.Count, files.Tables.Count);
        Assert.Contains(files.Tables, f => f.EndsWith("-write-up-check-counts.tex", StringComparison.Ordinal));

        string html = File.ReadAllText(files.Html);
        foreach (var part in new[] { "id=\"abstract\"", "id=\"limitations\"", "id=\"references\"", "id=\"figure-02-forest\"",
                     "R0-01. Parameter counts, Original vs Alternative", "how far off: claimed 31.0 x fewer parameters, measured 6.2: 5.0x short of the claim",
                     "boomertechnodev/latent_trajectory_transformer", "69aa104b76e1",
                     "2 of 3 measured rows are provisional, measured below the profile their rule needs (R0-02, R0-12)", "000_d1aa5fd3e7c7b882.txt", "Debian 12&#39;s PyTorch 1.13" })
            Assert.Contains(part, html);
        Assert.DoesNotContain("chromium", html);
    }

    [Fact]
    public void Every_chart_kind_draws_as_svg_png_and_pdf_without_a_browser()
    {
        var line = new LineSeries("loss", [1, 10, 100], [0.9, 0.3, 0.1]);
        var figures = new[]
        {
            Charts.Lines("lines, log axes", "step", "loss", true, true, line),
            Charts.Bars("bars", "ms", true, ["a", "b"], new BarSeries("x", [1, 100]), new BarSeries("y", [10, 20])),
            Charts.Points("labelled points", "ms", "accuracy", true, false, new PointSeries("models", [1, 10], [0.8, 0.9], ["tiny", "full"])),
            Charts.Boxes("boxes", "ms", false, new BoxSeries("a", [1, 2, 3, 2.5, 9]), new BoxSeries("b", [2, 3, 4])),
            Charts.Sunburst("sunburst", ["all", "enc", "dec"], ["model", "encoder", "decoder"], ["", "all", "all"], [10, 6, 4]),
            Charts.Grid("grid", 1, 2, Charts.Lines("l", "x", "y", false, false, line), Charts.Bars("b", "y", false, ["p", "q"], new BarSeries("s", [1, 2]))),
            Charts.Forest("forest", "ratio", true, 1, [new ForestRow("R0-01 x", 0.2, 0.1, 0.4, 0.5, 2, "#c62828"), new ForestRow("R0-02 y", 1.1, null, null, null, null, "#2e7d32")]),
            // Kinds experiments write as Plotly JSON themselves: a heatmap (rendered glyphs) and 3-D lines (Lorenz paths).
            new Figure("heatmap", """{"data":[{"type":"heatmap","z":[[0,1,0],[1,1,1],[0,1,0]],"colorscale":"Greys"}],"layout":{"yaxis":{"autorange":"reversed"}}}"""),
            new Figure("3-D lines", """{"data":[{"type":"scatter3d","mode":"lines","name":"a","x":[0,1,2],"y":[0,1,0],"z":[0,2,1]},{"type":"scatter3d","mode":"lines","name":"b","x":[1,2,3],"y":[1,0,1],"z":[2,0,1]}],"layout":{}}"""),
        };
        foreach (var f in figures)
        {
            string svg = System.Text.Encoding.UTF8.GetString(StaticFigure.Svg(f));
            Assert.Contains("<svg", svg);
            Assert.True(System.Text.RegularExpressions.Regex.Matches(svg, "<path|<rect|<polyline|<line").Count > 5, $"{f.Title}: the SVG draws almost nothing");
            var png = StaticFigure.Png(f, 300, 1);
            using (var bitmap = SkiaSharp.SKBitmap.Decode(png))
            {
                Assert.Equal(300, bitmap.Width);
                Assert.Equal(f.Height(), bitmap.Height);
                // Something besides the white background is drawn.
                int inked = 0;
                for (int y = 0; y < bitmap.Height; y += 3)
                    for (int x = 0; x < bitmap.Width; x += 3)
                        if (bitmap.GetPixel(x, y) != SkiaSharp.SKColors.White) inked++;
                Assert.True(inked > 50, $"{f.Title}: only {inked} inked samples");
            }
            Assert.Equal("%PDF-"u8.ToArray(), StaticFigure.Pdf(f)[..5]);
        }
        // Every trace kind the library writes (Charts, and experiments that write Plotly JSON themselves) is one the
        // static drawing knows; axis types and shapes are not traces.
        var written = Directory.EnumerateFiles(Path.Combine(Repo.Root, "lib", "Raccoon.Research"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), @"\[""type""\] = ""([a-z0-9]+)""").Select(m => m.Groups[1].Value))
            .Where(k => k is not ("log" or "linear" or "category" or "rect" or "line" or "data")).Distinct().ToList();
        Assert.Contains("heatmap", written);
        Assert.All(written, k => Assert.Contains(k, StaticFigure.Known));
        string unknown = System.Text.Encoding.UTF8.GetString(StaticFigure.Svg(new Figure("pie", """{"data":[{"type":"pie","values":[1,2]}],"layout":{}}""")));
        Assert.Contains("not drawn here (pie)", unknown);
    }

    [Fact]
    public void The_forest_plot_puts_each_numeric_row_on_its_rule_band()
    {
        var (rows, _) = Sample();
        // R0-01: ratio, claimed 31x, tolerance 2: holds from 15.5x to 62x, a band of [0.5, 2] around the claim.
        var band = VerdictRules.HoldsBand(ClaimCatalog.Get("R0-01"))!.Value;
        Assert.Equal(0.5, band.Low, 2);
        Assert.Equal(2.0, band.High, 2);
        Assert.Null(VerdictRules.HoldsBand(ClaimCatalog.Get("R0-12"))); // a conditions rule compares no factor
        var forest = JsonNode.Parse(LedgerDigest.ForestChart(rows)!.PlotlyJson)!;
        var labels = forest["layout"]!["yaxis"]!["ticktext"]!.AsArray().Select(l => l!.GetValue<string>()).ToList();
        Assert.Equal(rows.Count(r => r.Factor is > 0), labels.Count);
        Assert.Contains("R0-01 Parameter counts, Original vs Alternative", labels);
        int i = labels.IndexOf("R0-01 Parameter counts, Original vs Alternative");
        Assert.Equal(6.2 / 31, forest["data"]![0]!["x"]![i]!.GetValue<double>(), 6);
        var shape = forest["layout"]!["shapes"]!.AsArray().First(s => s!["type"]!.GetValue<string>() == "rect" && s["y0"]!.GetValue<double>() == i - 0.4)!;
        Assert.Equal(0.5, shape["x0"]!.GetValue<double>(), 2);
    }

    [Fact]
    public void Every_claim_has_its_own_short_title_and_the_tables_show_it_whole()
    {
        Assert.All(ClaimCatalog.All, c =>
        {
            Assert.False(string.IsNullOrWhiteSpace(c.Short), c.Id);
            Assert.InRange(c.Short!.Length, 8, 55);
            // Not what a cut of the claim at its first full stop or bracket left ("Gradient computation 45" of "45.6 ms",
            // "Activation memory O" of "O(n^2 + nd)"): the claim's own start, stopped inside a number or a formula.
            bool cut = c.Text.StartsWith(c.Short, StringComparison.Ordinal) && c.Text.Length > c.Short.Length + 1
                && c.Text[c.Short.Length] is '.' or '(' && c.Text[c.Short.Length + 1] != ' ';
            Assert.False(cut, $"{c.Id}'s short title '{c.Short}' is its claim cut short");
            Assert.DoesNotContain("…", c.Short);
        });
        Assert.Equal(ClaimCatalog.All.Count, ClaimCatalog.All.Select(c => c.Short).Distinct().Count());
        Assert.Equal("Gradient computation speed-up", ClaimCatalog.Get("T1-08").Short);
        Assert.Equal("Model size on disk", ClaimCatalog.Get("G3-05").Short);
        // The implementer's instructions are kept apart from the claim.
        Assert.Equal("Try it.", ClaimCatalog.Get("G3-07").Method);
        Assert.DoesNotContain("Try it", ClaimCatalog.Get("G3-07").Text);

        var (rows, result) = Sample();
        var (_, tables) = PaperWriteUp.Number(rows, [result], Machine);
        var claims = tables.Where(t => t.Name.EndsWith("-claims", StringComparison.Ordinal)).SelectMany(t => t.Table.Rows).ToList();
        Assert.All(claims, r => Assert.Equal(ClaimCatalog.Get(r[0]).Short, r[1]));
        Assert.Contains("<td title=\"" + Html.Escape(ClaimCatalog.Get("T1-08").Text) + "\">Gradient computation speed-up</td>", HtmlReport.LedgerTable(rows));
    }

    [Fact]
    public void The_latex_write_up_inputs_every_table_includes_every_figure_and_compiles()
    {
        var (rows, result) = Sample();
        string dir = Repo.TempDir("writeup-tex");
        var files = PaperWriteUp.Write(dir, rows, [result], [], Machine, "reproduce");
        string latex = Path.Combine(dir, "report", "latex");
        string tex = File.ReadAllText(Path.Combine(latex, "writeup.tex"));
        var (figures, tables) = PaperWriteUp.Number(rows, [result], Machine);
        var blocks = PaperWriteUp.Compose(rows, [result], [], Machine, "reproduce", figures, tables);
        var shown = blocks.OfType<TableBlock>().Select(b => b.Table.Name).ToList();
        Assert.Equal(shown, System.Text.RegularExpressions.Regex.Matches(tex, @"\\input\{\.\./tables/([^}]+)\.tex\}").Select(m => m.Groups[1].Value));
        Assert.All(shown, t => Assert.True(File.Exists(Path.Combine(latex, "..", "tables", t + ".tex"))));
        Assert.All(figures, f => Assert.Contains($"{{../figures/{f.Name}.pdf}}", tex));
        Assert.All(figures, f => Assert.True(File.Exists(Path.Combine(latex, "..", "figures", f.Name + ".pdf"))));
        Assert.Contains("\\begin{abstract}", tex);
        Assert.Matches(@"\\section\*\{\d+\. References\}", tex);
        Assert.Matches(@"\\section\*\{\d+\. Limitations\}", tex);

        ExternalTools.Require(ExternalTools.Latex);
        var psi = new ProcessStartInfo("/usr/bin/pdflatex") { WorkingDirectory = latex, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-interaction=nonstopmode", "-halt-on-error", "writeup.tex" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string log = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "pdflatex failed: " + string.Join("\n", log.Split('\n').Where(l => l.StartsWith('!')).Take(5)) + err.Result);
        Assert.Equal("%PDF-"u8.ToArray(), File.ReadAllBytes(Path.Combine(latex, "writeup.pdf"))[..5]);
        Assert.True(File.Exists(files.Pdf), "compiling the LaTeX must leave the write-up's own PDF in place");
    }

    [Fact]
    public void The_pdf_reads_back_as_text_with_its_sections_in_order()
    {
        ExternalTools.Require(ExternalTools.Poppler);
        var (rows, result) = Sample();
        string dir = Repo.TempDir("writeup-pdf");
        var files = PaperWriteUp.Write(dir, rows, [result], [], Machine, "dotnet run --project lib/Raccoon.Research.Cli -- reproduce --profile quick");
        string text = Poppler("pdftotext", files.Pdf!, "-");
        string flat = System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");
        int at = 0;
        foreach (var heading in new[] { PaperWriteUp.Title, "Abstract", "1. Methods", "Table 1.", "2. Results at a glance", "Figure 1.", "Figure 2.", "3. Document 000",
                     "R0-01. Parameter counts, Original vs Alternative", "Document 004", "Contradictions found", "Limitations", "References", "Files" })
        {
            int next = flat.IndexOf(heading, at, StringComparison.Ordinal);
            Assert.True(next >= 0, $"'{heading}' is not in the PDF's text after position {at}");
            at = next;
        }
        foreach (var part in new[] { "provisional (needs standard)", "inconsistent", "H4-02", "5.0x short of the claim", "4c5ff21af7d9" })
            Assert.Contains(part, flat);
        var info = Poppler("pdfinfo", files.Pdf!);
        int pages = int.Parse(System.Text.RegularExpressions.Regex.Match(info, @"Pages:\s+(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(files.Pages, pages);
        Assert.InRange(pages, 3, 40);
    }

    // For every chart: its drawn SVG lies inside its box, its box overlaps none of the siblings of it or of any
    // of its ancestors, and it has drawn at least one trace with a visible shape.
    const string LayoutScript = """
        new Promise(resolve => {
          const start = Date.now();
          const check = () => {
            const plots = [...document.querySelectorAll('.plotly-figure')];
            const ready = plots.every(p => p.querySelector('svg.main-svg'));
            if (!(document.readyState === 'complete' && ready) && Date.now() - start < 30000) { setTimeout(check, 100); return; }
            const area = r => Math.max(0, r.width) * Math.max(0, r.height);
            const overlap = (a, b) => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
            const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : '');
            const problems = [];
            let drawn = 0;
            for (const p of plots) {
              const box = p.getBoundingClientRect();
              if (area(box) < 100) problems.push(name(p) + ' has no size');
              for (const svg of p.querySelectorAll('svg.main-svg')) {
                const r = svg.getBoundingClientRect();
                if (r.right > box.right + 1 || r.bottom > box.bottom + 1 || r.left < box.left - 1 || r.top < box.top - 1)
                  problems.push(name(p) + ' draws ' + r.width + 'x' + r.height + ' in a box of ' + box.width + 'x' + box.height);
              }
              for (let n = p; n && n !== document.body; n = n.parentElement) {
                const nr = n.getBoundingClientRect();
                for (const s of n.parentElement.children) {
                  if (s === n || ['SCRIPT', 'STYLE'].includes(s.tagName)) continue;
                  const sr = s.getBoundingClientRect();
                  if (area(sr) > 0 && overlap(nr, sr) > 1) problems.push(name(n) + ' overlaps ' + name(s));
                }
              }
              const shapes = [...p.querySelectorAll('g.trace path, g.slice path')].filter(e => { const b = e.getBBox(); return (b.width > 0 || b.height > 0) && (e.getAttribute('d') || '').length > 2; });
              if (shapes.length > 0) drawn++; else problems.push(name(p) + ' has no drawn trace');
            }
            resolve({ charts: plots.length, drawn, problems: problems.slice(0, 20), width: window.innerWidth });
          };
          check();
        })
        """;

    static async Task<(int Charts, int Drawn, string[] Problems)> Layout(string html, int width)
    {
        using var browser = HeadlessChromium.Open("about:blank", width, 1000);
        var v = await browser.EvaluateAsync(new Uri(Path.GetFullPath(html)).AbsoluteUri, LayoutScript, TimeSpan.FromSeconds(60));
        Assert.Equal(width, v!["width"]!.GetValue<int>());
        return (v["charts"]!.GetValue<int>(), v["drawn"]!.GetValue<int>(), v["problems"]!.AsArray().Select(p => p!.GetValue<string>()).ToArray());
    }

    static string Poppler(string tool, params string[] args)
    {
        string exe = "/usr/bin/" + tool;
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} failed: {err.Result}");
        return output;
    }

    [Fact]
    public async Task The_layout_check_sees_a_chart_drawn_taller_than_its_box()
    {
        ExternalTools.Require(ExternalTools.Chromium);
        // The report's old fault: a 600 x 600 layout in a 420 px container, covering the heading below it.
        string dir = Repo.TempDir("writeup-overflow");
        string html = Path.Combine(dir, "overflow.html");
        File.WriteAllText(html, "<!DOCTYPE html><html><head><script>" + PlotlyJs.Source + "</script></head><body>" +
            "<div class=\"figure\"><div id=\"f\" class=\"plotly-figure\" style=\"width:100%;height:420px\"></div></div><h2>Below</h2>" +
            "<script>Plotly.newPlot('f', [{type:'scatter', x:[1,2,3], y:[3,1,2]}], {width:600, height:600});</script></body></html>");
        var (charts, drawn, problems) = await Layout(html, 1000);
        Assert.Equal(1, charts);
        Assert.Equal(1, drawn);
        Assert.Contains(problems, p => p.Contains("draws") && p.Contains("in a box of"));
    }

    [Fact]
    public async Task The_report_and_the_write_up_draw_every_chart_inside_its_box()
    {
        ExternalTools.Require(ExternalTools.Chromium);
        var (rows, result) = Sample();
        string dir = Repo.TempDir("writeup");
        string report = HtmlReport.Write(dir, rows, [result], [], Machine);
        var files = PaperWriteUp.Write(dir, rows, [result], [], Machine, "dotnet run --project lib/Raccoon.Research.Cli -- reproduce --profile quick");
        Assert.True(files.Warning is null, files.Warning);

        // The report at 1400 px (as a reader opens it) and at a narrow 900 px: every chart drawn, nothing overlapping.
        foreach (int width in new[] { 1400, 900 })
        {
            var (charts, drawn, problems) = await Layout(report, width);
            Assert.Equal(1 + result.Figures.Count, charts); // the verdict tally, and the experiment's figures
            Assert.Empty(problems);
            Assert.Equal(charts, drawn);
        }
        string page = File.ReadAllText(report);
        Assert.Contains("<details>", page);
        Assert.Contains("href=\"#exp-write-up-check\"", page);
        Assert.Contains("href=\"#fig-write-up-check-speed\"", page);
        Assert.Contains("provisional (needs standard)", page);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(page, "Test CPU")); // the machine once, not in every row

        // The write-up: every chart drawn in its box, one per numbered figure.
        var (wCharts, wDrawn, wProblems) = await Layout(files.Html, 1000);
        Assert.Empty(wProblems);
        Assert.Equal(wCharts, wDrawn);
        Assert.Equal(3 * wCharts, files.Figures.Count);
    }
}
