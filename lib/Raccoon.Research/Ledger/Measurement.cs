using Raccoon.Research.Measurements;
using System.Globalization;

namespace Raccoon.Research.Ledger;

/// <summary>One build's answer to a claim that names several (as the document describes it, as upstream
/// defines it): its headline figure for the claim's rule and its named figures and training traces, and whether it
/// is the upstream build. <paramref name="Claimed"/> is the document's figure for this build where it gives one per
/// build (H4-01's two counts); otherwise the claim's figure is used.</summary>
public sealed record BuildMeasurement(string Build, string Measured, double? Value = null,
    MeasuredInterval? Interval = null, bool Upstream = false, double? Claimed = null,
    IReadOnlyList<Quantity>? Figures = null, IReadOnlyList<HeldOutTrace>? Traces = null, Censor Censored = Censor.None);

/// <summary>Which verdict heads a row with several builds: the upstream build's (the code the document
/// describes), or, where the claim names every build's figure (H4-01's two counts), the weakest.</summary>
public enum BuildHeadline { Upstream, Weakest }

/// <summary>
/// What a measurement's number (and verdict) rests on: computed figures (counts, FLOPs, losses, accuracies)
/// are the same for the same seed on any machine; timings (a clock) and measured process memory (GC heap,
/// resident set) vary from run to run and with load, so two runs agree on them only within noise.
/// </summary>
public enum FigureKind { Computed, Timing, Memory }

/// <summary>
/// What an experiment found for one claim: figures only, never a verdict. The measured figure in words, the headline
/// number a numeric rule compares (<see cref="Value"/>, with its <see cref="Interval"/> and <see cref="Censored"/>
/// state), named <see cref="Figures"/> that a conditions rule reads, the <see cref="Traces"/> of the models it
/// trained (the ledger's convergence test reads them), a figure per build (<see cref="Builds"/>), and where the
/// evidence is. <see cref="NotTestable"/> is the one thing an experiment may say instead of figures: that the
/// claim cannot be measured here, and what it would need. The ledger (<see cref="Judge"/>) judges.
/// </summary>
public sealed record Measurement(string ClaimId, string Measured, double? Value = null,
    string? Reason = null, string? Evidence = null, MeasuredInterval? Interval = null, IReadOnlyList<BuildMeasurement>? Builds = null,
    BuildHeadline Headline = BuildHeadline.Upstream, FigureKind Kind = FigureKind.Computed,
    IReadOnlyList<Quantity>? Figures = null, IReadOnlyList<HeldOutTrace>? Traces = null, Censor Censored = Censor.None,
    string? NotTestable = null, IReadOnlyList<SearchRun>? Runs = null)
{
    public static Measurement Number(string claimId, double value, string measured, string? evidence = null, string? reason = null,
        MeasuredInterval? interval = null, FigureKind kind = FigureKind.Computed) =>
        new(claimId, measured, value, reason, evidence, interval, Kind: kind);

    /// <summary>Named figures for a conditions rule (and, optionally, the traces of the models they come from).</summary>
    public static Measurement Of(string claimId, string measured, IEnumerable<Quantity> figures, string? evidence = null,
        string? reason = null, FigureKind kind = FigureKind.Computed, IReadOnlyList<HeldOutTrace>? traces = null) =>
        new(claimId, measured, null, reason, evidence, Kind: kind, Figures: figures.ToList(), Traces: traces);

    public static Measurement NotTestableHere(string claimId, string needs, string? measured = null, string? evidence = null) =>
        new(claimId, measured ?? "not measured", null, needs, evidence, NotTestable: needs);

    /// <summary>A claim answered by several builds, each judged by the claim's rule; the headline figure
    /// (Value, Interval) is the build marked upstream, since that is the code the document describes.</summary>
    public static Measurement PerBuild(string claimId, string measured, IReadOnlyList<BuildMeasurement> builds,
        string? evidence = null, string? reason = null, BuildHeadline headline = BuildHeadline.Upstream)
    {
        if (builds.Count == 0) throw new ArgumentException($"{claimId}: a per-build measurement needs at least one build", nameof(builds));
        var upstream = builds.Where(b => b.Upstream).ToList();
        if (upstream.Count != 1)
            throw new ArgumentException($"{claimId}: exactly one build must be marked upstream (marked: {upstream.Count})", nameof(builds));
        var dup = builds.GroupBy(b => b.Build).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"{claimId}: build '{dup.Key}' is listed twice", nameof(builds));
        var u = upstream[0];
        return new(claimId, measured, u.Value, reason, evidence, u.Interval, builds, headline, Censored: u.Censored);
    }

    /// <summary>A figure an experiment measured and needs: NaN, infinite or zero means the measurement returned
    /// nothing, which is an error of the experiment naming the claim, never an input to a rule.</summary>
    public static double Require(string claimId, string figure, double value)
    {
        if (!double.IsFinite(value) || value == 0)
            throw new InvalidOperationException($"{claimId}: {figure} measured {value.ToString(CultureInfo.InvariantCulture)}: the measurement returned nothing, so no verdict can come from it");
        return value;
    }
}

