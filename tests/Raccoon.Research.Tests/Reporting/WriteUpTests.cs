using System.Diagnostics;
using System.Text.Json.Nodes;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Reporting;
using Raccoon.Research.Reporting.WriteUp;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Reporting;

/// <summary>
/// The report and the paper-style write-up as a reader sees them: rendered in headless chromium (no chart
/// box overlaps another element, every chart draws its traces) and the PDF read back with poppler-utils
/// (its sections and pages). The ledger and results are made by hand, so no torch runs here.
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
        var tally = LedgerDigest.Tally(rows);
        Assert.Equal("all", tally.Rows[^1][0]);
        Assert.Equal("1", tally.Rows[^1][tally.Columns.ToList().IndexOf("inconsistent")]);
        // provisional: each measured row whose rule needs a larger profile than this quick result (R0-12 and the sampled ratio claim)
        int provisional = rows.Count(r => r.Verdict != Verdict.NotRun && ClaimCatalog.Get(r.Id).Rule.IsProvisionalAt("quick"));
        Assert.Equal(2, provisional);
        Assert.Equal(provisional.ToString(), tally.Rows[^1][tally.Columns.ToList().IndexOf("provisional")]);
        Assert.Equal(ClaimCatalog.All.Count.ToString(), tally.Rows[^1][^1]);
    }

    [Fact]
    public void Without_chromium_the_write_up_still_writes_html_and_tables_and_says_what_is_missing()
    {
        var (rows, result) = Sample();
        string dir = Repo.TempDir("writeup-nochromium");
        var files = PaperWriteUp.Write(dir, rows, [result], [], Machine, "reproduce", useChromium: false);
        Assert.Null(files.Pdf);
        Assert.Empty(files.Figures);
        Assert.Contains("chromium", files.Warning);
        Assert.Contains(Html.Escape("need Debian's chromium"), File.ReadAllText(files.Html));
        Assert.All(files.Tables, f => Assert.True(File.Exists(f), f));
        Assert.Contains(files.Tables, f => f.EndsWith("-write-up-check-counts.tex", StringComparison.Ordinal));
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
        if (!File.Exists(exe)) throw new InvalidOperationException($"{exe} is missing: install Debian's poppler-utils (.ci/run does)");
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
    public async Task The_report_and_the_write_up_draw_every_chart_inside_its_box_and_the_pdf_has_its_sections()
    {
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

        // The write-up: every chart drawn in its box; every figure as SVG and PNG, every table as CSV, TeX and Markdown.
        var (wCharts, wDrawn, wProblems) = await Layout(files.Html, 1000);
        Assert.Empty(wProblems);
        Assert.Equal(wCharts, wDrawn);
        Assert.Equal(2 * wCharts, files.Figures.Count);
        Assert.All(files.Figures.Where(f => f.EndsWith(".svg", StringComparison.Ordinal)), f => Assert.StartsWith("<svg", File.ReadAllText(f)));
        Assert.All(files.Figures.Where(f => f.EndsWith(".png", StringComparison.Ordinal)), f => Assert.Equal(0x89, File.ReadAllBytes(f)[0]));

        // The PDF as text and as pages.
        Assert.NotNull(files.Pdf);
        string text = Poppler("pdftotext", "-layout", files.Pdf!, "-");
        foreach (var heading in new[] { "Abstract", "1. Methods", "2. Results at a glance", "Document 000", "Document 004", "Contradictions found", "Files",
                     "Figure 1.", $"Figure {wCharts}.", "Table 1.", "provisional (needs standard)", "inconsistent", "R0-01", "H4-02" })
            Assert.Contains(heading, text);
        var info = Poppler("pdfinfo", files.Pdf!);
        int pages = int.Parse(System.Text.RegularExpressions.Regex.Match(info, @"Pages:\s+(\d+)").Groups[1].Value);
        Assert.InRange(pages, 3, 40);
        string png = Path.Combine(dir, "page");
        Poppler("pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", files.Pdf!, png);
        Assert.Single(Directory.GetFiles(dir, "page*.png"));
    }
}
