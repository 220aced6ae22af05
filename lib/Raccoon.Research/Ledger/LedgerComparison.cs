using System.Globalization;
using System.Text;

namespace Raccoon.Research.Ledger;

/// <summary>How one row's verdicts in two runs relate.</summary>
public enum Agreement
{
    /// <summary>The same verdict, headline and every build.</summary>
    Same,
    /// <summary>Different, but one of the two is inconclusive: that run's interval did not decide, which does not
    /// contradict the other (issue 9's "the same verdict, or inconclusive with its interval").</summary>
    Hedged,
    /// <summary>Two decided verdicts that differ (holds in one, partly or fails in the other): a verdict that flips.</summary>
    Contradicts,
    /// <summary>Measured in one run only (not-run, or missing, in the other).</summary>
    OneSided,
}

/// <summary>One row of two ledgers side by side.</summary>
public sealed record RowComparison(string Id, Agreement Agreement, LedgerRow? First, LedgerRow? Second, string Why);

/// <summary>
/// Two ledgers of the same claims, row by row: does a verdict reproduce from one run to the next? A row agrees
/// when its headline verdict and the verdict of each of its builds are the same in both; it is hedged when every
/// difference has an inconclusive side; it contradicts when two decided verdicts differ. The runs' profiles,
/// seeds and threads are compared too, since a difference there explains a difference in figures.
/// </summary>
public static class LedgerComparison
{
    public static IReadOnlyList<RowComparison> Compare(IReadOnlyList<LedgerRow> first, IReadOnlyList<LedgerRow> second)
    {
        var a = Index(first, "first"); var b = Index(second, "second");
        var ids = first.Select(r => r.Id).Concat(second.Select(r => r.Id).Where(id => !a.ContainsKey(id))).ToList();
        return ids.Select(id => Row(id, a.GetValueOrDefault(id), b.GetValueOrDefault(id))).ToList();
    }

    static Dictionary<string, LedgerRow> Index(IReadOnlyList<LedgerRow> rows, string which)
    {
        var dup = rows.GroupBy(r => r.Id).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidDataException($"the {which} ledger lists claim {dup.Key} {dup.Count()} times");
        return rows.ToDictionary(r => r.Id);
    }

    static RowComparison Row(string id, LedgerRow? x, LedgerRow? y)
    {
        bool measuredX = x is not null && x.Verdict != Verdict.NotRun, measuredY = y is not null && y.Verdict != Verdict.NotRun;
        if (!measuredX && !measuredY) return new(id, Agreement.Same, x, y, "not run in either");
        if (!measuredX || !measuredY) return new(id, Agreement.OneSided, x, y, $"measured only in the {(measuredX ? "first" : "second")} run");

        var pairs = new List<(string What, Verdict A, Verdict B)> { ("headline", x!.Verdict, y!.Verdict) };
        var bx = (x.Builds ?? []).ToDictionary(v => v.Build); var by = (y.Builds ?? []).ToDictionary(v => v.Build);
        foreach (var name in bx.Keys.Union(by.Keys))
        {
            if (!bx.TryGetValue(name, out var vx) || !by.TryGetValue(name, out var vy))
                return new(id, Agreement.OneSided, x, y, $"build '{name}' is in the {(bx.ContainsKey(name) ? "first" : "second")} run only");
            pairs.Add(($"build '{name}'", vx.Verdict, vy.Verdict));
        }
        var differ = pairs.Where(p => p.A != p.B).ToList();
        string context = Context(x, y);
        if (differ.Count == 0) return new(id, Agreement.Same, x, y, context);
        string changes = string.Join("; ", differ.Select(d => $"{d.What} {d.A.Name()} -> {d.B.Name()}"));
        var agreement = differ.All(d => d.A == Verdict.Inconclusive || d.B == Verdict.Inconclusive) ? Agreement.Hedged : Agreement.Contradicts;
        return new(id, agreement, x, y, context.Length == 0 ? changes : $"{changes}; {context}");
    }

    /// <summary>What differs between the two runs of a row besides its figures: profile, seed, threads, build.</summary>
    static string Context(LedgerRow x, LedgerRow y)
    {
        var parts = new List<string>();
        if (x.Profile != y.Profile) parts.Add($"profile {x.Profile} vs {y.Profile}");
        if (x.Seed != y.Seed) parts.Add($"seed {x.Seed} vs {y.Seed}");
        if (x.Threads != y.Threads) parts.Add($"threads {x.Threads} vs {y.Threads}");
        if (x.Optimized != y.Optimized) parts.Add($"build {x.BuildConfiguration} vs {y.BuildConfiguration}");
        return string.Join(", ", parts);
    }

    /// <summary>"52 rows: 47 same, 4 hedged, 1 contradicts, 0 one-sided".</summary>
    public static string Summary(IReadOnlyList<RowComparison> rows) =>
        $"{rows.Count} rows: " + string.Join(", ", Enum.GetValues<Agreement>().Select(k => $"{rows.Count(r => r.Agreement == k)} {Name(k)}"));

    public static string Name(Agreement a) => a switch
    {
        Agreement.Same => "same",
        Agreement.Hedged => "hedged",
        Agreement.Contradicts => "contradicts",
        _ => "one-sided",
    };

    /// <summary>A Markdown table of every row that is not the same in both runs, with both figures and intervals.</summary>
    public static string Markdown(IReadOnlyList<RowComparison> rows, string firstName, string secondName)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Verdicts of two runs: {firstName} and {secondName}");
        sb.AppendLine();
        sb.AppendLine(Summary(rows) + ".");
        sb.AppendLine();
        var differ = rows.Where(r => r.Agreement != Agreement.Same).ToList();
        if (differ.Count == 0) { sb.AppendLine("Every row has the same verdict in both runs."); return sb.ToString(); }
        sb.AppendLine(CultureInfo.InvariantCulture, $"| claim | agreement | {firstName} | {secondName} | kind | what differs |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var r in differ)
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Id} | {Name(r.Agreement)} | {Cell(r.First)} | {Cell(r.Second)} | {Kind(r.First ?? r.Second)} | {r.Why.Replace("|", "\\|")} |");
        return sb.ToString();
    }

    static string Kind(LedgerRow? r) => r is null ? "" : r.FigureKind.ToString().ToLowerInvariant();

    static string Cell(LedgerRow? r)
    {
        if (r is null) return "(absent)";
        string value = r.MeasuredValue is double v ? " " + v.ToString("G4", CultureInfo.InvariantCulture) : "";
        string interval = r.Interval is { } i ? " " + i : "";
        return $"{r.Verdict.Name()}{value}{interval}";
    }
}
