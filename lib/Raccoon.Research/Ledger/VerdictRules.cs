using Raccoon.Research.Measurements;
using System.Globalization;

namespace Raccoon.Research.Ledger;

/// <summary>
/// The one implementation of the verdict rules of ../shared/claims.md. A rule compares the measured
/// number with the claimed one:
/// <list type="bullet">
/// <item><c>ratio</c> (a speedup or "x fewer": how many times better the claimed winner is; tolerance a
/// factor &gt; 1, default 2; no-effect band a factor <c>noEffect</c> &gt; 1, default 1.1). The side of 1
/// comes first: a ratio inside the no-effect band [1/f, f], or on the other side of 1 than the claim, fails.
/// On the claimed side it holds within [claimed/t, claimed*t] (for a claimed range [lo, hi]: within
/// [lo/t, hi*t]), and is partly outside it.</item>
/// <item><c>count</c> (tolerance relative, in (0, 1), default 0.01): holds within it; partly within a factor 2; fails otherwise.</item>
/// <item><c>value</c> (an absolute figure; tolerance a factor &gt; 1, default 2): holds within it; partly
/// within the factor squared; fails otherwise.</item>
/// <item><c>accuracy</c> (percent; tolerance in points, default 3): holds within it; partly within three
/// times it; fails otherwise.</item>
/// <item><c>points</c> (a difference in points, e.g. accuracy lost; tolerance default 3): holds within
/// it; partly when of the claimed sign; fails otherwise.</item>
/// <item><c>conditions</c>: named figures against thresholds written in the rule (see <see cref="Condition"/>),
/// combined "all" (holds or fails) or "tally" (holds, partly, fails).</item>
/// <item><c>report</c>: the document left the figure blank; the measurement fills it in (verdict reported).</item>
/// <item><c>needs-hardware</c>: the claim needs hardware this machine lacks; only an experiment's not-testable-here answers it.</item>
/// </list>
/// A numeric rule with <c>direction</c> "at-least" (or "at-most") reads a claimed minimum (maximum): a figure past
/// the claim in the claimed direction holds, never fails.
/// With a measured interval (from the spread of repeated measurements), a verdict is given only when the
/// whole interval falls on one side of every boundary of the rule; otherwise it is inconclusive. A censored figure
/// (only a bound) is decided only where every value beyond the bound gives the same verdict.
/// An experiment never states a verdict; it may only say the claim cannot be measured here (not-testable-here).
/// </summary>
public static class VerdictRules
{
    public static readonly IReadOnlyList<string> Kinds = ["ratio", "count", "value", "accuracy", "points", "conditions", "report", "needs-hardware"];

    public static readonly IReadOnlyList<string> Directions = ["at-least", "at-most"];

    public static readonly IReadOnlyList<string> Combines = ["all", "tally"];

    /// <summary>The kinds that compare a measured number with the claimed one.</summary>
    public static bool IsNumeric(string kind) => kind is "ratio" or "count" or "value" or "accuracy" or "points";

    /// <summary>The kinds whose figure is an accuracy in points (an absolute one, or a difference of two).</summary>
    public static bool IsAccuracy(string kind) => kind is "accuracy" or "points";

    public const double DefaultNoEffect = 1.1;

    /// <summary>Where the claim's rule says holds, as factors of the claimed figure (measured / claimed), read off the
    /// rule itself on a fine logarithmic grid from 1/1000 to 1000: the tolerance band a forest plot draws. Null for a
    /// rule that compares no factor (accuracy and points rules compare points; conditions compare named figures).</summary>
    public static (double Low, double High)? HoldsBand(Claim claim)
    {
        if (claim.Rule.Kind is not ("ratio" or "count" or "value") || claim.Claimed.Value is not double c || c == 0) return null;
        double lo = double.NaN, hi = double.NaN;
        for (int i = -3000; i <= 3000; i++)
        {
            double f = Math.Pow(10, i / 1000.0);
            if (Decide(claim.Rule, claim.Claimed, c * f) != Verdict.Holds) continue;
            if (double.IsNaN(lo)) lo = f;
            hi = f;
        }
        return double.IsNaN(lo) ? null : (lo, hi);
    }


