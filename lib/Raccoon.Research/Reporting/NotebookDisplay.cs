using System.Globalization;
using Microsoft.Data.Analysis;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Views;

namespace Raccoon.Research.Reporting;

/// <summary>Styles of the library's notebook outputs that show verdicts (ledger views, claim cards).</summary>
public static class NotebookStyle
{
    /// <summary>Table and verdict styles for a notebook output, which has no report stylesheet.</summary>
    public static readonly string Css = "<style>.raccoon table{border-collapse:collapse;font-size:0.9em} .raccoon th,.raccoon td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top} " +
        ".raccoon caption{font-weight:bold;text-align:left} " + VerdictStyle.Css(".raccoon ") + ".raccoon .build,.raccoon .meta{font-size:0.8em}</style>";
}

/// <summary>The claims ledger as a notebook shows it: one row per claim, verdicts as coloured badges,
/// each row linked to its notebook.</summary>
[TypeFormatterSource(typeof(NotebookFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed record LedgerView(IReadOnlyList<LedgerRow> Rows, string? OutDir = null) : INotebookView
{
    public string ToHtml() => NotebookStyle.Css + "<div class=\"raccoon\">" + HtmlReport.LedgerTable(Rows, OutDir) + "</div>";

    public string ToNotebookHtml() => ToHtml();

    public string ToNotebookText() =>
        string.Join("\n", Rows.Select(r => $"{r.Id}  {r.Verdict.Name() + (r.Provisional ? " (provisional)" : ""),-31}  {r.Measured}" +
            (r.Beside is { } b ? $"  [{b.Describe()}]" : "")));

    /// <summary>The rows of every claim <paramref name="results"/> measure, judged from them (not read from the last
    /// `reproduce`), in the catalog's order: a notebook's closing table of what it just computed.</summary>
    public static LedgerView Of(params StoredResult[] results) =>
        new(results.SelectMany(r => r.Rows()).OrderBy(r => ResultViews.CatalogIndex(r.Id)).ToList());

    /// <summary>
    /// The same claims judged at convergence where the committed reference run (`reproduce --profile reference`,
    /// results/reference/ or <paramref name="referenceDir"/>) has their experiment, each with this view's own verdict
    /// beside it; the rows of experiments it lacks stay as they are. <see cref="ReferenceNote"/> says which are which.
    /// </summary>
    public LedgerView WithReference(string? referenceDir = null) =>
        this with { Rows = Reproduction.WithReference(Rows, referenceDir ?? ReferenceResults.DefaultDirectory, NotebookSession.Seed) };

    /// <summary>Which rows come from the reference run (its date and commit) and which have none, in one sentence.</summary>
    public string ReferenceNote()
    {
        var from = Rows.Where(r => r.Profile == "reference").ToList();
        var without = Rows.Where(r => r.Profile != "reference" && r.Verdict != Verdict.NotRun).Select(r => r.Id).ToList();
        string sources = string.Join("; ", from.Select(r => ReferenceResult.SourceOf(r.Evidence)).OfType<string>().Distinct());
        return (from.Count == 0 ? "No claim here has a committed reference result." :
                $"{from.Count} claim(s) judged from the reference run ({sources}): {string.Join(", ", from.Select(r => r.Id))}, each with this run's verdict beside it.") +
            (without.Count == 0 ? "" : $" Without a reference result, as this run judged them: {string.Join(", ", without)}.");
    }

    /// <summary>
    /// The rows as a DataFrame with one quantity per column, numbers as numbers: id, document, verdict, status,
    /// claimed (the document's number), value, low, high (the figure the rule compares and its interval), unit,
    /// factor (measured / claimed), provisional, converged, profile, experiment. A figure that is missing is null.
    /// Sort on it: <c>view.ToDataFrame().OrderBy("factor")</c>.
    /// </summary>
    public DataFrame ToDataFrame()
    {
        var cards = Rows.Select(r => new ClaimCard(r)).ToList();
        return new DataFrame(
            new StringDataFrameColumn("id", cards.Select(c => c.Id)),
            new StringDataFrameColumn("document", Rows.Select(r => r.Document)),
            new StringDataFrameColumn("verdict", cards.Select(c => c.Verdict.Name())),
            new StringDataFrameColumn("status", cards.Select(c => c.Status)),
            new DoubleDataFrameColumn("claimed", cards.Select(c => c.Claimed)),
            new DoubleDataFrameColumn("value", cards.Select(c => c.Measured?.Value)),
            new DoubleDataFrameColumn("low", cards.Select(c => Bounded(c.Measured) ? c.Measured!.Range.Low : (double?)null)),
            new DoubleDataFrameColumn("high", cards.Select(c => Bounded(c.Measured) ? c.Measured!.Range.High : (double?)null)),
            new StringDataFrameColumn("unit", cards.Select(c => c.Measured?.Unit ?? "")),
            new DoubleDataFrameColumn("factor", cards.Select(c => c.Factor)),
            new BooleanDataFrameColumn("provisional", Rows.Select(r => r.Provisional)),
            new BooleanDataFrameColumn("converged", Rows.Select(r => r.Converged)),
            new StringDataFrameColumn("profile", Rows.Select(r => r.Profile ?? "")),
            new StringDataFrameColumn("experiment", Rows.Select(r => r.Experiment ?? "")));
    }

    /// <summary>Whether the figure has an interval or a censored side, so low and high say more than the value.</summary>
    static bool Bounded(Quantity? q) => q is not null && (q.Interval is not null || q.Censored != Censor.None);

    /// <summary>How many claims got each verdict, per document: the ledger at a glance.</summary>
    public Table Summary()
    {
        var verdicts = Enum.GetValues<Verdict>();
        var rows = Rows.GroupBy(r => r.Document).OrderBy(g => g.Key)
            .Select(g => (IReadOnlyList<string>)[g.Key, Path.GetFileName(g.First().Notebook), .. verdicts.Select(v => g.Count(r => r.Verdict == v).ToString(CultureInfo.InvariantCulture))])
            .ToList();
        return new Table("Verdicts per document", ["document", "notebook", .. verdicts.Select(v => v.Name())], rows);
    }

    /// <summary>A bar per verdict, coloured as in the report.</summary>
    public Figure VerdictChart()
    {
        var verdicts = Enum.GetValues<Verdict>();
        return Charts.Bars($"Verdicts of {Rows.Count} claims", "claims", false, [.. verdicts.Select(v => v.Name())],
            new BarSeries("claims", [.. verdicts.Select(v => (double)Rows.Count(r => r.Verdict == v))], [.. verdicts.Select(VerdictStyle.Colour)]))
            .Named("verdicts");
    }

    public override string ToString() => $"{Rows.Count} claims: " +
        string.Join(", ", Rows.GroupBy(r => r.Verdict).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.Name()}"));
}

/// <summary>DataFrames have no formatter of their own outside the kernel's extension: show them as a <see cref="Table"/>.</summary>
public static class DataFrameDisplay
{
    /// <summary>The first <paramref name="maxRows"/> rows of <paramref name="frame"/> as a table that renders as HTML.</summary>
    public static Table AsTable(this DataFrame frame, string title = "", int maxRows = 100)
    {
        var columns = frame.Columns.Select(c => c.Name).ToList();
        var rows = new List<IReadOnlyList<string>>();
        for (long i = 0; i < Math.Min(frame.Rows.Count, maxRows); i++)
            rows.Add(frame.Columns.Select(c => Cell(c[i])).ToList());
        if (frame.Rows.Count > maxRows) title = $"{title} (first {maxRows} of {frame.Rows.Count} rows)".Trim();
        return new Table(title, columns, rows);
    }

    /// <summary>A cell as shown: a real number to 6 significant digits (the frame keeps every digit), others as they are.</summary>
    static string Cell(object? value) => value switch
    {
        double d => d.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
