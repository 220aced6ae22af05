using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Ledger;

/// <summary>Issue 20's timing done-when: an interval from within one run missed the spread between runs (V2-05 read 3.16,
/// 2.33 and 3.97 in three standard runs). The judge widens each recorded timing figure by its between-run prediction factor.</summary>
public class BetweenRunsTests
{
    static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    static Measurement Timed(string id, double value, double low, double high, params Quantity[] figures) =>
        new(id, $"{value}", value, Interval: new MeasuredInterval(low, high), Kind: FigureKind.Timing, Figures: figures.Length == 0 ? null : figures);

    static LedgerRow Row(Measurement m, string profile = "standard", int threads = 2, BetweenRunRecord? record = null) =>
        Judge.Row(ClaimCatalog.Get(m.ClaimId), m, "e", profile, 1, At, threads, true, record ?? Empty);

    // a record that speaks for no run here: what a row reads before any between-run record is applied
    static readonly BetweenRunRecord Empty = new("reference", 64, ["x", "y"], "never", []);

    static Quantity Ratio(string name, double v, double lo, double hi) => new(name, v, "x (a over b)", new MeasuredInterval(lo, hi), Samples: 9, Design: Sampling.Interleaved);

    [Fact]
    public void The_factor_is_the_95_percent_prediction_factor_for_the_ratio_of_two_runs()
    {
        Assert.Equal(1.0, new BetweenRunSpread("V2-05", "headline", [2.5, 2.5, 2.5]).Factor, 12);
        // two runs e^0 and e^1: s = 1/sqrt(2), so t(0.975, 1) x sqrt(2) x s = t = 12.7062047361747
        Assert.Equal(Math.Exp(12.706204736174698), new BetweenRunSpread("V2-05", "headline", [1, Math.E]).Factor, 1e-6 * Math.Exp(12.7062));
        // V2-05's three standard runs of 2026-12-07: logs' s = 0.26895..., t(0.975, 2) = 4.302652729749464
        var v205 = new BetweenRunSpread("V2-05", "headline", [3.1569255629985253, 2.327, 3.9730]);
        var logs = v205.Values.Select(v => Math.Log(v)).ToArray();
        double mean = logs.Average(), s = Math.Sqrt(logs.Sum(l => (l - mean) * (l - mean)) / 2);
        Assert.Equal(Math.Exp(4.302652729749464 * Math.Sqrt(2) * s), v205.Factor, 9);
        Assert.Equal(3.9730 / 2.327, v205.LargestRatio, 12);
    }

    [Fact]
    public void A_record_lists_each_timing_figure_measured_in_every_run_and_refuses_mixed_runs()
    {
        var runs = new[] { (3.16, 1.05), (2.33, 1.02), (3.97, 1.10) }.Select(x => (IReadOnlyList<LedgerRow>)
        [
            Row(Timed("V2-05", x.Item1, x.Item1 * 0.95, x.Item1 * 1.05)),
            Row(Measurement.Of("T1-05", "two ratios", [Ratio("projectionSpeedup", x.Item2, 1, 1.2), Ratio("qkvSpeedup", 1, 0.9, 1.1),
                new Quantity("elbo", -3, "nats", new MeasuredInterval(-4, -2), Design: Sampling.Independent)], kind: FigureKind.Timing)),
            Row(Measurement.Number("R0-06", 0.1, "computed")),
        ]).ToList();
        var record = BetweenRunRecord.From(["a", "b", "c"], runs);
        Assert.Equal(["V2-05 headline", "T1-05 projectionSpeedup", "T1-05 qkvSpeedup"], record.Figures.Select(f => $"{f.Claim} {f.Figure}"));
        Assert.Equal([3.16, 2.33, 3.97], record.Figures[0].Values);
        Assert.Equal(("standard", 2), (record.Profile, record.Threads));
        var back = BetweenRunRecord.Parse(record.ToJson(), "test");
        Assert.Equal(record.Figures.Select(f => f.Factor), back.Figures.Select(f => f.Factor));

        var mixed = runs.Take(2).Append([Row(Timed("V2-05", 3, 2.9, 3.1), threads: 1)]).ToList();
        var e = Assert.Throws<ArgumentException>(() => BetweenRunRecord.From(["a", "b", "c"], mixed));
        Assert.Contains("mix thread counts", e.Message);
    }

