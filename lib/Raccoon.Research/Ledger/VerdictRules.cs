namespace Raccoon.Research.Ledger;

/// <summary>
/// The one implementation of the verdict rules of ../shared/claims.md. A rule compares the measured
/// number with the claimed one:
/// <list type="bullet">
/// <item><c>ratio</c> (a speedup or "x fewer"; tolerance is a factor, default 2): holds within
/// [claimed/t, claimed*t]; partly when on the claimed side of 1 but outside; fails otherwise.</item>
/// <item><c>count</c> (tolerance relative, default 0.01): holds within it; partly within a factor 2; fails otherwise.</item>
/// <item><c>value</c> (an absolute figure; tolerance a factor, default 2): holds within it; partly within
/// the factor squared; fails otherwise.</item>
/// <item><c>accuracy</c> (percent; tolerance in points, default 3): holds within it; partly within three
/// times it; fails otherwise.</item>
/// <item><c>points</c> (a difference in points, e.g. accuracy lost; tolerance default 3): holds within
/// it; partly when of the claimed sign; fails otherwise.</item>
/// <item><c>check</c>: the experiment answers yes (holds) or no (fails).</item>
/// <item><c>judged</c>: the experiment gives the verdict and says why.</item>
/// </list>
/// An experiment may always state a verdict itself (not-testable-here, inconsistent), with its reason.
/// </summary>
public static class VerdictRules
{
    public static Verdict Decide(VerdictRule rule, ClaimedFigure claimed, double measured)
    {
        if (double.IsNaN(measured) || double.IsInfinity(measured))
            throw new ArgumentException($"measured figure is {measured}: no verdict can come from it", nameof(measured));
        if (rule.Kind is "check" or "judged")
            throw new ArgumentException($"a '{rule.Kind}' rule takes the experiment's own verdict, not a number");
        double c = claimed.Value ?? throw new ArgumentException($"the claim has no number for a '{rule.Kind}' rule");
        switch (rule.Kind)
        {
            case "ratio":
            {
                double t = rule.Tolerance ?? 2;
                if (measured >= c / t && measured <= c * t) return Verdict.Holds;
                bool sameSide = c >= 1 ? measured > 1 : measured < 1;
                return sameSide ? Verdict.Partly : Verdict.Fails;
            }
            case "count":
            {
                double t = rule.Tolerance ?? 0.01;
                double rel = Math.Abs(measured - c) / Math.Abs(c);
                if (rel <= t) return Verdict.Holds;
                return WithinFactor(measured, c, 2) ? Verdict.Partly : Verdict.Fails;
            }
            case "value":
            {
                double t = rule.Tolerance ?? 2;
                if (WithinFactor(measured, c, t)) return Verdict.Holds;
                return WithinFactor(measured, c, t * t) ? Verdict.Partly : Verdict.Fails;
            }
            case "accuracy":
            {
                double t = rule.Tolerance ?? 3;
                double d = Math.Abs(measured - c);
                return d <= t ? Verdict.Holds : d <= 3 * t ? Verdict.Partly : Verdict.Fails;
            }
            case "points":
            {
                double t = rule.Tolerance ?? 3;
                if (Math.Abs(measured - c) <= t) return Verdict.Holds;
                return Math.Sign(measured) == Math.Sign(c) ? Verdict.Partly : Verdict.Fails;
            }
            default:
                throw new ArgumentException($"unknown verdict rule '{rule.Kind}'");
        }
    }

    static bool WithinFactor(double measured, double claimed, double factor)
    {
        if (claimed == 0) return measured == 0;
        if (Math.Sign(measured) != Math.Sign(claimed)) return false;
        double r = measured / claimed;
        return r >= 1 / factor && r <= factor;
    }
}
