using System.Globalization;
using System.Text;
using Raccoon.Research.Experiments;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;

namespace Raccoon.Research.Reporting;

/// <summary>
/// DIR/report/index.html: one self-contained page (plotly.js inlined, no network needed) with the
/// ledger, each experiment's figures and tables, and any experiment that crashed.
/// </summary>
public static class HtmlReport
{
    /// <summary>The row's verdict badge, marked provisional below its rule's minimum profile, with one small badge per build.</summary>
    public static string RowVerdict(LedgerRow r)
    {
        using var culture = InvariantFormatting.Enter();
        var sb = new StringBuilder(VerdictStyle.Badge(r.Verdict));
        if (r.Provisional)
            sb.Append(" <span class=\"provisional\" title=\"measured at profile ").Append(Html.Escape(r.Profile ?? "?"))
              .Append("; the rule needs ").Append(Html.Escape(r.MinProfile ?? "?")).Append("\">provisional (").Append(Html.Escape(r.Profile ?? "?")).Append(")</span>");
        if (r.Interval is { } i) sb.Append("<div class=\"meta\">interval ").Append(Html.Escape(i.ToString())).Append("</div>");
        sb.Append(BesideLine(r));
        foreach (var b in r.Builds ?? [])
            sb.Append("<div class=\"build\">").Append(Html.Escape(b.Build)).Append(b.Upstream ? " (upstream)" : "").Append(": ")
              .Append(VerdictStyle.Badge(b.Verdict)).Append(' ').Append(Html.Escape(b.Measured)).Append("</div>");
        return sb.ToString();
    }

    /// <summary>Under a row judged from the reference run: this run's own verdict of the claim, beside it.</summary>
    static string BesideLine(LedgerRow r) => r.Beside is { } other
        ? $"<div class=\"build\">{Html.Escape(other.Run)}: {VerdictStyle.Badge(other.Verdict)}{other.ConvergenceSuffix}</div>"
        : "";

    public static string Write(string outDir, IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results,
        IReadOnlyList<ExperimentFailure> failures, MachineContext? machine = null)
    {
        string path = Path.Combine(outDir, "report", "index.html");
        AtomicFile.WriteAllText(path, Render(ledger, results, failures, outDir, machine));
        return path;
    }

    /// <summary>The id of an experiment's section in the report.</summary>
    public static string SectionId(string experiment) => "exp-" + experiment;

    /// <summary>The id of a figure in the report: its experiment and its stable name (else its position).</summary>
    public static string FigureId(string experiment, Figure f, int index) => $"fig-{experiment}-{f.Key ?? (index + 1).ToString(CultureInfo.InvariantCulture)}";