/// <summary>One build's verdict in a ledger row.</summary>
public sealed record BuildVerdict(string Build, string Measured, Verdict Verdict, double? Value = null,
    MeasuredInterval? Interval = null, bool Upstream = false, double? Claimed = null);

/// <summary>Another run's verdict of the same claim, shown beside a row (the standard run's beside a row judged from the
/// committed reference run): which run, its verdict, its figure and its reason.</summary>
public sealed record OtherRunVerdict(string Run, Verdict Verdict, string Measured, string? Reason, bool? Converged)
{
    /// <summary>" (not converged)" where that run's models did not converge, else empty.</summary>
    public string ConvergenceSuffix => Converged == false ? " (not converged)" : "";

    /// <summary>"standard run: inconclusive (not converged)": the one wording of the other run's verdict.</summary>
    public string Describe() => $"{Run}: {Verdict.Name()}{ConvergenceSuffix}";
}

/// <summary>One row of the claims ledger. The first eight fields are always there (evidence included);
/// <see cref="Provisional"/> is true when the row was measured below its rule's minimum profile.</summary>
public sealed record LedgerRow(
    string Id, string Document, string Claim, string Claimed, string Measured, Verdict Verdict,
    string Notebook, string Evidence, string? Reason, double? MeasuredValue, string? Experiment,
    string? Profile, int? Seed, DateTimeOffset? MeasuredAt,
    MeasuredInterval? Interval = null, IReadOnlyList<BuildVerdict>? Builds = null, bool Provisional = false,
    string? MinProfile = null, int? Threads = null, FigureKind FigureKind = FigureKind.Computed, bool? Optimized = null,
    string? OffBy = null, double? Factor = null, IReadOnlyList<Quantity>? Figures = null, bool? Converged = null,
    OtherRunVerdict? Beside = null)
{
    /// <summary>"optimized" or "DEBUG" (timings of a Debug build are not comparable); empty for a row not measured.</summary>
    public string BuildConfiguration => Optimized switch { true => "optimized", false => "DEBUG", null => "" };

    public const string NoExperimentYet = "no experiment answers this claim yet";

    /// <summary>The row's verdict from a measurement, through the claim's rule (see <see cref="Judge"/>).</summary>
    public static LedgerRow From(Claim claim, Measurement m, string experiment, string profile, int seed, DateTimeOffset at, int? threads = null, bool? optimized = null) =>
        Judge.Row(claim, m, experiment, profile, seed, at, threads, optimized);

    public static LedgerRow NotRun(Claim claim) =>
        new(claim.Id, claim.Document, claim.Text, claim.Claimed.Text, "not measured", Verdict.NotRun,
            claim.Notebook, NoExperimentYet, NoExperimentYet, null, null, null, null, null, MinProfile: claim.Rule.MinProfile);

}
