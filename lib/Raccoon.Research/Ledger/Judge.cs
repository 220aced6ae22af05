using Raccoon.Research.Measurements;
using System.Globalization;
using Raccoon.Research.IO;

namespace Raccoon.Research.Ledger;

/// <summary>
/// The one judge: a claim's rule from claims.json applied to what an experiment measured. Experiments return
/// figures only; every verdict of the ledger, the report, the write-up and the notebooks comes from here. In order:
/// not-testable-here (the one thing an experiment may say), convergence (no verdict on a model that did not converge),
/// the document against itself (inconsistent), then the rule's kind on the figures, with intervals and censoring
/// deciding only where every value they allow gives the same verdict.
/// </summary>
public static class Judge
{
    /// <summary>One ledger row from one measurement. A timing's intervals are first widened by the spread its figures
    /// took between whole runs on this machine (<paramref name="betweenRuns"/>, by default the record committed with the
    /// library; see <see cref="BetweenRunRecord"/>).</summary>
    public static LedgerRow Row(Claim claim, Measurement m, string experiment, string profile, int seed, DateTimeOffset at,
        int? threads = null, bool? optimized = null, BetweenRunRecord? betweenRuns = null)
    {
        using var culture = InvariantFormatting.Enter(); // the verdict's sentences read the same in any caller's culture
        if (m.ClaimId != claim.Id) throw new ArgumentException($"measurement for {m.ClaimId} given to claim {claim.Id}");
        var reasons = new List<string>();
        if (claim.Rule.Search is { } search && m.NotTestable is null) m = Searched(claim, search, m, reasons);
        m = BetweenRunRecord.Widen(betweenRuns ?? BetweenRunRecord.Embedded, m, profile, threads, out string? spread);
        Verdict verdict;
        List<BuildVerdict>? builds = null;
        bool? converged = null;
        if (m.NotTestable is { } needs)
        {
            verdict = Verdict.NotTestableHere;
            reasons.Add($"not testable here: {needs}");
        }
        else if (m.Builds is { } bs)
        {
            var judged = bs.Select(b =>
            {
                var c = b.Claimed is double bc ? claim with { Claimed = claim.Claimed with { Value = bc } } : claim;
                var figures = Merge(m.Figures, b.Figures);
                var o = Decide(c, b.Value, b.Interval, b.Censored, figures, (m.Traces ?? []).Concat(b.Traces ?? []).ToList(), $"build '{b.Build}'");
                return (b, o);
            }).ToList();
            builds = judged.Select(x => new BuildVerdict(x.b.Build, x.b.Measured, x.o.Verdict, x.b.Value, x.b.Interval, x.b.Upstream, x.b.Claimed)).ToList();
            var head = m.Headline == BuildHeadline.Weakest ? judged.MinBy(x => Strength(x.o.Verdict)) : judged.Single(x => x.b.Upstream);
            verdict = head.o.Verdict;
            converged = head.o.Converged;
            reasons.Add(m.Headline == BuildHeadline.Weakest ? $"headline: the weakest of the builds ({LedgerFiles.BuildsText(builds)})"
                : $"headline: the upstream build ({LedgerFiles.BuildsText(builds)})");
            reasons.AddRange(judged.Where(x => x.o.Why is not null).Select(x => $"{x.b.Build}: {x.o.Why}"));
        }
        else
        {
            var o = Decide(claim, m.Value, m.Interval, m.Censored, Merge(m.Figures, null), m.Traces ?? [], "measurement");
            verdict = o.Verdict;
            converged = o.Converged;
            if (o.Why is not null) reasons.Add(o.Why);
        }
        if (!string.IsNullOrEmpty(m.Reason) && m.NotTestable is null) reasons.Add(m.Reason);
        if (spread is not null) reasons.Add(spread);
        bool provisional = claim.Rule.IsProvisionalAt(profile);
        if (provisional) reasons.Insert(0, $"provisional: measured at profile {profile}, the rule needs {claim.Rule.MinProfile}");
        var (offBy, factor) = HowFarOff(claim, m, verdict);
        return new LedgerRow(claim.Id, claim.Document, claim.Text, claim.Claimed.Text, m.Measured, verdict,
            claim.Notebook, m.Evidence ?? $"experiment {experiment}", reasons.Count == 0 ? null : string.Join("; ", reasons), m.Value, experiment, profile, seed, at,
            m.Interval, builds, provisional, claim.Rule.MinProfile, threads, m.Kind, optimized, offBy, factor, m.Figures, converged);
    }

