using System.Globalization;
using System.Text;
using Raccoon.Research.Experiments;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;

namespace Raccoon.Research.Reporting.WriteUp;

/// <summary>What the write-up wrote: the HTML, the PDF and its page count, every figure file (SVG, PNG, PDF) and table file.</summary>
public sealed record WriteUpFiles(string Html, string? Pdf, IReadOnlyList<string> Figures, IReadOnlyList<string> Tables, string? Warning, int Pages = 0);

/// <summary>A numbered figure of the write-up: its number, file name (no extension), caption and the figure.</summary>
public sealed record NumberedFigure(int Number, string Name, string Caption, Figure Figure, string? Document);

/// <summary>A numbered table of the write-up: its number, file name (no extension), caption and the table.</summary>
public sealed record NumberedTable(int Number, string Name, string Caption, Table Table, string? Document);

/// <summary>
/// A paper-style write-up of one run, generated from the stored results and the ledger (no figure typed in):
/// title, an abstract that states the findings (the largest discrepancies, the contradictions), a methods section
/// (machine, threads, library versions, profile, seeds, the commands to reproduce), the results per document with
/// numbered tables and figures and their captions, a forest plot of every numeric claim, the contradictions, the
/// limitations of this run, and references. Composed once as blocks (<see cref="Compose"/>) and set as
/// DIR/report/writeup.html (self-contained: plotly.js inlined) and DIR/report/writeup.pdf (SkiaSharp's PDF back end,
/// <see cref="PdfLayout"/>), with figures/*.svg, *.png, *.pdf (<see cref="StaticFigure"/>) and tables/*.csv, *.tex
/// (booktabs), *.md. Everything is made in process: no browser or other program is needed.
/// </summary>
public static class PaperWriteUp
{
    public const string HtmlName = "writeup.html";
    public const string PdfName = "writeup.pdf";

    public const string Title = "Which claims of five architecture documents hold: a measured reproduction";