    /// <summary>A judged verdict made of several parts, each decided yes (true), no (false) or undecided (null, its
    /// interval crosses its boundary): holds when all parts hold, partly when some do, fails when none does; where
    /// deciding the undecided parts either way would change that verdict, inconclusive.</summary>
    public static Verdict Tally(IReadOnlyCollection<bool?> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("a tally needs at least one part", nameof(parts));
        Verdict Of(int held) => held == parts.Count ? Verdict.Holds : held > 0 ? Verdict.Partly : Verdict.Fails;
        int sure = parts.Count(p => p == true), open = parts.Count(p => p is null);
        return Of(sure) == Of(sure + open) ? Of(sure) : Verdict.Inconclusive;
    }

    /// <summary>Parts that must all hold: holds when all do, fails when one does not; inconclusive where an undecided
    /// part would decide.</summary>
    public static Verdict All(IReadOnlyCollection<bool?> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("a rule needs at least one part", nameof(parts));
        if (parts.Any(p => p == false)) return Verdict.Fails;
        return parts.All(p => p == true) ? Verdict.Holds : Verdict.Inconclusive;
    }

    /// <summary>The order of two timed things from the interval of their time ratio (slower / faster as the claim
    /// names them): holds when the whole interval lies above 1, fails when it lies below 1, inconclusive when it contains 1.</summary>
    public static Verdict Order(MeasuredInterval ratio) =>
        ratio.Low > 1 ? Verdict.Holds : ratio.High < 1 ? Verdict.Fails : Verdict.Inconclusive;

    /// <summary>The verdict for <paramref name="measured"/>; with <paramref name="interval"/>, inconclusive
    /// where the interval straddles a boundary of the rule.</summary>
    public static Verdict Decide(VerdictRule rule, ClaimedFigure claimed, double measured, MeasuredInterval? interval = null,
        Censor censored = Censor.None)
    {
        if (double.IsNaN(measured) || double.IsInfinity(measured))
            throw new ArgumentException($"measured figure is {measured}: no verdict can come from it", nameof(measured));
        if (!IsNumeric(rule.Kind) && Kinds.Contains(rule.Kind))
            throw new ArgumentException($"a '{rule.Kind}' rule reads named figures, not one number");
        if (!IsNumeric(rule.Kind)) throw new ArgumentException($"unknown verdict rule '{rule.Kind}'");
        if (rule.Kind is "ratio" && measured == 0)
            throw new ArgumentException($"measured figure is 0 for a '{rule.Kind}' rule: the measurement returned nothing", nameof(measured));
        if (rule.Kind == "ratio" && measured < 0)
            throw new ArgumentException($"measured ratio is {measured}: a ratio of costs cannot be negative", nameof(measured));
        if (claimed.Value is null) throw new ArgumentException($"the claim has no number for a '{rule.Kind}' rule");
        Verdict point = DecidePoint(rule, claimed, measured);
        if (censored != Censor.None) return DecideCensored(rule, claimed, measured, interval, censored);
        if (interval is null) return point;
        interval.Validate(measured);
        if (DecidePoint(rule, claimed, interval.Low) != point || DecidePoint(rule, claimed, interval.High) != point)
            return Verdict.Inconclusive;
        foreach (double b in Boundaries(rule, claimed))
            if (b > interval.Low && b < interval.High) return Verdict.Inconclusive;
        return point;
    }

    /// <summary>A figure known only as a bound: the verdict where every value it may take gives the same one, else inconclusive.</summary>
    static Verdict DecideCensored(VerdictRule rule, ClaimedFigure claimed, double measured, MeasuredInterval? interval, Censor censored)
    {
        var q = new Quantity("figure", measured, Interval: interval, Censored: censored);
        var (lo, hi) = q.Range;
        var probes = Boundaries(rule, claimed).Where(b => b > lo && b < hi).ToList();
        var points = new List<double>();
        if (double.IsFinite(lo)) points.Add(lo);
        if (double.IsFinite(hi)) points.Add(hi);
        points.AddRange(probes);
        for (int i = 0; i + 1 < probes.Count; i++) points.Add((probes[i] + probes[i + 1]) / 2);
        // Beyond the last boundary (and before the first), on the open side(s).
        double far = Math.Max(1, Math.Abs(measured)) * 1e12;
        if (double.IsPositiveInfinity(hi)) points.Add(far);
        if (double.IsNegativeInfinity(lo)) points.Add(rule.Kind == "ratio" ? 1 / far : -far);
        if (probes.Count > 0 && double.IsNegativeInfinity(lo) && rule.Kind == "ratio") points.Add(probes[0] / 2);
        var verdicts = points.Where(p => !(rule.Kind == "ratio" && p <= 0)).Select(p => DecidePoint(rule, claimed, p)).Distinct().ToList();
        return verdicts.Count == 1 ? verdicts[0] : Verdict.Inconclusive;
    }

