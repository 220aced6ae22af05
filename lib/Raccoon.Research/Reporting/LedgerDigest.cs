using System.Globalization;
using System.Text.Json.Nodes;
using Raccoon.Research.Ledger;
using Raccoon.Research.Views;

namespace Raccoon.Research.Reporting;

/// <summary>
/// The short forms of a ledger that the report and the write-up share: a claim in a few words, the
/// measured figure as one number, the status (final or provisional), the tally of verdicts per document
/// and its chart. Everything is computed from the rows; nothing is typed in.
/// </summary>
public static class LedgerDigest
{
    /// <summary>The verdicts in the order a reader meets them in tallies and charts.</summary>
    public static readonly IReadOnlyList<Verdict> Order =
        [Verdict.Holds, Verdict.Partly, Verdict.Fails, Verdict.Inconclusive, Verdict.Inconsistent, Verdict.Reported, Verdict.NotTestableHere, Verdict.NotRun];

    /// <summary>The claim's short title from claims.json ("Gradient computation speed-up"); for a row of a claim the
    /// catalog no longer lists (an old ledger), the claim's words clipped at a word.</summary>
    public static string ShortTitle(LedgerRow row) =>
        ClaimCatalog.All.FirstOrDefault(c => c.Id == row.Id)?.Short ?? Clip(row.Claim, 60);

    /// <summary>How the claim was to be tested, where claims.json keeps it apart from the claim; else null.</summary>
    public static string? Method(string claimId) => ClaimCatalog.All.FirstOrDefault(c => c.Id == claimId)?.Method;

    /// <summary>The measured figure in one short line: the number the rule compared (with its interval), else the words clipped.</summary>
    public static string ShortMeasured(LedgerRow row, int max = 70)
    {
        if (row.MeasuredValue is double v)
        {
            string unit = Unit(row.Id);
            string text = Number(v) + (unit.Length > 0 ? " " + unit : "");
            text = row.Interval is { } i ? $"{text} {i}" : text;
            return row.Factor is double f && f > 0 && row.OffBy is { } off && (off.Contains("short of") || off.Contains("past the claim"))
                ? $"{text} ({off[(off.LastIndexOf(':') + 1)..].Trim()})" : text;
        }
        return Clip(row.Measured, max);
    }

    /// <summary>"final"; "not converged at this size" for a row whose models did not reach the plateau its rule tests;
    /// or "provisional (needs standard)" for a row measured below its rule's minimum profile.</summary>
    public static string Status(LedgerRow row) =>
        row.Verdict == Verdict.NotRun ? "not run"
        : row.Converged == false ? "not converged at this size" + (row.Provisional ? $"; provisional (needs {row.MinProfile})" : "")
        : row.Provisional ? $"provisional (needs {row.MinProfile})" : "final";

    /// <summary>The document's name in this project ("004 LanguageModels").</summary>
    public static string DocumentName(string document) => document switch
    {
        "000" => "LogClassifiers",
        "001" => "LatentOde",
        "002" => "PathFlow",
        "003" => "GlyphCnn",
        "004" => "LanguageModels",
        _ => "document " + document,
    };

    /// <summary>The document's own title, from the claims catalog.</summary>
    public static string DocumentTitle(string document) =>
        ClaimCatalog.All.FirstOrDefault(c => c.Document == document)?.Title ?? document;

    /// <summary>Verdict counts per document, one row per document, one column per verdict that occurs, and a total.</summary>
    public static Table Tally(IReadOnlyList<LedgerRow> ledger)
    {
        var verdicts = Order.Where(v => ledger.Any(r => r.Verdict == v)).ToList();
        var rows = ledger.GroupBy(r => r.Document).OrderBy(g => g.Key).Select(g =>
            (IReadOnlyList<string>)[$"{g.Key} {DocumentName(g.Key)}", .. verdicts.Select(v => g.Count(r => r.Verdict == v).ToString(CultureInfo.InvariantCulture)),
                g.Count(r => r.Provisional).ToString(CultureInfo.InvariantCulture), g.Count().ToString(CultureInfo.InvariantCulture)]).ToList();
        rows.Add(["all", .. verdicts.Select(v => ledger.Count(r => r.Verdict == v).ToString(CultureInfo.InvariantCulture)),
            ledger.Count(r => r.Provisional).ToString(CultureInfo.InvariantCulture), ledger.Count.ToString(CultureInfo.InvariantCulture)]);
        return new Table("Verdicts per document", ["document", .. verdicts.Select(v => v.Name()), "provisional", "claims"], rows).Named("tally");
    }

