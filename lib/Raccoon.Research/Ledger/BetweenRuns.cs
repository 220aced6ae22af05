using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Raccoon.Research.Measurements;

namespace Raccoon.Research.Ledger;

/// <summary>One timing figure of a ledger row: its headline, a build's figure other than the upstream one (which is the
/// headline), or a named figure that is a ratio of times. <see cref="Key"/> names it the same way in every run.</summary>
public sealed record TimingFigure(string Key, double Value, MeasuredInterval? Interval);

/// <summary>The timing figures of a row, named alike in every run: what <see cref="LedgerComparison.Timing"/> checks across
/// runs and what <see cref="BetweenRunRecord"/> records and widens.</summary>
public static class TimingFigures
{
    public const string Headline = "headline";

    public static string BuildKey(string build) => $"build '{build}'";

    /// <summary>A named figure is a timing figure when it is a ratio of clock times: it carries a sampling design
    /// (interleaved or independent repetitions) and its unit is "x" ("x", or "x (flat time / multi-scale time ...)").</summary>
    public static bool IsTimingRatio(Quantity q) =>
        q.Design is not null && q.Unit is { } u && (u == "x" || u.StartsWith("x ", StringComparison.Ordinal));

    /// <summary>The row's timing figures; none for a row that is not a timing row or was not measured.</summary>
    public static IReadOnlyList<TimingFigure> Of(LedgerRow row)
    {
        if (row.FigureKind != FigureKind.Timing || row.Verdict is Verdict.NotRun or Verdict.NotTestableHere) return [];
        var list = new List<TimingFigure>();
        // A row judged in accuracy points (R0-09: the frontier's accuracy side) is a timing row for the latency beside it,
        // but its headline and build values are points of accuracy, not times: only its named timing ratios count.
        bool valuesAreTimes = !VerdictRules.IsAccuracy(ClaimCatalog.Get(row.Id).Rule.Kind);
        if (valuesAreTimes && row.MeasuredValue is double v) list.Add(new(Headline, v, row.Interval));
        foreach (var b in row.Builds ?? [])
            if (valuesAreTimes && !b.Upstream && b.Value is double bv) list.Add(new(BuildKey(b.Build), bv, b.Interval));
        foreach (var q in row.Figures ?? [])
            if (IsTimingRatio(q)) list.Add(new(q.Name, q.Value, q.Interval));
        return list;
    }
}

/// <summary>One timing figure in several runs: its values, and the factor a later run's interval of it is widened by.</summary>
public sealed record BetweenRunSpread(string Claim, string Figure, IReadOnlyList<double> Values)
{
    /// <summary>The largest ratio between two runs' values (1 when every run gave the same figure).</summary>
    public double LargestRatio => Values.Max() / Values.Min();

    /// <summary>
    /// The 95% prediction factor for the ratio between two later runs' figures: exp(t · √2 · s), with s the standard
    /// deviation of the log values over the recorded runs and t Student's 97.5% quantile on n - 1 degrees of freedom
    /// (the difference of two runs' logs has variance 2s²; t rather than 1.96 because s comes from few runs). Three
    /// runs that read V2-05's speedup 3.16, 2.33 and 3.97 give 5.1: one run's figure says little about the next's.
    /// </summary>
    public double Factor
    {
        get
        {
            var logs = Values.Select(v => Math.Log(v)).ToList();
            double mean = logs.Average();
            double s = Math.Sqrt(logs.Sum(l => (l - mean) * (l - mean)) / (logs.Count - 1));
            double t = MathNet.Numerics.Distributions.StudentT.InvCDF(0, 1, logs.Count - 1, 0.975);
            return Math.Exp(t * Math.Sqrt(2) * s);
        }
    }
}

