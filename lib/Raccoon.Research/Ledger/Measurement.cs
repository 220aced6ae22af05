namespace Raccoon.Research.Ledger;

/// <summary>
/// What a measurement's number (and verdict) rests on: computed figures (counts, FLOPs, losses, accuracies)
/// are the same for the same seed on any machine; timings (a clock) and measured process memory (GC heap,
/// resident set) vary from run to run and with load, so two runs agree on them only within noise.
/// </summary>
public enum FigureKind { Computed, Timing, Memory }

/// <summary>
/// What an experiment found for one claim: the measured figure in words, the number the claim's rule
/// compares (or a verdict of the experiment's own, for check/judged rules, not-testable-here and
/// inconsistent), why, and where the evidence is.
/// </summary>
public sealed record Measurement(string ClaimId, string Measured, double? Value = null, Verdict? Verdict = null,
    string? Reason = null, string? Evidence = null, FigureKind Kind = FigureKind.Computed)
{
    public static Measurement Number(string claimId, double value, string measured, string? evidence = null, string? reason = null,
        FigureKind kind = FigureKind.Computed) =>
        new(claimId, measured, value, null, reason, evidence, kind);

    public static Measurement Check(string claimId, bool holds, string measured, string? evidence = null, string? reason = null,
        FigureKind kind = FigureKind.Computed) =>
        new(claimId, measured, null, holds ? Ledger.Verdict.Holds : Ledger.Verdict.Fails, reason, evidence, kind);

    public static Measurement Judged(string claimId, Verdict verdict, string measured, string reason, string? evidence = null,
        FigureKind kind = FigureKind.Computed) =>
        new(claimId, measured, null, verdict, reason, evidence, kind);

    public static Measurement NotTestable(string claimId, string needs, string? measured = null, string? evidence = null) =>
        new(claimId, measured ?? "not measured", null, Ledger.Verdict.NotTestableHere, needs, evidence);
}

/// <summary>One row of the claims ledger.</summary>
public sealed record LedgerRow(
    string Id, string Document, string Claim, string Claimed, string Measured, Verdict Verdict,
    string Notebook, string? Evidence, string? Reason, double? MeasuredValue, string? Experiment,
    string? Profile, int? Seed, DateTimeOffset? MeasuredAt, FigureKind FigureKind = FigureKind.Computed)
{
    /// <summary>The row's verdict from a measurement, through the claim's rule where the experiment gave a number.</summary>
    public static LedgerRow From(Claim claim, Measurement m, string experiment, string profile, int seed, DateTimeOffset at)
    {
        if (m.ClaimId != claim.Id) throw new ArgumentException($"measurement for {m.ClaimId} given to claim {claim.Id}");
        Verdict verdict = m.Verdict ?? (m.Value is double v
            ? VerdictRules.Decide(claim.Rule, claim.Claimed, v)
            : throw new ArgumentException($"{claim.Id}: a measurement needs a number or a verdict"));
        return new LedgerRow(claim.Id, claim.Document, claim.Text, claim.Claimed.Text, m.Measured, verdict,
            claim.Notebook, m.Evidence, m.Reason, m.Value, experiment, profile, seed, at, m.Kind);
    }

    public static LedgerRow NotRun(Claim claim) =>
        new(claim.Id, claim.Document, claim.Text, claim.Claimed.Text, "not measured", Verdict.NotRun,
            claim.Notebook, null, "no experiment has answered this claim yet", null, null, null, null, null);
}
