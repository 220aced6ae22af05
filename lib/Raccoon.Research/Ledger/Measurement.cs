using System.Globalization;

namespace Raccoon.Research.Ledger;

/// <summary>Where a measured figure lies, from the spread of its repetitions (for a timing ratio: the
/// ratio of medians, bootstrapped over the repetitions, see <see cref="Intervals"/>).</summary>
public sealed record MeasuredInterval(double Low, double High)
{
    public void Validate(double value)
    {
        if (!double.IsFinite(Low) || !double.IsFinite(High))
            throw new ArgumentException($"interval [{Low}, {High}] is not finite");
        if (Low > High) throw new ArgumentException($"interval [{Low}, {High}] has its low end above its high end");
        if (value < Low || value > High) throw new ArgumentException($"measured figure {value} lies outside its interval [{Low}, {High}]");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"[{Format(Low)}, {Format(High)}]");

    /// <summary>Whether the figure lies in [<paramref name="low"/>, <paramref name="high"/>] beyond its spread: true when the
    /// whole interval is inside, false when the whole interval is outside, null (undecided) when it crosses an end.</summary>
    public bool? Within(double low, double high)
    {
        if (double.IsNaN(low) || double.IsNaN(high) || low > high) throw new ArgumentException($"band [{low}, {high}] is not a band");
        if (Low >= low && High <= high) return true;
        if (High < low || Low > high) return false;
        return null;
    }

    static string Format(double x) => Math.Abs(x) >= 100 ? x.ToString("0", CultureInfo.InvariantCulture)
        : Math.Abs(x) >= 10 ? x.ToString("0.0", CultureInfo.InvariantCulture) : x.ToString("0.00", CultureInfo.InvariantCulture);
}

