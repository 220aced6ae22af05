namespace Raccoon.Research.Ledger;

/// <summary>The verdicts of ../shared/claims.md, plus NotRun for a claim no experiment has answered yet, and
/// Inconclusive where the measured interval straddles a boundary of the claim's rule.</summary>
public enum Verdict { NotRun, Holds, Partly, Fails, Inconclusive, NotTestableHere, Inconsistent }

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
        "not-run" => Verdict.NotRun,
        _ => throw new FormatException($"unknown verdict '{name}' (expected holds, partly, fails, inconclusive, not-testable-here, inconsistent or not-run)"),
    };
}