    /// <summary>The figures at which the rule's verdict changes, in increasing order.</summary>
    public static IReadOnlyList<double> Boundaries(VerdictRule rule, ClaimedFigure claimed)
    {
        double c = claimed.Value ?? throw new ArgumentException($"the claim has no number for a '{rule.Kind}' rule");
        double[] candidates = rule.Kind switch
        {
            "ratio" => RatioCandidates(rule, claimed),
            "count" => [c * (1 - Tol(rule)), c * (1 + Tol(rule)), c / 2, c * 2],
            "value" => [c / Tol(rule), c * Tol(rule), c / (Tol(rule) * Tol(rule)), c * Tol(rule) * Tol(rule)],
            "accuracy" => [c - Tol(rule), c + Tol(rule), c - 3 * Tol(rule), c + 3 * Tol(rule)],
            "points" => [c - Tol(rule), c + Tol(rule), 0],
            _ => [],
        };
        return candidates.Where(b => double.IsFinite(b) && Changes(rule, claimed, b)).Distinct().Order().ToList();
    }

    /// <summary>
    /// Refuses a rule that cannot be applied or can never hold, naming the claim: an unknown kind, a missing
    /// one-line reason, a tolerance of the wrong sort (a factor below 1, a relative tolerance of 1 or more),
    /// a numeric rule without a claimed number, a claimed ratio inside its own no-effect band, an unknown
    /// minimum profile.
    /// </summary>
    public static void Validate(Claim claim)
    {
        var rule = claim.Rule;
        void Fail(string why) => throw new InvalidDataException($"claim {claim.Id}: rule {Describe(rule)} {why}");
        if (!Kinds.Contains(rule.Kind)) Fail($"has an unknown kind (expected {string.Join(", ", Kinds)})");
        if (string.IsNullOrWhiteSpace(rule.Reason)) Fail("has no reason: every rule says in one line why this rule and tolerance");
        if (rule.Reason!.Contains('\n') || rule.Reason.Contains('\r')) Fail("has a reason of more than one line");
        if (rule.MinProfile is not null && !VerdictRule.Profiles.Contains(rule.MinProfile))
            Fail($"has minProfile '{rule.MinProfile}' (expected quick, standard, reference or full)");
        if (rule.NoEffect is not null && rule.Kind != "ratio") Fail("has a no-effect band, which only a ratio rule takes");
        foreach (var cond in (rule.Conditions ?? []).Concat(rule.Requires ?? []).Concat(rule.Given ?? []).Concat(rule.InconsistentWhen is { } iw ? [iw] : []))
            cond.Validate(claim.Id);
        if (rule.Convergence is { } cv && (cv.Window < 1 || !(cv.MaxChange >= 0) || !double.IsFinite(cv.MaxChange) || cv.Needed <= cv.Window
            || cv.MinStep is double floor && !(floor > 0 && double.IsFinite(floor))))
            Fail("has a convergence test that needs a window of at least 1, a finite maximum change >= 0, more evaluations than the window and, where it sets minStep, a finite floor above 0");
        if (rule.Direction is { } dir && (!Directions.Contains(dir) || !IsNumeric(rule.Kind) || rule.Kind is "count" || claim.Claimed.Upper is not null))
            Fail($"has direction '{dir}', which needs a ratio, value, accuracy or points rule without a claimed range (directions: {string.Join(", ", Directions)})");
        if (rule.Kind == "conditions")
        {
            if (rule.Conditions is not { Count: > 0 }) Fail("has no conditions");
            if (rule.Combine is not { } cb || !Combines.Contains(cb)) Fail($"needs 'combine': one of {string.Join(", ", Combines)}");
            if (rule.Combine == "tally" && rule.Conditions!.Count < 2) Fail("tallies a single condition, which can never be partly: use combine 'all'");
        }
        else if (rule.Conditions is not null || rule.Combine is not null) Fail("has conditions, which only the kind 'conditions' takes");
        if (rule.Requires is not null && !IsNumeric(rule.Kind)) Fail("has 'requires', which only a numeric rule takes");
        if (rule.Search is { } search)
        {
            if (rule.Kind != "ratio" || rule.Figure is not null) Fail("has a search, whose headline is a ratio of two arms' deepest stable sizes: it needs a ratio rule without a named figure");
            search.Validate(claim.Id);
        }
        if (!IsNumeric(rule.Kind))
        {
            if (rule.Tolerance is not null) Fail($"has a tolerance, but a '{rule.Kind}' rule compares no single number");
            if (rule.Figure is not null) Fail($"names a figure, but a '{rule.Kind}' rule reads none alone");
            return;
        }
        if (claim.Claimed.Value is not double c || !double.IsFinite(c)) { Fail("needs a claimed number (claimed.value)"); return; }
        if (rule.Tolerance is double t && !(double.IsFinite(t) && t > 0)) Fail("needs a positive finite tolerance");
        if (claim.Claimed.Upper is double u && (rule.Kind != "ratio" || !(u > c)))
            Fail("has a claimed range (claimed.upper), which needs a ratio rule and an upper end above the lower");
        switch (rule.Kind)
        {
            case "ratio":
            {
                double ne = rule.NoEffect ?? DefaultNoEffect;
                if (!(ne > 1)) Fail("has a no-effect band that is not a factor above 1");
                if (!(Tol(rule) > 1)) Fail("has a tolerance that is a factor and must exceed 1");
                if (!(c > 0)) Fail("needs a claimed ratio above 0");
                if (c >= 1 / ne && c <= ne) Fail($"claims a ratio of {c} inside its own no-effect band [1/{ne}, {ne}], so it can never hold");
                // The tolerance band must keep to the claim's side of the no-effect band, or any effect at all would hold.
                if (c > 1 && c / Tol(rule) < ne && rule.Direction is null)
                    Fail($"accepts ratios down to {c / Tol(rule):0.###}, inside the no-effect band (up to {ne}): the tolerance must keep the claim's band above it");
                if (c < 1 && c * Tol(rule) > 1 / ne && rule.Direction is null)
                    Fail($"accepts ratios up to {c * Tol(rule):0.###}, inside the no-effect band (from {1 / ne:0.###}): the tolerance must keep the claim's band below it");
                break;
            }
            case "value":
                if (!(Tol(rule) > 1)) Fail("has a tolerance that is a factor and must exceed 1 (a value rule needs r <= t and r >= 1/t)");
                if (c == 0) Fail("compares by a factor, so it needs a claimed value other than 0");
                break;
            case "count":
                if (!(Tol(rule) < 1)) Fail("has a relative tolerance, which must be below 1");
                if (c == 0) Fail("compares relatively, so it needs a claimed count other than 0");
                break;
            case "accuracy":
                if (c < 0 || c > 100) Fail("needs a claimed accuracy in [0, 100] percent");
                break;
            case "points":
                if (c == 0) Fail("judges the sign of a difference, so it needs a claimed difference other than 0");
                break;
        }
        // Finally: some measured figure must give holds.
        if (!CanHold(rule, claim.Claimed)) Fail("can never hold");
    }