    [Fact]
    public void A_row_judged_in_accuracy_points_gives_no_timing_headline_or_build_values()
    {
        // R0-09 is a timing row for its latency ratio, but its headline and its builds' values are points of accuracy
        var converged = new HeldOutTrace("t", "validation loss", false, [1, 2, 3, 4, 5, 6, 7], [3, 2, 1.5, 1.2, 1.2, 1.2, 1.2], "plateau at epoch 7");
        var m = Measurement.PerBuild("R0-09", "frontier",
            [new BuildMeasurement("upstream Original", "-7 points", -7, Upstream: true, Traces: [converged], Figures: [new Quantity("latencyRatio", 0.68)]),
             new BuildMeasurement("documented Original", "15 points", 15.2, Traces: [converged], Figures: [new Quantity("latencyRatio", 17.9)])]) with { Kind = FigureKind.Timing };
        var row = Row(m);
        Assert.Equal(FigureKind.Timing, row.FigureKind);
        Assert.Empty(TimingFigures.Of(row));
        // a ratio rule's headline and builds are times
        Assert.Equal(["headline"], TimingFigures.Of(Row(Timed("V2-05", 3.16, 3.04, 3.40))).Select(f => f.Key));
    }

    [Fact]
    public void The_judge_widens_a_recorded_timing_by_its_factor_and_only_for_its_profile_and_threads()
    {
        var record = new BetweenRunRecord("standard", 2, ["a", "b", "c"], "2026-12-07",
            [new("V2-05", "headline", [3.16, 2.33, 3.97]), new("T1-05", "qkvSpeedup", [0.96, 1.0, 0.97])]);
        double f = record.Figures[0].Factor;
        var m = Timed("V2-05", 3.16, 3.04, 3.40);

        var narrow = Row(m);
        Assert.Equal(new MeasuredInterval(3.04, 3.40), narrow.Interval);
        var wide = Row(m, record: record);
        Assert.Equal(3.04 / f, wide.Interval!.Low, 12);
        Assert.Equal(3.40 * f, wide.Interval.High, 12);
        Assert.Equal(3.16, wide.MeasuredValue);
        Assert.Contains("intervals widened for the spread between whole runs (95% prediction factor from 3 standard runs at 2 threads, 2026-12-07): headline x" +
            f.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), wide.Reason);
        // V2-05 claims 2-10x: inside it within the run, but a rerun may read below 2, so the widened row cannot decide
        Assert.NotEqual(Verdict.Inconclusive, narrow.Verdict);
        Assert.Equal(Verdict.Inconclusive, wide.Verdict);

        var other = Row(m, threads: 1, record: record);
        Assert.Equal(new MeasuredInterval(3.04, 3.40), other.Interval);
        Assert.Contains("no between-run spread is recorded for profile standard at 1 threads (recorded: standard at 2), so the intervals are from within this run only", other.Reason);

        // a reference run times at standard's sizes, so standard's record widens it too, and says whose record it is;
        // a quick run's timings are not standard's
        var reference = Row(m, profile: "reference", record: record);
        Assert.Equal(3.04 / f, reference.Interval!.Low, 12);
        Assert.Contains("from 3 standard runs at 2 threads, 2026-12-07, which this reference run's timings share: the same sizes): headline x", reference.Reason);
        Assert.Equal(Verdict.Inconclusive, reference.Verdict);
        Assert.Equal(new MeasuredInterval(3.04, 3.40), Row(m, profile: "quick", record: record).Interval);

        // named ratios are widened by their own factor; a figure without a record, or not a ratio of times, is left alone
        var t105 = Row(Measurement.Of("T1-05", "two ratios", [Ratio("projectionSpeedup", 1.05, 1, 1.2), Ratio("qkvSpeedup", 0.96, 0.9, 1.03)], kind: FigureKind.Timing), record: record);
        Assert.Equal(new MeasuredInterval(1, 1.2), t105.Figures!.Single(q => q.Name == "projectionSpeedup").Interval);
        double g = record.Figures[1].Factor;
        Assert.Equal(0.9 / g, t105.Figures!.Single(q => q.Name == "qkvSpeedup").Interval!.Low, 12);

        var computed = Row(Measurement.Number("R0-06", 0.1, "computed"), record: record);
        Assert.DoesNotContain("between", computed.Reason ?? "");
    }

    [Fact]
    public void The_committed_record_is_what_its_committed_runs_give()
    {
        var record = BetweenRunRecord.Embedded;
        Assert.NotNull(record);
        Assert.True(record.Runs.Count >= 3, $"the committed record has {record.Runs.Count} runs");
        var ledgers = record.Runs.Select(run => LedgerFiles.Read(Path.Combine(Repo.Root, run))
            ?? throw new Xunit.Sdk.XunitException($"the record's run {run} is not committed")).ToList();
        var again = BetweenRunRecord.From(record.Runs, ledgers);
        Assert.Equal(again.Figures.Select(f => $"{f.Claim} {f.Figure}"), record.Figures.Select(f => $"{f.Claim} {f.Figure}"));
        Assert.Equal(again.Figures.SelectMany(f => f.Values), record.Figures.SelectMany(f => f.Values));
        Assert.Equal((again.Profile, again.Threads), (record.Profile, record.Threads));
        Assert.All(record.Figures, f => Assert.Equal(FigureKind.Timing, ledgers[0].Single(r => r.Id == f.Claim).FigureKind));
    }
}