    public static WriteUpFiles Write(string outDir, IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results,
        IReadOnlyList<ExperimentFailure> failures, MachineContext? machine = null, string? command = null)
    {
        using var culture = InvariantFormatting.Enter(); // the page, the PDF, the LaTeX and every figure and table file
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

        var figureFiles = new List<string>();
        foreach (var f in figures)
        {
            string stem = Path.Combine(figuresDir, f.Name);
            AtomicFile.WriteAllBytes(stem + ".svg", StaticFigure.Svg(f.Figure));
            AtomicFile.WriteAllBytes(stem + ".png", StaticFigure.Png(f.Figure));
            AtomicFile.WriteAllBytes(stem + ".pdf", StaticFigure.Pdf(f.Figure));
            figureFiles.AddRange([stem + ".svg", stem + ".png", stem + ".pdf"]);
        }

        var blocks = Compose(ledger, results, failures, machine, command, figures, tables, outDir);
        string html = Path.Combine(reportDir, HtmlName);
        AtomicFile.WriteAllText(html, Page(blocks));
        Directory.CreateDirectory(Path.Combine(reportDir, TexWriteUp.Folder));
        AtomicFile.WriteAllText(Path.Combine(reportDir, TexWriteUp.Folder, TexWriteUp.FileName),
            TexWriteUp.Write(Title, blocks, tableFiles.Where(f => f.EndsWith(".tex", StringComparison.Ordinal)).Select(File.ReadAllText)));
        string pdf = Path.Combine(reportDir, PdfName);
        int pages = PdfLayout.Write(pdf, Title, blocks);
        return new WriteUpFiles(html, pdf, figureFiles, tableFiles, null, pages);
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
        using var culture = InvariantFormatting.Enter();
        var figures = new List<NumberedFigure>();
        var tables = new List<NumberedTable>();
        void AddTable(string name, string caption, Table t, string? doc) =>
            tables.Add(new(tables.Count + 1, $"table-{tables.Count + 1:00}-{Slug(name)}", caption, t, doc));
        void AddFigure(string name, string caption, Figure f, string? doc) =>
            figures.Add(new(figures.Count + 1, $"figure-{figures.Count + 1:00}-{Slug(name)}", caption, f, doc));

        AddTable("run", "The run: profiles, seeds, threads, machine and library versions.", RunTable.Of(ledger, results, machine), null);
        AddTable("verdicts-per-document", "Verdicts per document in this run (provisional: measured below the profile the claim's rule needs).", LedgerDigest.Tally(ledger), null);
        AddFigure("verdicts-per-document", "Verdicts per document, stacked, in the verdicts' colours.", LedgerDigest.TallyChart(ledger), null);
        if (LedgerDigest.ForestChart(ledger) is { } forest)
            AddFigure("forest", "Every numeric claim at once: the measured figure divided by the document's (log scale), with the interval of the measurement where it has one; " +
                "the shaded band is where the claim's rule says holds, the dashed line is equality; points in the verdicts' colours, (prov.) marks a provisional row.", forest, null);
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

    /// <summary>The HTML page of the write-up: its stylesheet, plotly.js inlined, the title and the blocks.</summary>
    public static string Page(IReadOnlyList<Block> blocks) =>
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Html.Escape(Title) + "</title><style>" + VerdictStyle.Css() + Css + "</style><script>" +
        PlotlyJs.Source + "</script></head><body><header><h1>" + Html.Escape(Title) + "</h1></header>" + BlockHtml.Write(blocks) + "</body></html>";

    /// <summary>The write-up's content, once, in reading order; the HTML and the PDF are both set from it.</summary>
    public static IReadOnlyList<Block> Compose(IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results, IReadOnlyList<ExperimentFailure> failures,
        MachineContext? machine, string? command, IReadOnlyList<NumberedFigure> figures, IReadOnlyList<NumberedTable> tables, string? outDir = null)
    {
        using var culture = InvariantFormatting.Enter();
        var b = new List<Block>();
        var measured = ledger.Where(r => r.Verdict != Verdict.NotRun).ToList();
        b.Add(new Paragraph("Raccoon.Research, generated " + (measured.Count == 0 ? "from an empty ledger" : $"from the run of {measured.Max(r => r.MeasuredAt):yyyy-MM-dd}") +
            "; profile " + string.Join(", ", measured.Select(r => r.Profile).Distinct()), "byline"));
        b.Add(new Heading(2, "Abstract", "abstract"));
        b.Add(new Paragraph(Abstract(ledger, results), "abstract"));

        int section = 0;
        string T(NumberedTable t) => $"Table {t.Number}";
        string F(NumberedFigure f) => $"Figure {f.Number}";
        var forest = figures.FirstOrDefault(f => f.Name.EndsWith("-forest", StringComparison.Ordinal));

        b.Add(new Heading(2, $"{++section}. Methods", "methods"));
        b.Add(new Paragraph("Each claim of the five documents is kept as data (its words, the document's figure, and a verdict rule with a tolerance and a one-line reason, fixed before any run). " +
            "An experiment builds the models the document describes, and where the upstream code differs the models it defines, measures them on this machine, and returns the measured figure; the claim's rule turns it into a verdict. " +
            "A rule may name the smallest profile at which its verdict is final; a row measured below it is marked provisional. A model trained for a claim must reach its rule's plateau, else the row is inconclusive (not converged at this size). " +
            $"Timings are medians of interleaved repetitions; where a timing's interval straddles a boundary of the rule the verdict is inconclusive. {T(tables[0])} gives the machine, the threads, the library versions, the profile and the seeds of this run."));
        b.Add(new TableBlock(tables[0]));
        b.Add(new Paragraph("To reproduce this run and this write-up, from the repository root:"));
        b.Add(new Preformatted(command ?? "dotnet run --project lib/Raccoon.Research.Cli -- reproduce"));
        b.Add(new Paragraph("which writes the ledger (claims.json, claims.csv), the report (report/index.html) and this write-up (report/writeup.html, report/writeup.pdf, report/figures/, report/tables/). " +
            "The same seed gives the same non-timing figures; timings depend on the machine and its load."));

        b.Add(new Heading(2, $"{++section}. Results at a glance", "overview"));
        b.Add(new Paragraph($"{T(tables[1])} counts the verdicts per document and {F(figures[0])} draws them." +
            (forest is null ? "" : $" {F(forest)} puts every numeric claim on one axis: how far the measured figure lies from the document's, and where the claim's rule would accept it.")));
        b.Add(new TableBlock(tables[1]));
        b.Add(new FigureBlock(figures[0]));
        if (forest is not null) b.Add(new FigureBlock(forest));

        foreach (var doc in Documents(ledger))
        {
            var rows = doc.ToList();
            var done = rows.Where(r => r.Verdict != Verdict.NotRun).ToList();
            b.Add(new Heading(2, $"{++section}. Document {doc.Key}: {LedgerDigest.DocumentTitle(doc.Key)} ({LedgerDigest.DocumentName(doc.Key)})", $"doc-{doc.Key}"));
            var notRun = rows.Where(r => r.Verdict == Verdict.NotRun).Select(r => r.Id).ToList();
            if (done.Count == 0)
            {
                b.Add(new Paragraph($"No claim of this document was measured in this run ({notRun.Count} claims not run: {string.Join(", ", notRun)})."));
                continue;
            }
            var docTable = tables.First(t => t.Document == doc.Key);
            b.Add(new Paragraph($"{done.Count} of {rows.Count} claims were measured: {TallyWords(done)}. {T(docTable)} lists them" +
                (notRun.Count > 0 ? $"; not run here: {string.Join(", ", notRun)}" : "") + "."));
            b.Add(new TableBlock(docTable));
            b.Add(NotebookParagraph(rows[0].Notebook, outDir));
            foreach (var r in done)
            {
                var own = figures.Where(f => f.Document == doc.Key && r.Experiment is not null && f.Name.Contains(Slug(r.Experiment), StringComparison.Ordinal)).ToList();
                b.Add(new Heading(3, $"{r.Id}. {LedgerDigest.ShortTitle(r)}", $"claim-{r.Id}"));
                b.Add(new Paragraph(r.Claim, "claimtext"));
                if (LedgerDigest.Method(r.Id) is { } method) b.Add(new Paragraph([new Run("Tested as asked: ", RunStyle.Bold), method]));
                b.Add(new Paragraph([new Run("The document says ", RunStyle.Bold), r.Claimed + ". ", new Run("Measured: ", RunStyle.Bold), r.Measured]));
                var verdict = new List<Run> { new Run("Verdict: ", RunStyle.Bold), new Run(r.Verdict.Name(), Verdict: r.Verdict), " " };
                verdict.Add(r.Provisional || r.Converged == false ? new Run(LedgerDigest.Status(r), Mark: true) : LedgerDigest.Status(r));
                if (r.OffBy is { } off) verdict.Add("; how far off: " + off);
                if (r.Beside is { } other) verdict.Add($"; beside it, the {other.Describe()}");
                string builds = LedgerFiles.BuildsText(r.Builds);
                if (builds.Length > 0 && !(r.Reason ?? "").Contains(builds, StringComparison.Ordinal)) verdict.Add("; per build: " + builds);
                verdict.Add(". " + (r.Reason ?? ""));
                b.Add(new Paragraph(verdict));
                b.Add(new Paragraph("Evidence: " + r.Evidence + (own.Count > 0 ? "; see " + string.Join(", ", own.Select(F)) : "") + ".", "evidence"));
            }
            foreach (var f in figures.Where(f => f.Document == doc.Key)) b.Add(new FigureBlock(f));
            foreach (var t in tables.Where(t => t.Document == doc.Key && t != docTable)) b.Add(new TableBlock(t));
        }

        b.Add(new Heading(2, $"{++section}. Contradictions found", "contradictions"));
        b.AddRange(Contradictions(measured));
        if (failures.Count > 0)
        {
            b.Add(new Heading(2, $"{++section}. Experiments that crashed", "failures"));
            b.Add(new Bullets([.. failures.Select(f => (IReadOnlyList<Run>)[new Run(f.Experiment, RunStyle.Bold), ": " + f.Error.Split('\n')[0]])]));
        }
        b.Add(new Heading(2, $"{++section}. Limitations", "limitations"));
        b.Add(new Bullets(Limitations(ledger, results, machine)));
        b.Add(new Heading(2, $"{++section}. References", "references"));
        b.Add(new Bullets(References.Items(ledger)));
        b.Add(new Heading(2, $"{++section}. Files", "files"));
        b.Add(new Paragraph("Every figure of this write-up is in report/figures/ as SVG, PNG and PDF, every table in report/tables/ as CSV, LaTeX (booktabs) and Markdown, under the names below."));
        b.Add(new Bullets([.. figures.Select(f => (IReadOnlyList<Run>)[$"Figure {f.Number}: figures/{f.Name}.svg, .png, .pdf"]),
            .. tables.Select(t => (IReadOnlyList<Run>)[$"Table {t.Number}: tables/{t.Name}.csv, .tex, .md"])], "files"));
        return b;
    }

    /// <summary>Where the document's notebook is, and its page executed in this run (DIR/notebooks/NAME.html, readable
    /// without a kernel) where the run executed it: the same link the report gives (<see cref="HtmlReport.NotebookHref"/>).</summary>
    public static Paragraph NotebookParagraph(string notebook, string? outDir)
    {
        string name = Path.GetFileNameWithoutExtension(notebook);
        string href = HtmlReport.NotebookHref(notebook, outDir);
        // the executed notebook as a page, or (where the page was not made) as the executed .ipynb, or not executed here
        string? executedFile = href.StartsWith("../notebooks/", StringComparison.Ordinal) ? href["../".Length..] : null;
        return new Paragraph([new Run("Notebook: ", RunStyle.Bold), new Run(notebook, RunStyle.Code, Href: executedFile is null ? href : null),
            " walks through these claims with their tables and charts; " +
            (executedFile is not null ? "executed in this run, it is " : $"it was not executed in this run (no {name}.html or {name}.ipynb in notebooks/)"),
            .. executedFile is not null ? (IReadOnlyList<Run>)[new Run(executedFile, RunStyle.Code, Href: href), " beside the report folder."] : ["."]]);
    }

    /// <summary>What this run cannot say, from the run itself: the machine, the sizes, the rows that are provisional or did
    /// not converge, what the speed comparison was made against, what needs hardware this machine lacks.</summary>
    public static IReadOnlyList<IReadOnlyList<Run>> Limitations(IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results, MachineContext? machine)
    {
        using var culture = InvariantFormatting.Enter();
        var measured = ledger.Where(r => r.Verdict != Verdict.NotRun).ToList();
        var items = new List<IReadOnlyList<Run>>();
        string profiles = string.Join(", ", measured.Select(r => r.Profile).Distinct());
        string threads = string.Join(", ", results.Select(r => r.Threads).Distinct().Order());
        items.Add([new Run("Machine. ", RunStyle.Bold), machine is null
            ? $"One CPU machine ({threads} torch threads); no GPU."
            : $"One machine, CPU only: {machine.CpuModel}, {machine.LogicalCores} logical cores, {threads} torch threads; TorchSharp {machine.TorchSharpVersion} with libtorch {machine.LibTorchVersion}. No GPU was used, so every timing is a CPU timing and ratios may differ on other hardware."]);
        items.Add([new Run("Sizes. ", RunStyle.Bold), $"Measured at profile {(profiles.Length == 0 ? "none" : profiles)}: the quick and standard profiles train smaller models for fewer steps than the documents did (the full profile uses the documents' own sizes); each figure's caption names the experiment and profile it comes from."]);
        var provisional = measured.Where(r => r.Provisional).Select(r => r.Id).ToList();
        items.Add([new Run("Provisional rows. ", RunStyle.Bold), provisional.Count == 0
            ? "None: every measured row was measured at or above the profile its rule needs."
            : $"{provisional.Count} of {measured.Count} measured rows are provisional, measured below the profile their rule needs ({string.Join(", ", provisional)}); their verdicts may change at that profile."]);
        var open = measured.Where(r => r.Converged == false).Select(r => r.Id).ToList();
        items.Add([new Run("Convergence. ", RunStyle.Bold), open.Count == 0
            ? "Every row whose rule tests convergence converged (or none was measured)."
            : $"{open.Count} rows are inconclusive because their models had not converged at this size ({string.Join(", ", open)})."]);
        var timing = measured.Where(r => r.FigureKind is FigureKind.Timing or FigureKind.Memory).ToList();
        items.Add([new Run("Timings and memory. ", RunStyle.Bold), $"{timing.Count} rows rest on a clock or on measured process memory, which vary from run to run and with load; two back-to-back runs can differ within their intervals."]);
        items.Add([new Run("Speed against PyTorch. ", RunStyle.Bold), "The parity comparison (raccoon parity) is made against Debian 12's PyTorch 1.13 with OpenBLAS, an older and slower PyTorch than current releases, which this machine cannot install; it says how this library compares with that build, not with PyTorch at large."]);
        var needs = measured.Where(r => r.Verdict == Verdict.NotTestableHere).Select(r => r.Id).ToList();
        if (needs.Count > 0) items.Add([new Run("Not testable here. ", RunStyle.Bold), $"{string.Join(", ", needs)} need{(needs.Count == 1 ? "s" : "")} hardware this machine lacks; {(needs.Count == 1 ? "it is" : "they are")} reported, not judged."]);
        var notRun = ledger.Where(r => r.Verdict == Verdict.NotRun).Select(r => r.Id).ToList();
        if (notRun.Count > 0) items.Add([new Run("Not run. ", RunStyle.Bold), $"{notRun.Count} claims were not measured in this run ({string.Join(", ", notRun.Take(12))}{(notRun.Count > 12 ? ", ..." : "")})."]);
        return items;
    }

    /// <summary>The abstract, from the tallies of the ledger.</summary>
    public static string Abstract(IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results)
    {
        using var culture = InvariantFormatting.Enter();
        var measured = ledger.Where(r => r.Verdict != Verdict.NotRun).ToList();
        int documents = ledger.Select(r => r.Document).Distinct().Count();
        if (measured.Count == 0)
            return $"The ledger holds {ledger.Count} claims of {documents} architecture documents; none was measured in this run.";
        var sb = new StringBuilder();
        int docsMeasured = measured.Select(r => r.Document).Distinct().Count();
        sb.Append(CultureInfo.InvariantCulture, $"The {documents} architecture documents make {ledger.Count} claims about model structure, speed, memory and training; ")
          .Append(CultureInfo.InvariantCulture, $"this run measured {measured.Count} of them, from {docsMeasured} of the {documents} documents, ")
          .Append(CultureInfo.InvariantCulture, $"with {results.Count} experiment{(results.Count == 1 ? "" : "s")} at profile {string.Join(", ", measured.Select(r => r.Profile).Distinct())} on a CPU. ");
        sb.Append(CultureInfo.InvariantCulture, $"Of the claims measured, {TallyWords(measured)}. ");
        int provisional = measured.Count(r => r.Provisional);
        if (provisional > 0)
            sb.Append(CultureInfo.InvariantCulture, $"{provisional} of these verdicts {(provisional == 1 ? "is" : "are")} provisional: measured below the profile {(provisional == 1 ? "its" : "their")} rule needs ({string.Join(", ", measured.Where(r => r.Provisional).Select(r => r.Id))}). ");
        foreach (var doc in measured.GroupBy(r => r.Document).OrderBy(g => g.Key))
            sb.Append(CultureInfo.InvariantCulture, $"Document {doc.Key} ({LedgerDigest.DocumentName(doc.Key)}): {TallyWords([.. doc])}. ");
        var largest = Discrepancies(measured).Take(3).ToList();
        if (largest.Count > 0)
            sb.Append("The largest discrepancies: ").Append(string.Join("; ", largest.Select(r => $"{r.Id} ({LedgerDigest.ShortTitle(r)}), {r.OffBy} ({r.Verdict.Name()})"))).Append(". ");
        var inconsistent = measured.Where(r => r.Verdict == Verdict.Inconsistent).ToList();
        var builds = measured.Where(BuildsDisagree).ToList();
        if (inconsistent.Count > 0)
            sb.Append("The document contradicts itself in ").Append(string.Join(", ", inconsistent.Select(r => $"{r.Id} ({LedgerDigest.ShortTitle(r)})"))).Append(". ");
        if (builds.Count > 0)
            sb.Append("The document and its upstream code lead to different verdicts in ").Append(string.Join(", ", builds.Select(r => $"{r.Id} ({LedgerDigest.ShortTitle(r)})"))).Append(". ");
        return sb.ToString().Trim();
    }

    /// <summary>The rows that fail or hold partly, furthest from the claim first (by how many times off, from the judge's
    /// factor); rows off in points (accuracy rules) follow.</summary>
    public static IEnumerable<LedgerRow> Discrepancies(IReadOnlyList<LedgerRow> measured) =>
        measured.Where(r => r.Verdict is Verdict.Fails or Verdict.Partly && r.OffBy is not null)
            .OrderByDescending(r => r.Factor is double f && f > 0 ? Math.Abs(Math.Log(f)) : -1)
            .ThenBy(r => r.Id, StringComparer.Ordinal);

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
    static IReadOnlyList<Block> Contradictions(IReadOnlyList<LedgerRow> measured)
    {
        var inconsistent = measured.Where(r => r.Verdict == Verdict.Inconsistent).ToList();
        var builds = measured.Where(BuildsDisagree).ToList();
        if (inconsistent.Count == 0 && builds.Count == 0)
            return [new Paragraph("None among the claims measured in this run: no row is inconsistent, and where a claim was measured on several builds they agree.")];
        var items = new List<IReadOnlyList<Run>>();
        foreach (var r in inconsistent)
            items.Add([new Run(r.Id, RunStyle.Bold), $" ({LedgerDigest.ShortTitle(r)}): the document says {r.Claimed}; measured: {r.Measured}. {r.Reason ?? ""}"]);
        foreach (var r in builds)
            items.Add([new Run(r.Id, RunStyle.Bold), $" ({LedgerDigest.ShortTitle(r)}): the build the document describes and the build its upstream code defines get different verdicts: {LedgerFiles.BuildsText(r.Builds)}."]);
        return [new Bullets(items, "contradictions")];
    }

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
        .verdict{font-family:sans-serif;font-size:8.5pt}
        .claimtext{font-style:italic;font-size:10pt} .evidence{font-size:9.5pt;color:#444} .claim{break-inside:avoid}
        pre{white-space:pre-wrap;background:#f6f6f6;padding:0.5em;font-size:9pt} .warning{border:1px solid #c62828;padding:0.5em;color:#c62828}
        ul.files{font-size:9pt;columns:2} td:first-child{white-space:nowrap} .modebar-container{display:none}
        """;
}