    static Verdict DecidePoint(VerdictRule rule, ClaimedFigure claimed, double measured)
    {
        double c = claimed.Value!.Value;
        switch (rule.Kind)
        {
            case "ratio":
            {
                double t = Tol(rule), ne = rule.NoEffect ?? DefaultNoEffect;
                bool up = c > 1;
                bool onClaimedSide = up ? measured > ne : measured < 1 / ne;
                if (!onClaimedSide) return Verdict.Fails; // no effect, or the other way round: before any tolerance
                double lo = c / t, hi = (claimed.Upper ?? c) * t;
                if (rule.Direction == "at-least") hi = up ? double.PositiveInfinity : hi;
                if (rule.Direction == "at-least" && !up) lo = 0;
                return measured >= lo && measured <= hi ? Verdict.Holds : Verdict.Partly;
            }
            case "count":
            {
                double rel = Math.Abs(measured - c) / Math.Abs(c);
                if (rel <= Tol(rule)) return Verdict.Holds;
                return WithinFactor(measured, c, 2) ? Verdict.Partly : Verdict.Fails;
            }
            case "value":
            {
                double t = Tol(rule);
                if (rule.Direction is { } d && Math.Sign(measured) == Math.Sign(c))
                {
                    // A claimed minimum (maximum): past it in the claimed direction holds; short of it by the factor, partly.
                    double r = measured / c;
                    bool past = d == "at-least" ? r >= 1 : r <= 1;
                    if (past || WithinFactor(measured, c, t)) return Verdict.Holds;
                    return WithinFactor(measured, c, t * t) ? Verdict.Partly : Verdict.Fails;
                }
                if (WithinFactor(measured, c, t)) return Verdict.Holds;
                return WithinFactor(measured, c, t * t) ? Verdict.Partly : Verdict.Fails;
            }
            case "accuracy":
            {
                double t = Tol(rule), d = Math.Abs(measured - c);
                if (rule.Direction == "at-least" && measured >= c || rule.Direction == "at-most" && measured <= c) return Verdict.Holds;
                return d <= t ? Verdict.Holds : d <= 3 * t ? Verdict.Partly : Verdict.Fails;
            }
            case "points":
            {
                if (Math.Abs(measured - c) <= Tol(rule)) return Verdict.Holds;
                if (rule.Direction == "at-least" && measured >= c || rule.Direction == "at-most" && measured <= c) return Verdict.Holds;
                return Math.Sign(measured) == Math.Sign(c) ? Verdict.Partly : Verdict.Fails;
            }
            default:
                throw new ArgumentException($"unknown verdict rule '{rule.Kind}'");
        }
    }