    /// <summary>A stacked bar chart of the verdicts per document, in the verdicts' colours.</summary>
    public static Figure TallyChart(IReadOnlyList<LedgerRow> ledger)
    {
        var documents = ledger.Select(r => r.Document).Distinct().Order().ToList();
        var categories = documents.Select(d => $"{d} {DocumentName(d)}").ToList();
        var series = Order.Where(v => ledger.Any(r => r.Verdict == v)).Select(v => new BarSeries(v.Name(),
            [.. documents.Select(d => (double)ledger.Count(r => r.Document == d && r.Verdict == v))],
            [.. documents.Select(_ => VerdictStyle.Colour(v))])).ToList();
        var figure = Charts.Bars("Verdicts per document", "claims", false, categories, series);
        var json = JsonNode.Parse(figure.PlotlyJson)!;
        json["layout"]!["barmode"] = "stack";
        json["layout"]!["margin"]!["b"] = 110; // room for the documents' names, drawn slanted under narrow bars
        return (figure with { PlotlyJson = json.ToJsonString() }).Named("verdicts-per-document");
    }

    /// <summary>Every numeric claim at once: measured / claimed on a log axis, with the interval of the figure the rule read
    /// and the band where the rule says holds (from the rule itself, <see cref="VerdictRules.HoldsBand"/>), a point in the
    /// verdict's colour; null where no row has a factor.</summary>
    public static Figure? ForestChart(IReadOnlyList<LedgerRow> ledger)
    {
        var rows = new List<ForestRow>();
        foreach (var r in ledger)
        {
            if (r.Factor is not double f || !(f > 0) || !double.IsFinite(f)) continue;
            var claim = ClaimCatalog.All.FirstOrDefault(c => c.Id == r.Id);
            if (claim?.Claimed.Value is not double claimed || claimed == 0) continue;
            var interval = claim.Rule.Figure is { } name ? r.Figures?.FirstOrDefault(q => q.Name == name)?.Interval : r.Interval;
            double? lo = null, hi = null;
            if (interval is { } i && i.Low / claimed > 0 && i.High / claimed > 0)
            {
                lo = Math.Min(i.Low, i.High) / claimed;
                hi = Math.Max(i.Low, i.High) / claimed;
                if (claimed < 0) (lo, hi) = (Math.Min(i.High / claimed, i.Low / claimed), Math.Max(i.High / claimed, i.Low / claimed));
            }
            var band = VerdictRules.HoldsBand(claim);
            rows.Add(new ForestRow($"{r.Id} {Clip(ShortTitle(r), 50)}{(r.Provisional ? " (prov.)" : "")}", f, lo, hi,
                band is { } b ? Math.Max(b.Low, 1e-3) : null, band is { } b2 ? Math.Min(b2.High, 1e3) : null, VerdictStyle.Colour(r.Verdict)));
        }
        return rows.Count == 0 ? null : Charts.Forest("Measured against claimed, every numeric claim", "measured / claimed (log scale); shaded: where the rule says holds",
            true, 1, rows).Named("forest");
    }

    /// <summary>The unit of the claim's figure, from the catalog ("" where it has none).</summary>
    public static string Unit(string claimId) =>
        ClaimCatalog.All.FirstOrDefault(c => c.Id == claimId)?.Claimed.Unit ?? "";

    public static string Number(double x) =>
        Math.Abs(x) >= 1000 ? x.ToString("N0", CultureInfo.InvariantCulture)
        : Math.Abs(x) >= 100 ? x.ToString("0", CultureInfo.InvariantCulture)
        : Math.Abs(x) >= 10 ? x.ToString("0.0", CultureInfo.InvariantCulture)
        : x.ToString("0.###", CultureInfo.InvariantCulture);

    public static string Clip(string text, int max)
    {
        text = string.Join(' ', text.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        if (text.Length <= max) return text;
        int cut = text.LastIndexOf(' ', max - 1);
        return text[..(cut > max / 2 ? cut : max - 1)].TrimEnd(',', ';', ':') + "…";
    }
}