    public static string Render(IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results,
        IReadOnlyList<ExperimentFailure> failures, string outDir, MachineContext? machine = null)
    {
        using var culture = InvariantFormatting.Enter();
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Raccoon.Research: claims ledger</title>");
        sb.Append("<style>").Append(Css).Append(VerdictStyle.Css()).Append("</style>");
        sb.Append("<script>").Append(PlotlyJs.Source).Append("</script></head><body>");
        sb.Append("<h1>Raccoon.Research: which claims hold</h1>");
        sb.Append("<p class=\"summary\">");
        foreach (var g in ledger.GroupBy(r => r.Verdict).OrderBy(g => g.Key))
            sb.Append(VerdictStyle.Badge(g.Key)).Append(' ').Append(g.Count()).Append(" &nbsp; ");
        int provisional = ledger.Count(r => r.Provisional);
        if (provisional > 0) sb.Append("<span class=\"provisional\">provisional</span> ").Append(provisional);
        sb.Append("</p>");
        sb.Append("<p class=\"meta\">The same run as a paper-style write-up: <a href=\"writeup.html\">writeup.html</a>, <a href=\"writeup.pdf\">writeup.pdf</a>; figures in <a href=\"figures/\">figures/</a>, tables in <a href=\"tables/\">tables/</a>.</p>");
        sb.Append("<h2 id=\"run\">The run</h2>").Append(RunContext(ledger, results, machine));
        if (failures.Count > 0)
        {
            sb.Append("<h2>Experiments that crashed</h2><ul class=\"failures\">");
            foreach (var f in failures)
                sb.Append("<li><b>").Append(Html.Escape(f.Experiment)).Append("</b><pre>").Append(Html.Escape(f.Error)).Append("</pre></li>");
            sb.Append("</ul>");
        }
        sb.Append("<h2 id=\"tally\">Verdicts per document</h2><div class=\"tally\"><div class=\"tally-table\">").Append(LedgerDigest.Tally(ledger).ToHtml())
          .Append("</div><div class=\"tally-chart\">").Append(LedgerDigest.TallyChart(ledger).ToHtmlFragment("fig-verdicts-per-document")).Append("</div></div>");
        sb.Append("<h2 id=\"ledger\">Ledger</h2>").Append(LedgerTable(ledger, outDir, results));
        foreach (var r in results)
        {
            sb.Append("<section id=\"").Append(Html.Escape(SectionId(r.Experiment))).Append("\"><h2>").Append(Html.Escape(r.Experiment))
              .Append("</h2><p class=\"meta\">profile ").Append(r.Profile.ToString().ToLowerInvariant()).Append(", seed ").Append(r.Seed)
              .Append(", ").Append(r.Threads).Append(" torch threads, ").Append(r.Seconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)).Append(" s")
              .Append(r.OtherCores is double other ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" (other processes: {other:0.00} cores)") : "").Append(", finished ")
              .Append(r.FinishedAt.ToString("u")).Append(", library build ").Append(Html.Escape(r.LibraryVersion)).Append("; answers ");
            sb.Append(string.Join(", ", r.Measurements.Select(m => $"<a href=\"#{Html.Escape(m.ClaimId)}\">{Html.Escape(m.ClaimId)}</a>"))).Append("</p>");
            for (int i = 0; i < r.Figures.Count; i++)
            {
                var f = r.Figures[i];
                sb.Append("<h3>").Append(Html.Escape(f.Title)).Append("</h3>").Append(f.ToHtmlFragment(FigureId(r.Experiment, f, i)));
            }
            foreach (var t in r.Tables) sb.Append("<div class=\"scroll\">").Append(t.ToHtml()).Append("</div>");
            sb.Append("</section>");
        }
        sb.Append(ParitySection(outDir));
        return sb.Append("</body></html>").ToString();
    }

    /// <summary>The speed of each model against PyTorch's, from the folder's last <c>raccoon parity</c> run.</summary>
    static string ParitySection(string outDir)
    {
        var sb = new StringBuilder("<section id=\"parity\"><h2>Speed and function against PyTorch</h2>");
        Experiments.Parity.ParityRun? run;
        try
        {
            run = Experiments.Parity.ParityFiles.Read(outDir);
        }
        catch (InvalidDataException e)
        {
            return sb.Append("<p class=\"failures\">").Append(Html.Escape(e.Message)).Append("</p></section>").ToString();
        }
        if (run is null)
            return sb.Append("<p class=\"meta\">No parity run in this folder: <code>dotnet run --project lib/Raccoon.Research.Cli -- parity --out ")
                .Append(Html.Escape(outDir)).Append("</code> times every model against its PyTorch definition and adds the table here.</p></section>").ToString();
        sb.Append("<p class=\"meta\">").Append(Html.Escape($"Measured {run.FinishedAt:u} in {run.Seconds:F0} s: PyTorch {run.PyTorchVersion} (BLAS {run.PyTorchBlas}, {run.Python}) and {run.Machine.Summary}; {run.Options.Rounds} rounds of {run.Options.Repeats} samples per side, interleaved."))
          .Append("</p><ul>");
        foreach (var f in run.Findings()) sb.Append("<li>").Append(Html.Escape(f)).Append("</li>");
        sb.Append("</ul>");
        foreach (var t in new[] { run.ParityTable(), run.FunctionTable(), run.PeakTable(), run.LeakTable() })
            if (t.Rows.Count > 0) sb.Append("<div class=\"scroll\">").Append(t.ToHtml()).Append("</div>");
        return sb.Append("</section>").ToString();
    }

    /// <summary>Where and how the run was measured, once: the rows of <see cref="RunTable"/>, the write-up's Table 1.</summary>
    static string RunContext(IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results, MachineContext? machine)
    {
        var sb = new StringBuilder("<table class=\"run\"><tbody>");
        foreach (var row in RunTable.Of(ledger, results, machine).Rows)
            sb.Append("<tr><th>").Append(Html.Escape(row[0])).Append("</th><td>").Append(Html.Escape(row[1])).Append("</td></tr>");
        return sb.Append("</tbody></table>").ToString();
    }

    /// <summary>
    /// The ledger as an HTML table a reader scans: one line per claim (id, the claim in a few words, the
    /// document's figure, the measured figure, the verdict, final or provisional, links), and under it the
    /// long measured text, the reason, the evidence and the per-build verdicts, folded.
    /// </summary>
    public static string LedgerTable(IReadOnlyList<LedgerRow> ledger, string? outDir = null, IReadOnlyList<StoredResult>? results = null)
    {
        using var culture = InvariantFormatting.Enter();
        var sb = new StringBuilder();
        sb.Append("<table class=\"ledger\"><thead><tr><th>ID</th><th>Claim</th><th>Document says</th><th>Measured</th><th>Verdict</th><th>Status</th><th>See</th></tr></thead><tbody>");
        foreach (var r in ledger)
        {
            string nb = Path.GetFileName(r.Notebook);
            string href = NotebookHref(r.Notebook, outDir);
            var result = results?.FirstOrDefault(x => x.Experiment == r.Experiment);
            sb.Append("<tr id=\"").Append(r.Id).Append("\" class=\"claim\"><td><a href=\"#").Append(r.Id).Append("\">").Append(r.Id).Append("</a></td><td title=\"")
              .Append(Html.Escape(r.Claim)).Append("\">").Append(Html.Escape(LedgerDigest.ShortTitle(r)))
              .Append("</td><td>").Append(Html.Escape(r.Claimed)).Append("</td><td class=\"measured\">").Append(Html.Escape(LedgerDigest.ShortMeasured(r))).Append(KindNote(r))
              .Append("</td><td>").Append(VerdictStyle.Badge(r.Verdict)).Append(BesideLine(r)).Append("</td><td>")
              .Append(r.Provisional || r.Converged == false ? $"<span class=\"provisional\">{Html.Escape(LedgerDigest.Status(r))}</span>" : Html.Escape(LedgerDigest.Status(r)))
              .Append("</td><td class=\"links\">");
            if (r.Experiment is not null && result is not null)
                sb.Append("<a href=\"#").Append(Html.Escape(SectionId(r.Experiment))).Append("\">section</a> ");
            sb.Append("<a href=\"").Append(Html.Escape(href)).Append("\">notebook</a>");
            if (result is not null)
                for (int i = 0; i < result.Figures.Count; i++)
                    sb.Append(" <a href=\"#").Append(Html.Escape(FigureId(result.Experiment, result.Figures[i], i))).Append("\" title=\"")
                      .Append(Html.Escape(result.Figures[i].Title)).Append("\">fig ").Append(i + 1).Append("</a>");
            sb.Append("</td></tr>");
            sb.Append("<tr class=\"more\"><td></td><td colspan=\"6\"><details><summary>evidence and reason</summary><dl>")
              .Append("<dt>Claim</dt><dd>").Append(Html.Escape(r.Claim)).Append("</dd>")
              .Append("<dt>Measured</dt><dd>").Append(Html.Escape(r.Measured)).Append("</dd>");
            if (r.Builds is { Count: > 0 }) sb.Append("<dt>Per build</dt><dd>").Append(Html.Escape(LedgerFiles.BuildsText(r.Builds))).Append("</dd>");
            sb.Append("<dt>Why</dt><dd>").Append(Html.Escape(r.Reason ?? "")).Append("</dd>")
              .Append("<dt>Evidence</dt><dd>").Append(Html.Escape(r.Evidence)).Append("</dd>");
            if (r.Experiment is not null)
                sb.Append("<dt>Measured by</dt><dd>").Append(Html.Escape($"{r.Experiment}, profile {r.Profile}, seed {r.Seed}, {r.Threads?.ToString(CultureInfo.InvariantCulture) ?? "?"} torch threads, {r.MeasuredAt:u}")).Append("</dd>");
            sb.Append("<dt>Notebook</dt><dd><a href=\"").Append(Html.Escape(href)).Append("\">").Append(Html.Escape(nb)).Append("</a></dd></dl></details></td></tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    /// <summary>Where the report (DIR/report/) links a notebook: its executed page (`notebooks run` writes DIR/notebooks/NAME.html,
    /// readable without a kernel), else its executed copy, else the source notebook in the repository.</summary>
    public static string NotebookHref(string notebook, string? outDir)
    {
        string name = Path.GetFileNameWithoutExtension(notebook);
        if (outDir is not null && File.Exists(Path.Combine(outDir, "notebooks", name + ".html"))) return $"../notebooks/{name}.html";
        if (outDir is not null && File.Exists(Path.Combine(outDir, "notebooks", name + ".ipynb"))) return $"../notebooks/{name}.ipynb";
        return $"../../{notebook}";
    }

    /// <summary>Says, in the Measured cell, when the row's figure is a timing or measured process memory: those vary from run to run.</summary>
    static string KindNote(LedgerRow r) => r.Verdict == Verdict.NotRun ? "" : r.FigureKind switch
    {
        FigureKind.Timing => " <span class=\"figure-kind\" title=\"measured with a clock: varies from run to run and with load\">[timing]</span>",
        FigureKind.Memory => " <span class=\"figure-kind\" title=\"measured process memory: varies from run to run\">[measured memory]</span>",
        _ => "",
    };

    const string Css = """
        body{font-family:system-ui,sans-serif;margin:2em auto;padding:0 2em;max-width:1400px;color:#222}
        table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
        th,td{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
        th{background:#f4f4f4} caption{font-weight:bold;text-align:left;padding:4px 0}
        .meta{color:#666;font-size:0.85em} pre{white-space:pre-wrap;font-size:0.8em}
        table.ledger{width:100%} table.ledger tr.claim td{border-bottom:none} table.ledger tr.more td{border-top:none;padding-top:0}
        table.ledger tr.claim td:first-child{white-space:nowrap} table.ledger td.measured{font-weight:600} table.ledger td.links{white-space:nowrap;font-size:0.85em}
        table.ledger details summary{color:#666;font-size:0.85em;cursor:pointer} table.ledger dl{margin:0.3em 0}
        table.ledger dt{font-weight:600;float:left;clear:left;width:8em} table.ledger dd{margin-left:8.5em;margin-bottom:0.3em}
        table.run th{width:10em}
        .tally{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start} .tally-table{flex:0 0 auto} .tally-chart{flex:1 1 400px;min-width:0}
        .figure{width:100%;overflow:hidden;margin:0 0 1em 0} .plotly-figure{width:100%}
        .scroll{overflow-x:auto;max-width:100%}
        section{border-top:1px solid #ccc;margin-top:2em}
        .build{font-size:0.8em;margin-top:2px}
        """;
}