    /// <summary>A search for where training breaks, read with the claim's definition of "destabilised": each arm's
    /// deepest stable size becomes a figure of the row, and their ratio (censored where the search ran out) its headline.</summary>
    static Measurement Searched(Claim claim, BreakSearch search, Measurement m, List<string> reasons)
    {
        if (m.Runs is not { Count: > 0 } runs)
            throw new ArgumentException($"{claim.Id}: its rule searches for where training breaks, but the measurement gives no runs");
        var (stable, stableText) = search.Deepest(runs, search.Stable, claim.Id);
        var (versus, versusText) = search.Deepest(runs, search.Versus, claim.Id);
        var (value, interval, censored) = BreakSearch.Ratio(stable, versus);
        reasons.Add($"destabilised: {string.Join(" or ", search.Destabilised.Select(c => $"{c} ({c.Why})"))}; deepest stable {search.Size}: {stableText}; {versusText}");
        var figures = (m.Figures ?? []).Where(q => q.Name != stable.Name && q.Name != versus.Name).Append(stable).Append(versus).ToList();
        return m with { Value = value, Interval = interval, Censored = censored, Figures = figures };
    }

    /// <summary>A verdict, whether the models converged (null where the rule tests none), and why, in words.</summary>
    public sealed record Outcome(Verdict Verdict, string? Why, bool? Converged);

