using System.Globalization;
using System.Text;
using Raccoon.Research.Experiments;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;

namespace Raccoon.Research.Reporting.WriteUp;

/// <summary>What the write-up wrote, and what it could not (the PDF and images need chromium).</summary>
public sealed record WriteUpFiles(string Html, string? Pdf, IReadOnlyList<string> Figures, IReadOnlyList<string> Tables, string? Warning);

/// <summary>A numbered figure of the write-up: its number, file name (no extension), caption and the figure.</summary>
public sealed record NumberedFigure(int Number, string Name, string Caption, Figure Figure, string? Document);

/// <summary>A numbered table of the write-up: its number, file name (no extension), caption and the table.</summary>
public sealed record NumberedTable(int Number, string Name, string Caption, Table Table, string? Document);

/// <summary>
/// A paper-style write-up of one run, generated from the stored results and the ledger (no figure typed in):
/// title, an abstract from the tallies, a methods section (machine, threads, library versions, profile,
/// seeds, the commands to reproduce), the results per document with numbered tables and figures and their
/// captions, the contradictions the rows' evidence shows, and the experiments that crashed. Writes under
/// DIR/report/: writeup.html (self-contained: plotly.js inlined), writeup.pdf (printed by headless chromium
/// once the charts have drawn), figures/*.svg and *.png (plotly.js's toImage in chromium) and tables/*.csv,
/// *.tex (booktabs) and *.md. Without chromium it writes the HTML and the tables and says what is missing.
/// </summary>
public static class PaperWriteUp
{
    public const string HtmlName = "writeup.html";
    public const string PdfName = "writeup.pdf";

    public const string Title = "Which claims of five architecture documents hold: a measured reproduction";

    public static WriteUpFiles Write(string outDir, IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results,
        IReadOnlyList<ExperimentFailure> failures, MachineContext? machine = null, string? command = null, bool useChromium = true)
    {
        string reportDir = Path.Combine(outDir, "report");
        string figuresDir = Path.Combine(reportDir, "figures"), tablesDir = Path.Combine(reportDir, "tables");
        Directory.CreateDirectory(figuresDir);
        Directory.CreateDirectory(tablesDir);
        var (figures, tables) = Number(ledger, results, machine);

        var tableFiles = new List<string>();
        foreach (var t in tables)
        {
            string stem = Path.Combine(tablesDir, t.Name);
            AtomicFile.WriteAllText(stem + ".csv", TableFormats.Csv(t.Table));
            AtomicFile.WriteAllText(stem + ".tex", TableFormats.Tex(t.Table, "tab:" + t.Name, $"Table {t.Number}. {t.Caption}"));
            AtomicFile.WriteAllText(stem + ".md", TableFormats.Markdown(t.Table, $"Table {t.Number}. {t.Caption}"));
            tableFiles.AddRange([stem + ".csv", stem + ".tex", stem + ".md"]);
        }

        string? chromium = useChromium ? HeadlessPrinter.Find() : null;
        string? warning = chromium is null
            ? "writeup.pdf and the figure images (figures/*.svg, *.png) need Debian's chromium (apt-get install chromium), which this machine lacks; the HTML and the tables are written"
            : null;
        string html = Path.Combine(reportDir, HtmlName);
        AtomicFile.WriteAllText(html, Render(ledger, results, failures, machine, command, figures, tables, warning));

        var figureFiles = new List<string>();
        string? pdf = null;
        if (chromium is not null)
        {
            try
            {
                figureFiles.AddRange(HeadlessPrinter.ExportImages(chromium, [.. figures.Select(f => (f.Figure, f.Name))], figuresDir));
                pdf = Path.Combine(reportDir, PdfName);
                HeadlessPrinter.PrintPdf(chromium, html, pdf);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or FormatException or System.ComponentModel.Win32Exception)
            {
                warning = $"chromium ({chromium}) failed, so {(pdf is null ? "the figure images and " : "")}writeup.pdf are missing: {e.Message}";
                pdf = null;
            }
        }
        return new WriteUpFiles(html, pdf, figureFiles, tableFiles, warning);
    }

    /// <summary>The documents in order, each with the rows of its claims.</summary>
    static IEnumerable<IGrouping<string, LedgerRow>> Documents(IReadOnlyList<LedgerRow> ledger) => ledger.GroupBy(r => r.Document).OrderBy(g => g.Key);

