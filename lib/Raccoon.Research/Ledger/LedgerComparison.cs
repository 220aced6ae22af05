using System.Globalization;
using System.Text;
using Raccoon.Research.Measurements;

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

/// <summary>One timing row across several runs: <see cref="Inside"/> is true when each run's figure lies inside every
/// other run's interval, false when one does not (<see cref="Why"/> names it), null when it cannot be checked.</summary>
public sealed record TimingAgreement(string Id, bool? Inside, IReadOnlyList<double?> Figures, IReadOnlyList<MeasuredInterval?> Intervals, string Why);

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

    /// <summary>
    /// Timing rows across several runs (issue 20's done-when: "for at least 90% of timing rows each run's figure lies
    /// inside the other runs' intervals"). A timing row is consistent when, for every pair of runs, each run's figure
    /// lies inside the other run's interval, for each of its timing figures (<see cref="TimingFigures.Of"/>: the headline,
    /// each build's, each named ratio of times). Rows not measured in every run, or where a timing figure or its interval
    /// is missing in one of them, cannot be checked: they are listed as such and left out of the share, never counted
    /// as consistent.
    /// </summary>
    public static IReadOnlyList<TimingAgreement> Timing(IReadOnlyList<IReadOnlyList<LedgerRow>> runs)
    {
        if (runs.Count < 2) throw new ArgumentException($"comparing timing rows needs at least two runs, not {runs.Count}");
        var indexed = runs.Select((r, k) => Index(r, $"run {k + 1}'s")).ToList();
        var ids = runs.SelectMany(r => r).Where(r => r.FigureKind == FigureKind.Timing).Select(r => r.Id).Distinct().ToList();
        var result = new List<TimingAgreement>();
        foreach (var id in ids)
        {
            var rows = indexed.Select(d => d.GetValueOrDefault(id)).ToList();
            int notMeasured = rows.FindIndex(r => r is null || r.Verdict is Verdict.NotRun or Verdict.NotTestableHere);
            if (notMeasured >= 0) { result.Add(new(id, null, rows.Select(_ => (double?)null).ToList(), rows.Select(_ => (MeasuredInterval?)null).ToList(), $"not measured in run {notMeasured + 1}")); continue; }
            var perRun = rows.Select(r => TimingFigures.Of(r!).ToDictionary(f => f.Key)).ToList();
            var keys = perRun.SelectMany(d => d.Keys).Distinct().ToList();
            // the figure shown: the headline where there is one, else the row's first timing figure
            string? shown = keys.Contains(TimingFigures.Headline) ? TimingFigures.Headline : keys.FirstOrDefault();
            var figures = perRun.Select(d => shown is not null && d.TryGetValue(shown, out var f) ? f.Value : (double?)null).ToList();
            var intervals = perRun.Select(d => shown is not null && d.TryGetValue(shown, out var f) ? f.Interval : null).ToList();
            string Named(string key) => key == TimingFigures.Headline ? "" : $" {key}";
            string? unchecked_ = keys.Count == 0 ? "no timing figure with an interval in any run" : null;
            foreach (var key in keys)
            {
                int missing = perRun.FindIndex(d => !d.TryGetValue(key, out var f) || f.Interval is null);
                if (missing >= 0 && unchecked_ is null)
                    unchecked_ = $"{(perRun[missing].ContainsKey(key) ? "no interval" : "no figure")}{Named(key)} in run {missing + 1}";
            }
            if (unchecked_ is not null) { result.Add(new(id, null, figures, intervals, unchecked_)); continue; }
            var outside = new List<string>();
            foreach (var key in keys)
                for (int i = 0; i < rows.Count; i++)
                    for (int j = 0; j < rows.Count; j++)
                    {
                        var (x, iv) = (perRun[i][key].Value, perRun[j][key].Interval!);
                        if (i != j && (x < iv.Low || x > iv.High))
                            outside.Add($"run {i + 1}'s{Named(key)} {Number(x)} outside run {j + 1}'s {iv}");
                    }
            string checkedFigures = keys.Count > 1 ? $"{keys.Count} figures checked ({string.Join(", ", keys)})" : "";
            result.Add(new(id, outside.Count == 0, figures, intervals, outside.Count == 0 ? checkedFigures : string.Join("; ", outside)));
        }
        return result;
    }

    /// <summary>"22 timing rows: 20 inside each other's intervals (91%), 1 outside, 1 cannot be checked".</summary>
    public static string TimingSummary(IReadOnlyList<TimingAgreement> rows)
    {
        int inside = rows.Count(r => r.Inside == true), outside = rows.Count(r => r.Inside == false), unchecked_ = rows.Count(r => r.Inside is null);
        string share = inside + outside == 0 ? "no share" : (100.0 * inside / (inside + outside)).ToString("0", CultureInfo.InvariantCulture) + "%";
        return $"{rows.Count} timing rows: {inside} inside each other's intervals ({share} of the {inside + outside} checked), {outside} outside, {unchecked_} cannot be checked";
    }

    /// <summary>Every pair of runs compared row by row, then the timing rows across all runs, as Markdown.</summary>
    public static string Markdown(IReadOnlyList<string> names, IReadOnlyList<IReadOnlyList<LedgerRow>> runs, out bool contradiction)
    {
        var sb = new StringBuilder();
        contradiction = false;
        for (int i = 0; i < runs.Count; i++)
            for (int j = i + 1; j < runs.Count; j++)
            {
                var rows = Compare(runs[i], runs[j]);
                contradiction |= rows.Any(r => r.Agreement == Agreement.Contradicts);
                sb.Append(Markdown(rows, names[i], names[j]));
                sb.AppendLine();
            }
        if (!runs.SelectMany(r => r).Any(r => r.FigureKind == FigureKind.Timing)) return sb.ToString();
        var timing = Timing(runs);
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Timing rows across the {runs.Count} runs");
        sb.AppendLine();
        sb.AppendLine(TimingSummary(timing) + ".");
        sb.AppendLine();
        sb.AppendLine("| claim | inside | " + string.Join(" | ", names.Select((_, k) => $"run {k + 1}")) + " | why |");
        sb.AppendLine("|---|---|" + string.Concat(names.Select(_ => "---|")) + "---|");
        foreach (var t in timing)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {t.Id} | {(t.Inside is bool b ? (b ? "yes" : "no") : "cannot check")} | {string.Join(" | ", t.Figures.Select((f, k) => (f is double v ? Number(v) : "-") + (t.Intervals[k] is { } iv ? " " + iv : "")))} | {t.Why.Replace("|", "\\|")} |");
        sb.AppendLine();
        sb.AppendLine("Runs: " + string.Join(", ", names.Select((n, k) => $"run {k + 1} = {n}")) + ".");
        return sb.ToString();
    }

    static string Number(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

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