    /// <summary>The verdict of one figure set under the claim's rule.</summary>
    public static Outcome Decide(Claim claim, double? value, MeasuredInterval? interval, Censor censored,
        IReadOnlyDictionary<string, Quantity> figures, IReadOnlyList<HeldOutTrace> traces, string what)
    {
        var rule = claim.Rule;
        var why = new List<string>();
        bool? converged = null;
        if (rule.InconsistentWhen is { } inc)
        {
            bool? found = inc.Decide(figures, claim.Id);
            if (found == true) return new Outcome(Verdict.Inconsistent, $"the document contradicts itself: {inc} ({inc.Why})", null);
            if (found is null) return new Outcome(Verdict.Inconclusive, $"whether the document contradicts itself is undecided: {inc}", null);
        }
        if (rule.Convergence is { } cv)
        {
            if (traces.Count == 0)
                throw new ArgumentException($"{claim.Id}: the {what} comes from training, and its rule tests convergence, but it gives no training trace");
            foreach (var t in traces) t.Validate();
            var open = traces.Select(cv.NotConverged).OfType<string>().ToList();
            converged = open.Count == 0;
            if (open.Count > 0)
                return new Outcome(Verdict.Inconclusive, "not converged at this size: " + string.Join("; ", open), false);
            why.Add($"converged: every trace's held-out metric moved at most {Plateau(cv)} over its last {cv.Window} evaluations; plateau first reached at " +
                string.Join(", ", traces.Select(t => $"{t.Name} step {cv.PlateauAt(t)!.Value.ToString("0.##", CultureInfo.InvariantCulture)} of {t.Steps[^1].ToString("0.##", CultureInfo.InvariantCulture)}")));
        }
        if (rule.Given is { } given)
        {
            var unmet = given.Select(c => (c, d: c.Decide(figures, claim.Id))).Where(x => x.d != true).ToList();
            if (unmet.Count > 0)
                return new Outcome(Verdict.Inconclusive, "the measurement cannot decide: " + string.Join("; ", unmet.Select(x =>
                    $"{x.c} is {(x.d is null ? "undecided" : "not met")} (measured {Show(figures, x.c)}; {x.c.Why})")), converged);
        }
        Verdict v;
        switch (rule.Kind)
        {
            case "needs-hardware":
                throw new ArgumentException($"{claim.Id}: its rule says it needs hardware this machine lacks, but the {what} gives figures instead of saying what it needs");
            case "report":
                if (value is null && figures.Count == 0) throw new ArgumentException($"{claim.Id}: the {what} reports no figure to fill the document's blank");
                v = Verdict.Reported;
                why.Add("the document left this figure blank; the measurement fills it in");
                break;
            case "conditions":
            {
                var parts = rule.Conditions!.Select(c => (c, d: c.Decide(figures, claim.Id))).ToList();
                v = rule.Combine == "tally" ? VerdictRules.Tally(parts.Select(p => p.d).ToList()) : VerdictRules.All(parts.Select(p => p.d).ToList());
                why.Add(string.Join("; ", parts.Select(p => $"{p.c}: {Yes(p.d)} (measured {Show(figures, p.c)})")));
                break;
            }
            default:
            {
                Quantity q = rule.Figure is { } name
                    ? figures.TryGetValue(name, out var f) ? f : throw new ArgumentException($"{claim.Id}: the rule reads figure '{name}', which the {what} does not give")
                    : value is double x ? new Quantity("measured", x, Interval: interval, Censored: censored)
                    : throw new ArgumentException($"{claim.Id}: the {what} needs a number for its '{rule.Kind}' rule");
                v = VerdictRules.Decide(rule, claim.Claimed, q.Value, q.Interval, q.Censored);
                if (v == Verdict.Inconclusive && q.Censored != Censor.None)
                    why.Add($"censored: the measurement only bounds the figure ({q}), and the values it allows give different verdicts");
                else if (v == Verdict.Inconclusive && q.Interval is { } i)
                {
                    // name the verdicts the interval's two ends would give, so a reader sees which question is open
                    string Word(double end) => VerdictRules.Decide(rule, claim.Claimed, end, null, Censor.None).Name();
                    why.Add($"the measured interval {i} straddles a boundary of the rule (its low end reads {Word(i.Low)}, its high end {Word(i.High)})");
                }
                if (rule.Requires is { } req)
                {
                    var parts = req.Select(c => (c, d: c.Decide(figures, claim.Id))).ToList();
                    why.Add("requires " + string.Join("; ", parts.Select(p => $"{p.c}: {Yes(p.d)} (measured {Show(figures, p.c)})")));
                    Verdict Down(Verdict x) => x == Verdict.Holds ? Verdict.Partly : x == Verdict.Inconclusive ? Verdict.Inconclusive : Verdict.Fails;
                    if (parts.Any(p => p.d == false)) v = Down(v);
                    else if (parts.Any(p => p.d is null) && Down(v) != v) v = Verdict.Inconclusive;
                }
                break;
            }
        }
        return new Outcome(v, why.Count == 0 ? null : string.Join("; ", why), converged);
    }

    /// <summary>How far the measured figure is from the claim, as a factor (ratio, value and count rules) or in points
    /// (accuracy and points rules): "claimed 31x, measured 6.2x: 5.0x short".</summary>
    public static (string? Text, double? Factor) HowFarOff(Claim claim, Measurement m, Verdict verdict)
    {
        if (verdict is Verdict.NotRun or Verdict.NotTestableHere) return (null, null);
        var rule = claim.Rule;
        if (!VerdictRules.IsNumeric(rule.Kind) || claim.Claimed.Value is not double c) return (null, null);
        double? measured = rule.Figure is { } name ? m.Figures?.FirstOrDefault(f => f.Name == name)?.Value : m.Value;
        if (measured is not double x) return (null, null);
        string Num(double y) => y.ToString(Math.Abs(y) >= 100 ? "0" : Math.Abs(y) >= 10 ? "0.0" : Math.Abs(y) >= 0.1 ? "0.0#" : "G2", CultureInfo.InvariantCulture);
        string unit = claim.Claimed.Unit is { } u ? " " + u : "";
        string claimed = claim.Claimed.Upper is double up ? $"{Num(c)}-{Num(up)}" : Num(c);
        string head = $"claimed {claimed}{unit}, measured {Num(x)}";
        if (VerdictRules.IsAccuracy(rule.Kind))
        {
            double d = x - c;
            return ($"{head}: {Num(Math.Abs(d))} points {(d >= 0 ? "above" : "below")} the claim", null);
        }
        if (c == 0 || Math.Sign(x) != Math.Sign(c)) return ($"{head}: of the opposite sign", null);
        double hi = claim.Claimed.Upper ?? c;
        if (x >= c && x <= hi) return ($"{head}: {(claim.Claimed.Upper is null ? "equal to the claim" : "within the claimed range")}", x / c);
        double f = x < c ? c / x : x / hi;
        if (f < 1.005) return ($"{head}: equal to the claim within 0.5%", x / c);
        return ($"{head}: {Num(f)}x {(x < c ? "short of" : "past")} the claim", x / c);
    }

    static IReadOnlyDictionary<string, Quantity> Merge(IReadOnlyList<Quantity>? common, IReadOnlyList<Quantity>? own)
    {
        var d = new Dictionary<string, Quantity>();
        foreach (var q in common ?? []) d[q.Name] = q;
        foreach (var q in own ?? []) d[q.Name] = q;
        return d;
    }

    static string Yes(bool? d) => d switch { true => "yes", false => "no", null => "undecided" };

    static string Show(IReadOnlyDictionary<string, Quantity> figures, Condition c)
    {
        string One(string n) => figures.TryGetValue(n, out var q) ? q.ToString() : n + " (missing)";
        return c.Than is null ? One(c.Figure) : $"{One(c.Figure)}, {One(c.Than)}";
    }

    static string Plateau(ConvergenceRule cv) => (cv.Relative
        ? cv.MaxChange.ToString("P1", CultureInfo.InvariantCulture)
        : cv.MaxChange.ToString("G3", CultureInfo.InvariantCulture))
        + (cv.MinStep is double floor ? $" (tested from step {floor.ToString("N0", CultureInfo.InvariantCulture)} on)" : "");

    /// <summary>How strongly a verdict supports the claim, for the weakest-build headline.</summary>
    static int Strength(Verdict v) => v switch
    {
        Verdict.Holds => 6,
        Verdict.Reported => 5,
        Verdict.Partly => 4,
        Verdict.Inconclusive => 3,
        Verdict.NotTestableHere => 2,
        Verdict.Inconsistent => 1,
        _ => 0,
    };
}