    /// <summary>The results behind a document's measured rows, in the order the rows name them.</summary>
    static IReadOnlyList<StoredResult> ResultsOf(IEnumerable<LedgerRow> rows, IReadOnlyList<StoredResult> results) =>
        rows.Where(r => r.Experiment is not null).Select(r => r.Experiment!).Distinct()
            .Select(e => results.FirstOrDefault(x => x.Experiment == e)).OfType<StoredResult>().ToList();

    /// <summary>Every figure and table of the write-up, numbered in reading order, with its caption and file name.</summary>
    public static (IReadOnlyList<NumberedFigure> Figures, IReadOnlyList<NumberedTable> Tables) Number(
        IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results, MachineContext? machine)
    {
        var figures = new List<NumberedFigure>();
        var tables = new List<NumberedTable>();
        void AddTable(string name, string caption, Table t, string? doc) =>
            tables.Add(new(tables.Count + 1, $"table-{tables.Count + 1:00}-{Slug(name)}", caption, t, doc));
        void AddFigure(string name, string caption, Figure f, string? doc) =>
            figures.Add(new(figures.Count + 1, $"figure-{figures.Count + 1:00}-{Slug(name)}", caption, f, doc));

        AddTable("run", "The run: profiles, seeds, threads, machine and library versions.", RunTable(ledger, results, machine), null);
        AddTable("verdicts-per-document", "Verdicts per document in this run (provisional: measured below the profile the claim's rule needs).", LedgerDigest.Tally(ledger), null);
        AddFigure("verdicts-per-document", "Verdicts per document, stacked, in the verdicts' colours.", LedgerDigest.TallyChart(ledger), null);
        foreach (var doc in Documents(ledger))
        {
            AddTable($"{doc.Key}-claims", $"The claims of document {doc.Key} ({LedgerDigest.DocumentName(doc.Key)}): the document's figure, the measured figure, the verdict and whether it is final.",
                ClaimsTable(doc.Where(r => r.Verdict != Verdict.NotRun).ToList()), doc.Key);
            foreach (var r in ResultsOf(doc, results))
            {
                string from = $"Experiment {r.Experiment}, profile {Profile(r)}, seed {r.Seed}, {r.Threads} torch threads.";
                for (int i = 0; i < r.Figures.Count; i++)
                    AddFigure($"{r.Experiment}-{r.Figures[i].Key ?? (i + 1).ToString(CultureInfo.InvariantCulture)}", $"{r.Figures[i].Title}. {from}", r.Figures[i], doc.Key);
                for (int i = 0; i < r.Tables.Count; i++)
                    AddTable($"{r.Experiment}-{r.Tables[i].Key ?? (i + 1).ToString(CultureInfo.InvariantCulture)}", $"{r.Tables[i].Title}. {from}", r.Tables[i], doc.Key);
            }
        }
        return (figures, tables);
    }

    static string Profile(StoredResult r) => r.Profile.ToString().ToLowerInvariant();

    static Table ClaimsTable(IReadOnlyList<LedgerRow> rows) => new("Claims", ["ID", "claim", "document says", "measured", "verdict", "status"],
        [.. rows.Select(r => (IReadOnlyList<string>)[r.Id, LedgerDigest.ShortTitle(r), r.Claimed, LedgerDigest.ShortMeasured(r), r.Verdict.Name(), LedgerDigest.Status(r)])]);