    static double Tol(VerdictRule rule) => rule.Tolerance ?? rule.Kind switch
    {
        "ratio" or "value" => 2,
        "count" => 0.01,
        _ => 3,
    };

    static double[] RatioCandidates(VerdictRule rule, ClaimedFigure claimed)
    {
        double c = claimed.Value!.Value, t = Tol(rule), ne = rule.NoEffect ?? DefaultNoEffect;
        return [ne, 1 / ne, c / t, (claimed.Upper ?? c) * t];
    }

    static bool Changes(VerdictRule rule, ClaimedFigure claimed, double b)
    {
        double eps = Math.Max(Math.Abs(b), 1) * 1e-9;
        return DecidePoint(rule, claimed, b - eps) != DecidePoint(rule, claimed, b + eps);
    }

    static bool CanHold(VerdictRule rule, ClaimedFigure claimed)
    {
        double c = claimed.Value!.Value;
        var probes = new List<double> { c };
        if (claimed.Upper is double u) probes.Add(u);
        var bounds = RatioOrAll(rule, claimed);
        probes.AddRange(bounds);
        for (int i = 0; i + 1 < bounds.Count; i++) probes.Add((bounds[i] + bounds[i + 1]) / 2);
        return probes.Where(double.IsFinite).Any(x => DecidePoint(rule, claimed, x) == Verdict.Holds);
    }

    static IReadOnlyList<double> RatioOrAll(VerdictRule rule, ClaimedFigure claimed)
    {
        try { return Boundaries(rule, claimed); }
        catch (ArgumentException) { return []; }
    }

    static string Describe(VerdictRule rule) =>
        $"'{rule.Kind}'" + (rule.Tolerance is double t ? $" with tolerance {t.ToString(CultureInfo.InvariantCulture)}" : "");

    static bool WithinFactor(double measured, double claimed, double factor)
    {
        if (claimed == 0) return measured == 0;
        if (Math.Sign(measured) != Math.Sign(claimed)) return false;
        double r = measured / claimed;
        return r >= 1 / factor && r <= factor;
    }
}