/// <summary>One build's answer to a claim that names several (as the document describes it, as upstream
/// defines it): its figure for the claim's rule, or a verdict of its own, and whether it is the upstream build.
/// <paramref name="Claimed"/> is the document's figure for this build where it gives one per build (H4-01's two
/// counts); otherwise the claim's figure is used.</summary>
public sealed record BuildMeasurement(string Build, string Measured, double? Value = null, Verdict? Verdict = null,
    MeasuredInterval? Interval = null, bool Upstream = false, double? Claimed = null);

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
/// What an experiment found for one claim: the measured figure in words, the number the claim's rule
/// compares (or a verdict of the experiment's own, for check/judged rules, not-testable-here and
/// inconsistent), why, and where the evidence is. <see cref="Interval"/> carries the figure's spread;
/// <see cref="Builds"/> a figure per build, the headline being the upstream build's.
/// </summary>
public sealed record Measurement(string ClaimId, string Measured, double? Value = null, Verdict? Verdict = null,
    string? Reason = null, string? Evidence = null, MeasuredInterval? Interval = null, IReadOnlyList<BuildMeasurement>? Builds = null,
    BuildHeadline Headline = BuildHeadline.Upstream, FigureKind Kind = FigureKind.Computed)
{
    public static Measurement Number(string claimId, double value, string measured, string? evidence = null, string? reason = null,
        MeasuredInterval? interval = null, FigureKind kind = FigureKind.Computed) =>
        new(claimId, measured, value, null, reason, evidence, interval, Kind: kind);

    public static Measurement Check(string claimId, bool holds, string measured, string? evidence = null, string? reason = null,
        FigureKind kind = FigureKind.Computed) =>
        new(claimId, measured, null, holds ? Ledger.Verdict.Holds : Ledger.Verdict.Fails, reason, evidence, Kind: kind);

    public static Measurement Judged(string claimId, Verdict verdict, string measured, string reason, string? evidence = null,
        FigureKind kind = FigureKind.Computed) =>
        new(claimId, measured, null, verdict, reason, evidence, Kind: kind);

    public static Measurement NotTestable(string claimId, string needs, string? measured = null, string? evidence = null) =>
        new(claimId, measured ?? "not measured", null, Ledger.Verdict.NotTestableHere, needs, evidence);

    /// <summary>A claim answered by several builds, each judged by the claim's rule; the headline figure
    /// (Value, Verdict, Interval) is the build marked upstream, since that is the code the document describes.</summary>
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
        return new(claimId, measured, u.Value, u.Verdict, reason, evidence, u.Interval, builds, headline);
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

/// <summary>One row of the claims ledger. The first eight fields are always there (evidence included);
/// <see cref="Provisional"/> is true when the row was measured below its rule's minimum profile.</summary>
public sealed record LedgerRow(
    string Id, string Document, string Claim, string Claimed, string Measured, Verdict Verdict,
    string Notebook, string Evidence, string? Reason, double? MeasuredValue, string? Experiment,
    string? Profile, int? Seed, DateTimeOffset? MeasuredAt,
    MeasuredInterval? Interval = null, IReadOnlyList<BuildVerdict>? Builds = null, bool Provisional = false,
    string? MinProfile = null, int? Threads = null, FigureKind FigureKind = FigureKind.Computed, bool? Optimized = null)
{
    /// <summary>"optimized" or "DEBUG" (timings of a Debug build are not comparable); empty for a row not measured.</summary>
    public string BuildConfiguration => Optimized switch { true => "optimized", false => "DEBUG", null => "" };

    public const string NoExperimentYet = "no experiment answers this claim yet";

    /// <summary>The row's verdict from a measurement, through the claim's rule where the experiment gave a number.</summary>
    public static LedgerRow From(Claim claim, Measurement m, string experiment, string profile, int seed, DateTimeOffset at, int? threads = null, bool? optimized = null)
    {
        if (m.ClaimId != claim.Id) throw new ArgumentException($"measurement for {m.ClaimId} given to claim {claim.Id}");
        var builds = m.Builds?.Select(b => new BuildVerdict(b.Build, b.Measured,
            Judge(b.Claimed is double bc ? claim with { Claimed = claim.Claimed with { Value = bc } } : claim, b.Value, b.Verdict, b.Interval, $"build '{b.Build}'"),
            b.Value, b.Interval, b.Upstream, b.Claimed)).ToList();
        Verdict verdict = builds is null ? Judge(claim, m.Value, m.Verdict, m.Interval, "measurement")
            : m.Headline == BuildHeadline.Weakest ? builds.Select(b => b.Verdict).MinBy(Strength)
            : builds.Single(b => b.Upstream).Verdict;
        string? reason = m.Reason;
        if (verdict == Verdict.Inconclusive && m.Interval is { } i)
            reason = Join($"the measured interval {i} straddles a boundary of the rule", reason);
        if (builds is not null)
            reason = Join(m.Headline == BuildHeadline.Weakest ? $"headline: the weakest of the builds ({LedgerFiles.BuildsText(builds)})"
                : $"headline: the upstream build ({LedgerFiles.BuildsText(builds)})", reason);
        bool provisional = claim.Rule.IsProvisionalAt(profile);
        if (provisional) reason = Join($"provisional: measured at profile {profile}, the rule needs {claim.Rule.MinProfile}", reason);
        return new LedgerRow(claim.Id, claim.Document, claim.Text, claim.Claimed.Text, m.Measured, verdict,
            claim.Notebook, m.Evidence ?? $"experiment {experiment}", reason, m.Value, experiment, profile, seed, at,
            m.Interval, builds, provisional, claim.Rule.MinProfile, threads, m.Kind, optimized);
    }

    public static LedgerRow NotRun(Claim claim) =>
        new(claim.Id, claim.Document, claim.Text, claim.Claimed.Text, "not measured", Verdict.NotRun,
            claim.Notebook, NoExperimentYet, NoExperimentYet, null, null, null, null, null, MinProfile: claim.Rule.MinProfile);

    static Verdict Judge(Claim claim, double? value, Verdict? own, MeasuredInterval? interval, string what)
    {
        if (own is Verdict v) return v;
        if (value is double x) return VerdictRules.Decide(claim.Rule, claim.Claimed, x, interval);
        throw new ArgumentException($"{claim.Id}: the {what} needs a number or a verdict");
    }

    /// <summary>How strongly a verdict supports the claim, for the weakest-build headline.</summary>
    static int Strength(Verdict v) => v switch
    {
        Verdict.Holds => 5,
        Verdict.Partly => 4,
        Verdict.Inconclusive => 3,
        Verdict.NotTestableHere => 2,
        Verdict.Inconsistent => 1,
        _ => 0,
    };

    static string Join(string first, string? rest) => string.IsNullOrEmpty(rest) ? first : $"{first}; {rest}";
}