    static Table RunTable(IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results, MachineContext? machine)
    {
        static string List<T>(IEnumerable<T> xs) { var l = xs.Select(x => x?.ToString() ?? "").Where(x => x.Length > 0).Distinct().Order().ToList(); return l.Count == 0 ? "none" : string.Join(", ", l); }
        var measured = ledger.Where(r => r.Verdict != Verdict.NotRun).ToList();
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "claims measured", $"{measured.Count} of {ledger.Count}" },
            new[] { "profiles", List(measured.Select(r => r.Profile)) },
            new[] { "seeds", List(measured.Select(r => r.Seed)) },
            new[] { "torch threads", List(results.Select(r => r.Threads)) },
            new[] { "experiments", results.Count.ToString(CultureInfo.InvariantCulture) },
            new[] { "experiment time", $"{results.Sum(r => r.Seconds).ToString("F0", CultureInfo.InvariantCulture)} s" },
            new[] { "measured", measured.Count == 0 ? "none" : $"{measured.Min(r => r.MeasuredAt):u} to {measured.Max(r => r.MeasuredAt):u}" },
            new[] { "library builds", List(results.Select(r => r.LibraryVersion)) },
        };
        if (machine is not null)
            rows.AddRange(machine.ToTable().Rows.Where(r => r[0] is not ("torch threads" or "host")));
        rows.Add(["plotly.js", PlotlyJs.Version]);
        return new Table("Run", ["property", "value"], rows).Named("run");
    }

    static string Render(IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results, IReadOnlyList<ExperimentFailure> failures,
        MachineContext? machine, string? command, IReadOnlyList<NumberedFigure> figures, IReadOnlyList<NumberedTable> tables, string? warning)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Html.Escape(Title)).Append("</title><style>")
          .Append(Css).Append("</style><script>").Append(PlotlyJs.Source).Append("</script></head><body>");
        var measured = ledger.Where(r => r.Verdict != Verdict.NotRun).ToList();
        sb.Append("<header><h1>").Append(Html.Escape(Title)).Append("</h1><p class=\"byline\">Raccoon.Research, generated ")
          .Append(measured.Count == 0 ? "from an empty ledger" : $"from the run of {measured.Max(r => r.MeasuredAt):yyyy-MM-dd}")
          .Append("; profile ").Append(Html.Escape(string.Join(", ", measured.Select(r => r.Profile).Distinct()))).Append("</p></header>");
        if (warning is not null) sb.Append("<p class=\"warning\">").Append(Html.Escape(warning)).Append("</p>");

        sb.Append("<section id=\"abstract\" class=\"abstract\"><h2>Abstract</h2><p>").Append(Html.Escape(Abstract(ledger, results))).Append("</p></section>");

        int section = 0;
        string Ref(NumberedTable t) => $"<a href=\"#{t.Name}\">Table {t.Number}</a>";
        string FigRef(NumberedFigure f) => $"<a href=\"#{f.Name}\">Figure {f.Number}</a>";

        sb.Append("<section id=\"methods\"><h2>").Append(++section).Append(". Methods</h2>");
        sb.Append("<p>Each claim of the five documents is kept as data (its words, the document's figure, and a verdict rule with a tolerance and a one-line reason, fixed before any run). ")
          .Append("An experiment builds the models the document describes, and where the upstream code differs the models it defines, measures them on this machine, and returns the measured figure; the claim's rule turns it into a verdict. ")
          .Append("A rule may name the smallest profile at which its verdict is final; a row measured below it is marked provisional. Timings are medians of interleaved repetitions; where a timing's interval straddles a boundary of the rule the verdict is inconclusive. ")
          .Append($"{Ref(tables[0])} gives the machine, the threads, the library versions, the profile and the seeds of this run.</p>");
        sb.Append(TableHtml(tables[0]));
        sb.Append("<p>To reproduce this run and this write-up, from the repository root:</p><pre>")
          .Append(Html.Escape(command ?? "dotnet run --project lib/Raccoon.Research.Cli -- reproduce")).Append("</pre>")
          .Append("<p>which writes the ledger (claims.json, claims.csv), the report (report/index.html) and this write-up (report/writeup.html, report/writeup.pdf, report/figures/, report/tables/). ")
          .Append("The same seed gives the same non-timing figures; timings depend on the machine and its load.</p></section>");

        sb.Append("<section id=\"overview\"><h2>").Append(++section).Append(". Results at a glance</h2><p>")
          .Append($"{Ref(tables[1])} counts the verdicts per document and {FigRef(figures[0])} draws them.</p>")
          .Append(TableHtml(tables[1])).Append(FigureHtml(figures[0])).Append("</section>");

        foreach (var doc in Documents(ledger))
        {
            var rows = doc.ToList();
            var done = rows.Where(r => r.Verdict != Verdict.NotRun).ToList();
            sb.Append("<section id=\"doc-").Append(doc.Key).Append("\" class=\"document\"><h2>").Append(++section).Append(". Document ").Append(doc.Key).Append(": ")
              .Append(Html.Escape(LedgerDigest.DocumentTitle(doc.Key))).Append(" (").Append(LedgerDigest.DocumentName(doc.Key)).Append(")</h2>");
            var notRun = rows.Where(r => r.Verdict == Verdict.NotRun).Select(r => r.Id).ToList();
            if (done.Count == 0)
            {
                sb.Append("<p>No claim of this document was measured in this run (").Append(notRun.Count).Append(" claims not run: ")
                  .Append(Html.Escape(string.Join(", ", notRun))).Append(").</p></section>");
                continue;
            }
            var docTable = tables.First(t => t.Document == doc.Key);
            sb.Append("<p>").Append(done.Count).Append(" of ").Append(rows.Count).Append(" claims were measured: ").Append(Html.Escape(TallyWords(done))).Append(". ")
              .Append(Ref(docTable)).Append(" lists them")
              .Append(notRun.Count > 0 ? $"; not run here: {Html.Escape(string.Join(", ", notRun))}" : "").Append(".</p>");
            sb.Append(TableHtml(docTable));
            foreach (var r in done)
            {
                var own = figures.Where(f => f.Document == doc.Key && r.Experiment is not null && f.Name.Contains(Slug(r.Experiment), StringComparison.Ordinal)).ToList();
                sb.Append("<div class=\"claim\" id=\"claim-").Append(r.Id).Append("\"><h3>").Append(r.Id).Append(". ").Append(Html.Escape(LedgerDigest.ShortTitle(r))).Append("</h3>")
                  .Append("<p class=\"claimtext\">").Append(Html.Escape(r.Claim)).Append("</p><p><b>The document says</b> ").Append(Html.Escape(r.Claimed))
                  .Append(". <b>Measured:</b> ").Append(Html.Escape(r.Measured)).Append("</p><p><b>Verdict:</b> ").Append(HtmlReport.VerdictBadge(r.Verdict)).Append(' ')
                  .Append(r.Provisional || r.Converged == false ? $"<span class=\"provisional\">{Html.Escape(LedgerDigest.Status(r))}</span>" : Html.Escape(LedgerDigest.Status(r)));
                if (r.OffBy is { } off) sb.Append("; ").Append(Html.Escape(off));
                string builds = LedgerFiles.BuildsText(r.Builds);
                if (builds.Length > 0 && !(r.Reason ?? "").Contains(builds, StringComparison.Ordinal)) sb.Append("; per build: ").Append(Html.Escape(builds));
                sb.Append(". ").Append(Html.Escape(r.Reason ?? "")).Append("</p><p class=\"evidence\">Evidence: ").Append(Html.Escape(r.Evidence));
                if (own.Count > 0) sb.Append("; see ").Append(string.Join(", ", own.Select(FigRef)));
                sb.Append(".</p></div>");
            }
            foreach (var f in figures.Where(f => f.Document == doc.Key)) sb.Append(FigureHtml(f));
            foreach (var t in tables.Where(t => t.Document == doc.Key && t != docTable)) sb.Append(TableHtml(t));
            sb.Append("</section>");
        }

        sb.Append("<section id=\"contradictions\"><h2>").Append(++section).Append(". Contradictions found</h2>").Append(Contradictions(measured)).Append("</section>");
        if (failures.Count > 0)
        {
            sb.Append("<section id=\"failures\"><h2>").Append(++section).Append(". Experiments that crashed</h2><ul>");
            foreach (var f in failures)
                sb.Append("<li><b>").Append(Html.Escape(f.Experiment)).Append("</b>: ").Append(Html.Escape(f.Error.Split('\n')[0])).Append("</li>");
            sb.Append("</ul></section>");
        }
        sb.Append("<section id=\"files\"><h2>").Append(++section).Append(". Files</h2><p>Every figure of this write-up is in report/figures/ as SVG and PNG, every table in report/tables/ as CSV, LaTeX (booktabs) and Markdown, under the names below.</p><ul class=\"files\">");
        foreach (var f in figures) sb.Append("<li>Figure ").Append(f.Number).Append(": figures/").Append(f.Name).Append(".svg, .png</li>");
        foreach (var t in tables) sb.Append("<li>Table ").Append(t.Number).Append(": tables/").Append(t.Name).Append(".csv, .tex, .md</li>");
        sb.Append("</ul></section>");
        return sb.Append("</body></html>").ToString();
    }

    /// <summary>The abstract, from the tallies of the ledger.</summary>
    public static string Abstract(IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results)
    {
        var measured = ledger.Where(r => r.Verdict != Verdict.NotRun).ToList();
        int documents = ledger.Select(r => r.Document).Distinct().Count();
        if (measured.Count == 0)
            return $"The ledger holds {ledger.Count} claims of {documents} architecture documents; none was measured in this run.";
        var sb = new StringBuilder();
        int docsMeasured = measured.Select(r => r.Document).Distinct().Count();
        sb.Append($"The {documents} architecture documents make {ledger.Count} claims about model structure, speed, memory and training; ")
          .Append($"this run measured {measured.Count} of them, from {docsMeasured} of the {documents} documents, ")
          .Append($"with {results.Count} experiment{(results.Count == 1 ? "" : "s")} at profile {string.Join(", ", measured.Select(r => r.Profile).Distinct())} on a CPU. ");
        sb.Append($"Of the claims measured, {TallyWords(measured)}. ");
        int provisional = measured.Count(r => r.Provisional);
        if (provisional > 0)
            sb.Append($"{provisional} of these verdicts {(provisional == 1 ? "is" : "are")} provisional: measured below the profile {(provisional == 1 ? "its" : "their")} rule needs ({string.Join(", ", measured.Where(r => r.Provisional).Select(r => r.Id))}). ");
        foreach (var doc in measured.GroupBy(r => r.Document).OrderBy(g => g.Key))
            sb.Append($"Document {doc.Key} ({LedgerDigest.DocumentName(doc.Key)}): {TallyWords([.. doc])}. ");
        int inconsistent = measured.Count(r => r.Verdict == Verdict.Inconsistent) + measured.Count(BuildsDisagree);
        if (inconsistent > 0) sb.Append($"{inconsistent} finding{(inconsistent == 1 ? "" : "s")} show the document contradicting itself or its upstream code (section Contradictions found).");
        return sb.ToString().Trim();
    }

    /// <summary>"2 hold, 1 fails, 1 is not testable here": the verdicts of the rows in words.</summary>
    public static string TallyWords(IReadOnlyList<LedgerRow> rows)
    {
        var parts = LedgerDigest.Order.Select(v => (v, n: rows.Count(r => r.Verdict == v))).Where(x => x.n > 0).Select(x => $"{x.n} {Words(x.v, x.n)}").ToList();
        return parts.Count switch { 0 => "none", 1 => parts[0], _ => string.Join(", ", parts[..^1]) + " and " + parts[^1] };
    }

    static string Words(Verdict v, int n) => (v, n == 1) switch
    {
        (Verdict.Holds, true) => "holds",
        (Verdict.Holds, false) => "hold",
        (Verdict.Partly, _) => "hold partly",
        (Verdict.Fails, true) => "fails",
        (Verdict.Fails, false) => "fail",
        (Verdict.Inconclusive, true) => "is inconclusive",
        (Verdict.Inconclusive, false) => "are inconclusive",
        (Verdict.Inconsistent, true) => "is inconsistent",
        (Verdict.Inconsistent, false) => "are inconsistent",
        (Verdict.NotTestableHere, true) => "is not testable here",
        (Verdict.NotTestableHere, false) => "are not testable here",
        (Verdict.Reported, true) => "is reported (the document left it blank)",
        (Verdict.Reported, false) => "are reported (the document left them blank)",
        _ => "not run",
    };

    static bool BuildsDisagree(LedgerRow r) => r.Builds is { Count: > 1 } b && b.Select(x => x.Verdict).Distinct().Count() > 1;

    /// <summary>The rows whose evidence shows the document at odds with itself or with its upstream code.</summary>
    static string Contradictions(IReadOnlyList<LedgerRow> measured)
    {
        var inconsistent = measured.Where(r => r.Verdict == Verdict.Inconsistent).ToList();
        var builds = measured.Where(BuildsDisagree).ToList();
        if (inconsistent.Count == 0 && builds.Count == 0)
            return "<p>None among the claims measured in this run: no row is inconsistent, and where a claim was measured on several builds they agree.</p>";
        var sb = new StringBuilder("<ul class=\"contradictions\">");
        foreach (var r in inconsistent)
            sb.Append("<li><a href=\"#claim-").Append(r.Id).Append("\">").Append(r.Id).Append("</a> (").Append(Html.Escape(LedgerDigest.ShortTitle(r)))
              .Append("): the document says ").Append(Html.Escape(r.Claimed)).Append("; measured: ").Append(Html.Escape(r.Measured)).Append(". ")
              .Append(Html.Escape(r.Reason ?? "")).Append("</li>");
        foreach (var r in builds)
            sb.Append("<li><a href=\"#claim-").Append(r.Id).Append("\">").Append(r.Id).Append("</a> (").Append(Html.Escape(LedgerDigest.ShortTitle(r)))
              .Append("): the build the document describes and the build its upstream code defines get different verdicts: ")
              .Append(Html.Escape(LedgerFiles.BuildsText(r.Builds))).Append(".</li>");
        return sb.Append("</ul>").ToString();
    }

    static string TableHtml(NumberedTable t)
    {
        var sb = new StringBuilder("<div class=\"table\" id=\"").Append(t.Name).Append("\"><table><caption><b>Table ").Append(t.Number).Append(".</b> ")
            .Append(Html.Escape(t.Caption)).Append("</caption><thead><tr>");
        foreach (var c in t.Table.Columns) sb.Append("<th>").Append(Html.Escape(c)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in t.Table.Rows)
        {
            sb.Append("<tr>");
            for (int i = 0; i < t.Table.Columns.Count; i++)
            {
                string cell = i < row.Count ? row[i] : "";
                bool verdict = t.Table.Columns[i] == "verdict";
                sb.Append("<td>").Append(verdict ? HtmlReport.VerdictBadge(VerdictNames.Parse(cell)) : cell.StartsWith("provisional", StringComparison.Ordinal)
                    ? $"<span class=\"provisional\">{Html.Escape(cell)}</span>" : Html.Escape(cell)).Append("</td>");
            }
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table></div>").ToString();
    }

    static string FigureHtml(NumberedFigure f) =>
        $"<figure id=\"{f.Name}\">{f.Figure.ToHtmlFragment("plot-" + f.Name)}<figcaption><b>Figure {f.Number}.</b> {Html.Escape(f.Caption)}</figcaption></figure>";

    /// <summary>A file-name-safe lower-case slug.</summary>
    public static string Slug(string s)
    {
        var sb = new StringBuilder();
        foreach (char c in s.ToLowerInvariant())
            sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        string slug = System.Text.RegularExpressions.Regex.Replace(sb.ToString(), "-+", "-").Trim('-');
        return slug.Length == 0 ? "x" : slug.Length > 60 ? slug[..60].TrimEnd('-') : slug;
    }

    // A paper column: the page is as wide on screen as in print (A4 less 20 mm margins), so the charts
    // are laid out at the width they are printed at.
    const string Css = """
        @page{size:A4;margin:20mm}
        body{font-family:"DejaVu Serif",Georgia,serif;max-width:170mm;margin:2em auto;color:#111;line-height:1.4;font-size:11pt}
        h1{font-size:18pt;text-align:center;margin-bottom:0.2em} .byline{text-align:center;color:#555;margin-top:0}
        h2{font-size:14pt;margin-top:1.4em} h3{font-size:11.5pt;margin:1em 0 0.3em}
        .abstract{margin:1em 2em;font-size:10pt} .abstract h2{font-size:11pt;text-align:center}
        table{border-collapse:collapse;margin:0.6em 0;font-size:8.5pt;width:100%;border-top:1.5px solid #000;border-bottom:1.5px solid #000}
        thead th{border-bottom:1px solid #000} th,td{padding:2px 5px;text-align:left;vertical-align:top}
        caption{caption-side:top;text-align:left;font-size:9.5pt;padding-bottom:4px}
        .table{break-inside:avoid;margin:1em 0} figure{margin:1em 0;break-inside:avoid} figcaption{font-size:9.5pt}
        .figure{width:100%;overflow:hidden} .plotly-figure{width:100%}
        .verdict{color:#fff;border-radius:3px;padding:0 4px;font-weight:600;white-space:nowrap;font-family:sans-serif;font-size:8.5pt;
          -webkit-print-color-adjust:exact;print-color-adjust:exact}
        .provisional{background:#fff3cd;border:1px solid #e0c060;border-radius:3px;padding:0 3px;white-space:nowrap;-webkit-print-color-adjust:exact;print-color-adjust:exact}
        .claimtext{font-style:italic;font-size:10pt} .evidence{font-size:9.5pt;color:#444} .claim{break-inside:avoid}
        pre{white-space:pre-wrap;background:#f6f6f6;padding:0.5em;font-size:9pt} .warning{border:1px solid #c62828;padding:0.5em;color:#c62828}
        ul.files{font-size:9pt;columns:2} td:first-child{white-space:nowrap} .modebar-container{display:none}
        """;
}
