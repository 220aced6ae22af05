namespace Raccoon.Research.Ledger;

/// <summary>The verdicts of ../shared/claims.md, plus NotRun for a claim no experiment has answered yet,
/// Inconclusive where the measurement cannot decide (an interval across a boundary of the claim's rule, a censored
/// figure, a model that did not converge), and Reported where the document left the figure blank and the
/// measurement fills it in: there is nothing to hold or fail.</summary>
public enum Verdict { NotRun, Holds, Partly, Fails, Inconclusive, NotTestableHere, Inconsistent, Reported }

public static class VerdictNames
{
    public static string Name(this Verdict v) => v switch
    {
        Verdict.Holds => "holds",
        Verdict.Partly => "partly",
        Verdict.Fails => "fails",
        Verdict.Inconclusive => "inconclusive",
        Verdict.NotTestableHere => "not-testable-here",
        Verdict.Inconsistent => "inconsistent",
        Verdict.Reported => "reported",
        _ => "not-run",
    };

    public static Verdict Parse(string name) => name switch
    {
        "holds" => Verdict.Holds,
        "partly" => Verdict.Partly,
        "fails" => Verdict.Fails,
        "inconclusive" => Verdict.Inconclusive,
        "not-testable-here" => Verdict.NotTestableHere,
        "inconsistent" => Verdict.Inconsistent,
        "reported" => Verdict.Reported,
        "not-run" => Verdict.NotRun,
        _ => throw new FormatException($"unknown verdict '{name}' (expected holds, partly, fails, inconclusive, not-testable-here, inconsistent, reported or not-run)"),
    };
}
