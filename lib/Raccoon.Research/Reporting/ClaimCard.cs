using System.Globalization;
using System.Text;
using Raccoon.Research.Experiments;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Views;

namespace Raccoon.Research.Reporting;

/// <summary>
/// One claim as a notebook shows it, judged by the ledger's rule from the result the notebook holds (not from the
/// last `reproduce`'s claims.json): the claim, the document's figure, the measured figure with its interval and
/// unit, how far off it is (measured / claimed), the verdict (one per build where there are several), whether the
/// models converged and whether the row is provisional, and, folded, the judge's reason, the experiment's own
/// finding and the evidence. Renders as HTML in the kernel and as text everywhere else.
/// <code>var speed = NotebookSession.Run("log-classifiers-speed");
/// speed.Claim("R0-02")</code>
/// </summary>
[TypeFormatterSource(typeof(NotebookFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed record ClaimCard(LedgerRow Row, string? Finding = null) : INotebookView
{
    public string ToNotebookHtml() => ToHtml();

    public string ToNotebookText() => ToText();

    public string Id => Row.Id;
    public Verdict Verdict => Row.Verdict;

    /// <summary>The document's figure as a number, where the claim has one (the low end of a claimed range).</summary>
    public double? Claimed => ClaimCatalog.All.FirstOrDefault(c => c.Id == Row.Id)?.Claimed.Value;

    /// <summary>The figure the claim's rule compares: the named figure the rule reads, else the headline value.</summary>
    public Quantity? Measured
    {
        get
        {
            var claim = ClaimCatalog.All.FirstOrDefault(c => c.Id == Row.Id);
            if (claim?.Rule.Figure is { } name && Row.Figures?.FirstOrDefault(f => f.Name == name) is { } named) return named;
            return Row.MeasuredValue is double v ? new Quantity(claim?.Rule.Figure ?? "measured", v, claim?.Claimed.Unit, Row.Interval) : null;
        }
    }

    /// <summary>Measured over claimed (the ledger's factor); null where the rule compares points or no number.</summary>
    public double? Factor => Row.Factor;

    /// <summary>"final", "not converged at this size", "provisional (needs standard)": the ledger's status words.</summary>
    public string Status => LedgerDigest.Status(Row);

    /// <summary>The card of <paramref name="claimId"/> from <paramref name="result"/>: its measurement judged by the claim's rule,
    /// with the experiment's finding for the claim where it wrote one.</summary>
    public static ClaimCard From(StoredResult result, string claimId)
    {
        if (result.NotRun is { } why) return NotRun(result.Experiment, claimId, why);
        var m = result.Measurements.FirstOrDefault(x => x.ClaimId == claimId)
            ?? throw new KeyNotFoundException($"experiment '{result.Experiment}' measures no claim {claimId}; it measures {string.Join(", ", result.Measurements.Select(x => x.ClaimId))}");
        var row = LedgerRow.From(ClaimCatalog.Get(claimId), m, result.Experiment, result.Profile.ToString().ToLowerInvariant(),
            result.Seed, result.FinishedAt, result.Threads, result.Optimized);
        string? finding = result.Tables.FirstOrDefault(t => t.Key == Findings.TableName)?.Rows.FirstOrDefault(r => r.Count > 1 && r[0] == claimId)?[1];
        return new ClaimCard(row, finding);
    }

    /// <summary>The card of a claim of <paramref name="experiment"/> that was not run here: the claim and the document's
    /// figure, verdict not-run, and <paramref name="why"/> where the measured figure would be.</summary>
    static ClaimCard NotRun(string experiment, string claimId, string why)
    {
        var claims = ExperimentRegistry.Get(experiment).Claims;
        if (!claims.Contains(claimId))
            throw new KeyNotFoundException($"experiment '{experiment}' measures no claim {claimId}; it measures {string.Join(", ", claims)}");
        return new ClaimCard(LedgerRow.NotRun(ClaimCatalog.Get(claimId)) with { Measured = why, Evidence = "", Reason = null });
    }

    /// <summary>The measured figure in one line: "1.87 x [1.80, 1.95]", "&gt;= 512 tokens" where it is only bounded.</summary>
    public string MeasuredLine()
    {
        if (Measured is not { } q) return "";
        string bound = q.Censored switch { Censor.Above => ">= ", Censor.Below => "<= ", _ => "" };
        if (q.Censored == Censor.Unbounded) return "not bounded (censored)";
        return bound + LedgerDigest.Number(q.Value) + (string.IsNullOrEmpty(q.Unit) ? "" : " " + q.Unit) + (q.Interval is { } i ? " " + i : "");
    }

    /// <summary>The named figures a conditions rule reads, with unit and interval, where the claim has no single number.</summary>
    public string FiguresLine() => Measured is null && Row.Figures is { Count: > 0 } fs ? string.Join("; ", fs.Select(f => f.ToString())) : "";

    /// <summary>"measured / claimed = 0.53: claimed 3.5x, measured 1.87: 1.9x short of the claim" (or the ledger's points).</summary>
    public string OffLine()
    {
        string ratio = Factor is double f ? "measured / claimed = " + f.ToString("0.###", CultureInfo.InvariantCulture) : "";
        return Row.OffBy is { } off ? (ratio.Length > 0 ? ratio + "; " : "") + off : ratio;
    }

    string ProvisionalLine => Row.Provisional ? $"provisional: measured at profile {Row.Profile}, the rule needs {Row.MinProfile}" : "";

    string ConvergedLine => Row.Converged switch
    {
        true => "the models converged (plateau test passed)",
        false => "not converged at this size",
        null => "",
    };

    string MeasuredBy => Row.Experiment is null ? ""
        : string.Create(CultureInfo.InvariantCulture, $"{Row.Experiment}, profile {Row.Profile}, seed {Row.Seed}, {Row.Threads?.ToString(CultureInfo.InvariantCulture) ?? "?"} torch thread{(Row.Threads == 1 ? "" : "s")}, {Row.MeasuredAt:u}");

    public string ToHtml()
    {
        using var culture = InvariantFormatting.Enter();
        var sb = new StringBuilder(NotebookStyle.Css);
        sb.Append("<div class=\"raccoon claim-card\" style=\"border:1px solid #ddd;border-left:6px solid ").Append(VerdictStyle.Colour(Verdict))
          .Append(";padding:6px 10px;margin:4px 0\"><div><b>").Append(Html.Escape(Id)).Append("</b> ").Append(VerdictStyle.Badge(Verdict));
        if (Row.Provisional) sb.Append(" <span class=\"provisional\">").Append(Html.Escape(ProvisionalLine)).Append("</span>");
        if (Row.Converged == false) sb.Append(" <span class=\"provisional\">not converged at this size</span>");
        sb.Append(" <span class=\"meta\">").Append(Html.Escape(Status)).Append("</span></div>")
          .Append("<div style=\"margin:4px 0\">").Append(Html.Escape(Row.Claim)).Append("</div><table><tbody>");
        void Line(string head, string html) { if (html.Length > 0) sb.Append("<tr><th>").Append(head).Append("</th><td>").Append(html).Append("</td></tr>"); }
        Line("document", Html.Escape(Row.Claimed));
        Line("measured", (MeasuredLine() is { Length: > 0 } n ? "<b>" + Html.Escape(n) + "</b><br>" : "") + Html.Escape(Row.Measured));
        Line("figures", Html.Escape(FiguresLine()));
        Line("how far off", Html.Escape(OffLine()));
        Line("builds", string.Join("<br>", (Row.Builds ?? []).Select(b =>
            $"{Html.Escape(b.Build)}{(b.Upstream ? " (upstream)" : "")}: {VerdictStyle.Badge(b.Verdict)} {Html.Escape(b.Measured)}")));
        Line("models", Html.Escape(ConvergedLine));
        sb.Append("</tbody></table><details><summary>why, and the evidence</summary><dl>");
        void Item(string head, string text) { if (!string.IsNullOrEmpty(text)) sb.Append("<dt>").Append(head).Append("</dt><dd>").Append(Html.Escape(text)).Append("</dd>"); }
        Item("Why (the ledger's rule)", Row.Reason ?? "");
        Item("Finding (from the run's figures)", Finding ?? "");
        Item("Evidence", Row.Evidence);
        Item("Measured by", MeasuredBy);
        return sb.Append("</dl></details></div>").ToString();
    }

    /// <summary>The card as plain text: one labelled line each, the folded parts last.</summary>
    public string ToText()
    {
        using var culture = InvariantFormatting.Enter();
        var sb = new StringBuilder();
        sb.Append(Id).Append("  ").Append(Verdict.Name()).Append("  (").Append(Status).Append(")\n");
        void Line(string head, string text) { if (!string.IsNullOrEmpty(text)) sb.Append(head).Append(": ").Append(text).Append('\n'); }
        Line("claim", Row.Claim);
        Line("document", Row.Claimed);
        Line("measured", MeasuredLine() is { Length: > 0 } n ? $"{n} ({Row.Measured})" : Row.Measured);
        Line("figures", FiguresLine());
        Line("how far off", OffLine());
        foreach (var b in Row.Builds ?? []) Line("build " + b.Build + (b.Upstream ? " (upstream)" : ""), $"{b.Verdict.Name()}: {b.Measured}");
        Line("models", ConvergedLine);
        Line("provisional", Row.Provisional ? $"measured at profile {Row.Profile}, the rule needs {Row.MinProfile}" : "");
        Line("why", Row.Reason ?? "");
        Line("finding", Finding ?? "");
        Line("evidence", Row.Evidence);
        Line("measured by", MeasuredBy);
        return sb.ToString().TrimEnd('\n');
    }

    public override string ToString() => ToText();
}

/// <summary>The ledger's views of a stored result, for notebooks: <c>result.Claim("R0-01")</c>, <c>result.Rows()</c>;
/// for a result not run (<see cref="StoredResult.NotRun"/>), not-run rows saying why.</summary>
public static class ResultViews
{
    /// <summary>The card of <paramref name="claimId"/>, judged from this result (see <see cref="ClaimCard"/>).</summary>
    public static ClaimCard Claim(this StoredResult result, string claimId) => ClaimCard.From(result, claimId);

    /// <summary>The ledger rows of every claim this result measures, judged from it, in the catalog's order.</summary>
    public static IReadOnlyList<LedgerRow> Rows(this StoredResult result) =>
        (result.NotRun is null ? result.Measurements.Select(m => m.ClaimId) : ExperimentRegistry.Get(result.Experiment).Claims)
            .Select(id => ClaimCard.From(result, id).Row).OrderBy(r => CatalogIndex(r.Id)).ToList();

    internal static int CatalogIndex(string id)
    {
        var all = ClaimCatalog.All;
        for (int i = 0; i < all.Count; i++) if (all[i].Id == id) return i;
        return int.MaxValue;
    }
}