/// <summary>
/// How much each timing figure moved between whole runs on this machine. An interval from within one run (bootstrap over
/// its repetitions, widened to the spread of blocks spread over the experiment) misses what differs between processes:
/// three standard runs at d888dd2 read V2-05's cache speedup 3.16 [3.04, 3.40], 2.33 [2.20, 2.46] and 3.97 [3.84, 4.05].
/// The judge widens each recorded timing figure's interval by its between-run prediction factor (low / factor, high x
/// factor; <see cref="BetweenRunSpread.Factor"/>), so an interval says where another run's figure may lie, and a claim
/// whose boundary falls inside that reads inconclusive. The record is a measurement, made by <c>compare --record-between-runs</c> from
/// earlier runs, committed as <c>Ledger/between-runs.json</c>, and applied only to runs of its profile and thread count.
/// </summary>
public sealed record BetweenRunRecord(string Profile, int Threads, IReadOnlyList<string> Runs, string MeasuredOn,
    IReadOnlyList<BetweenRunSpread> Figures, string? About = null)
{
    public const string ResourceName = "Raccoon.Research.Ledger.between-runs.json";

    static readonly Lazy<BetweenRunRecord?> embedded = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName);
        if (stream is null) return null;
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "the embedded between-runs.json");
    });

    /// <summary>The record committed with the library (Ledger/between-runs.json), or null when there is none.</summary>
    public static BetweenRunRecord? Embedded => embedded.Value;

    public static BetweenRunRecord Parse(string json, string source)
    {
        BetweenRunRecord r;
        try { r = JsonSerializer.Deserialize<BetweenRunRecord>(json, Json.Options) ?? throw new InvalidDataException($"{source} is empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{source} is not a between-runs record: {e.Message}", e); }
        if (r.Runs is not { Count: >= 2 }) throw new InvalidDataException($"{source}: a between-runs record needs at least two runs");
        foreach (var f in r.Figures ?? throw new InvalidDataException($"{source} lists no figures"))
            if (f.Values is not { Count: >= 2 } || f.Values.Any(v => !double.IsFinite(v) || v <= 0))
                throw new InvalidDataException($"{source}: {f.Claim} {f.Figure} needs at least two positive values, has [{string.Join(", ", f.Values ?? [])}]");
        return r;
    }

    /// <summary>The record of several runs' ledgers: every timing figure measured, positive, in all of them. The runs must
    /// share one profile and one thread count (a figure moves with both).</summary>
    public static BetweenRunRecord From(IReadOnlyList<string> names, IReadOnlyList<IReadOnlyList<LedgerRow>> runs)
    {
        if (runs.Count < 2 || names.Count != runs.Count) throw new ArgumentException($"a between-runs record needs at least two named runs, not {runs.Count}");
        var measured = runs.SelectMany(r => r).Where(r => r.Verdict != Verdict.NotRun).ToList();
        var profiles = measured.Select(r => r.Profile).Distinct().ToList();
        var threads = measured.Select(r => r.Threads).Distinct().ToList();
        if (profiles.Count != 1 || profiles[0] is null) throw new ArgumentException($"the runs mix profiles ({string.Join(", ", profiles)}): a between-runs record is of one profile");
        if (threads.Count != 1 || threads[0] is null) throw new ArgumentException($"the runs mix thread counts ({string.Join(", ", threads)}): a between-runs record is of one thread count");
        var perRun = runs.Select(r => r.ToDictionary(x => x.Id, x => TimingFigures.Of(x).ToDictionary(f => f.Key, f => f.Value))).ToList();
        var figures = new List<BetweenRunSpread>();
        foreach (var row in runs[0])
            foreach (var f in TimingFigures.Of(row))
            {
                var values = perRun.Select(d => d.TryGetValue(row.Id, out var fs) && fs.TryGetValue(f.Key, out var v) ? v : (double?)null).ToList();
                if (values.All(v => v is > 0 && double.IsFinite(v.Value))) figures.Add(new(row.Id, f.Key, values.Select(v => v!.Value).ToList()));
            }
        var dates = measured.Where(r => r.MeasuredAt is not null).Select(r => r.MeasuredAt!.Value.UtcDateTime.Date).Distinct().Order().ToList();
        string on = dates.Count == 0 ? "unknown" : dates.Count == 1 ? Day(dates[0]) : $"{Day(dates[0])} to {Day(dates[^1])}";
        return new BetweenRunRecord(profiles[0]!, threads[0]!.Value, names, on, figures,
            $"Each timing figure of {runs.Count} {profiles[0]} runs at {threads[0]} threads. The judge widens a later run's interval of a figure by its factor: the 95% prediction factor for the ratio between two runs, exp(t(0.975, n-1) x sqrt(2) x the standard deviation of the log values) (Ledger/BetweenRuns.cs).");
    }

    static string Day(DateTime d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public string ToJson() => JsonSerializer.Serialize(this, Json.Options);

    /// <summary>Whether the record speaks for a run of this profile and thread count. A standard record also speaks for
    /// a reference run: the reference profile trains longer but times at standard's sizes (an experiment's reference
    /// sizes are standard's with a training cap and a plateau test), so the spread between whole runs is the same.</summary>
    public bool AppliesTo(string profile, int? threads) =>
        (profile == Profile || (profile == ReferenceProfile && Profile == StandardProfile)) && threads == Threads;

    const string StandardProfile = "standard", ReferenceProfile = "reference";

    public BetweenRunSpread? Find(string claim, string figure) => Figures.FirstOrDefault(f => f.Claim == claim && f.Figure == figure);

    /// <summary>The interval <paramref name="within"/> (or the point <paramref name="value"/>) widened by a factor: low / f, high x f.</summary>
    public static MeasuredInterval Widen(double value, MeasuredInterval? within, double factor) =>
        new((within?.Low ?? value) / factor, (within?.High ?? value) * factor);

    /// <summary>
    /// A timing measurement with each recorded figure's interval widened by its between-run factor, and a note saying
    /// which and by how much; a measurement that is not a timing, or not of this record's profile and thread count, is
    /// returned as it is (for a timing, with a note that its intervals are from within this run only).
    /// </summary>
    public static Measurement Widen(BetweenRunRecord? record, Measurement m, string profile, int? threads, out string? note)
    {
        note = null;
        if (m.Kind != FigureKind.Timing || m.NotTestable is not null) return m;
        if (record is null || !record.AppliesTo(profile, threads))
        {
            note = record is null
                ? "no between-run spread is recorded, so the intervals are from within this run only"
                : $"no between-run spread is recorded for profile {profile} at {threads?.ToString(CultureInfo.InvariantCulture) ?? "unknown"} threads (recorded: {record.Profile} at {record.Threads}), so the intervals are from within this run only";
            return m;
        }
        var applied = new List<string>();
        double? Factor(string key)
        {
            if (record.Find(m.ClaimId, key) is not { } s) return null;
            applied.Add($"{key} x{s.Factor.ToString("0.00", CultureInfo.InvariantCulture)}");
            return s.Factor;
        }
        var w = m;
        if (m.Value is double v && Factor(TimingFigures.Headline) is double hf)
        {
            var widened = Widen(v, m.Interval, hf);
            w = w with { Interval = widened, Builds = m.Builds?.Select(b => b.Upstream ? b with { Interval = widened } : b).ToList() };
        }
        if (w.Builds is { } builds)
            w = w with { Builds = builds.Select(b => !b.Upstream && b.Value is double bv && Factor(TimingFigures.BuildKey(b.Build)) is double bf
                ? b with { Interval = Widen(bv, b.Interval, bf) } : b).ToList() };
        if (w.Figures is { } figures)
            w = w with { Figures = figures.Select(q => TimingFigures.IsTimingRatio(q) && Factor(q.Name) is double qf
                ? q with { Interval = Widen(q.Value, q.Interval, qf) } : q).ToList() };
        if (applied.Count == 0)
        {
            note = $"no between-run spread is recorded for {m.ClaimId}'s timing figures, so its intervals are from within this run only";
            return m;
        }
        string borrowed = profile == record.Profile ? "" : $", which this {profile} run's timings share: the same sizes";
        note = $"intervals widened for the spread between whole runs (95% prediction factor from {record.Runs.Count} {record.Profile} runs at {record.Threads} threads, {record.MeasuredOn}{borrowed}): {string.Join(", ", applied)}";
        return w;
    }
}
