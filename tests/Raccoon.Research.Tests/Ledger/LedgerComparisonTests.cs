using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Ledger;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Ledger;

/// <summary>Issue 9's done-when: two runs in a row give the same verdict on every row, or one side is
/// inconclusive with its interval. `compare` reads two ledgers and says which rows flip.</summary>
public class LedgerComparisonTests
{
    static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    static LedgerRow Row(string id, double value, MeasuredInterval? interval = null, int threads = 2) =>
        LedgerRow.From(ClaimCatalog.Get(id), Measurement.Number(id, value, $"{value}", interval: interval), "e", "standard", 1, At, threads);

    static LedgerRow Builds(double upstream, double documented) =>
        LedgerRow.From(ClaimCatalog.Get("R0-02"), Measurement.PerBuild("R0-02", "two builds",
        [
            new BuildMeasurement("upstream Original", $"{upstream}", upstream, Upstream: true),
            new BuildMeasurement("documented Original", $"{documented}", documented),
        ]), "e", "standard", 1, At, 2);

    // at 1 thread: the committed between-run record (standard at 2 threads) does not widen these intervals
    static LedgerRow Timed(string id, double value, double low, double high) =>
        LedgerRow.From(ClaimCatalog.Get(id), Measurement.Number(id, value, $"{value}", interval: new MeasuredInterval(low, high), kind: FigureKind.Timing),
            "e", "standard", 1, At, 1);

    static RowComparison One(LedgerRow a, LedgerRow b) => LedgerComparison.Compare([a], [b]).Single();

    [Fact]
    public void The_same_verdict_from_different_figures_is_the_same()
    {
        var c = One(Row("R0-10", 1.50), Row("R0-10", 1.40)); // claimed 1.49x, both hold
        Assert.Equal(Agreement.Same, c.Agreement);
    }

    [Fact]
    public void Holds_then_fails_contradicts_and_names_both_verdicts()
    {
        var c = One(Row("R0-10", 1.50), Row("R0-10", 0.80));
        Assert.Equal(Agreement.Contradicts, c.Agreement);
        Assert.Contains("headline holds -> fails", c.Why);
    }

    [Fact]
    public void An_inconclusive_side_is_hedged_not_a_contradiction()
    {
        // H4-05 of two runs: 198 [98, 378] straddles the rule's band around 90; 295 [204, 441] lies outside it.
        var c = One(Row("H4-05", 198, new MeasuredInterval(98, 378)), Row("H4-05", 295, new MeasuredInterval(204, 441)));
        Assert.Equal(Verdict.Inconclusive, c.First!.Verdict);
        Assert.Equal(Verdict.Fails, c.Second!.Verdict);
        Assert.Equal(Agreement.Hedged, c.Agreement);
    }

    [Fact]
    public void A_build_that_flips_under_the_same_headline_contradicts()
    {
        var c = One(Builds(0.30, 40), Builds(0.42, 12)); // upstream fails in both; the documented build holds, then partly
        Assert.Equal(Verdict.Fails, c.First!.Verdict);
        Assert.Equal(Verdict.Fails, c.Second!.Verdict);
        Assert.Equal(Agreement.Contradicts, c.Agreement);
        Assert.Contains("build 'documented Original' holds -> partly", c.Why);
    }

    [Fact]
    public void A_row_measured_in_one_run_only_is_one_sided_and_the_context_is_named()
    {
        var rows = LedgerComparison.Compare([Row("R0-10", 1.5), LedgerRow.NotRun(ClaimCatalog.Get("H4-05"))],
            [Row("R0-10", 1.5, threads: 1), Row("H4-05", 90)]);
        Assert.Equal([Agreement.Same, Agreement.OneSided], rows.Select(r => r.Agreement));
        Assert.Contains("threads 2 vs 1", rows[0].Why);
        Assert.Equal("2 rows: 1 same, 0 hedged, 0 contradicts, 1 one-sided", LedgerComparison.Summary(rows));
    }

    [Fact]
    public void A_ledger_that_lists_a_claim_twice_is_refused_by_name()
    {
        var e = Assert.Throws<InvalidDataException>(() => LedgerComparison.Compare([Row("R0-10", 1.5), Row("R0-10", 1.4)], [Row("R0-10", 1.5)]));
        Assert.Contains("R0-10", e.Message);
    }

    [Fact]
    public void The_command_exits_1_on_a_flip_0_without_and_2_without_a_ledger()
    {
        string a = Repo.TempDir("compare-a"), b = Repo.TempDir("compare-b"), c = Repo.TempDir("compare-c");
        LedgerFiles.Write(a, [Row("R0-10", 1.5), Row("H4-05", 198, new MeasuredInterval(98, 378))]);
        LedgerFiles.Write(b, [Row("R0-10", 1.4), Row("H4-05", 295, new MeasuredInterval(204, 441))]);
        LedgerFiles.Write(c, [Row("R0-10", 0.8), Row("H4-05", 90)]);
        string md = Path.Combine(a, "compare.md");
        var hedged = Repo.RunCli(["compare", a, b, "--write", md]);
        Assert.True(hedged.ExitCode == 0, hedged.Stderr);
        Assert.Contains("2 rows: 1 same, 1 hedged, 0 contradicts, 0 one-sided", hedged.Stdout);
        Assert.Contains("| H4-05 | hedged | inconclusive 198 [98.0, 378] | fails 295 [204, 441] | computed |", File.ReadAllText(md));
        var flipped = Repo.RunCli(["compare", a, c]);
        Assert.Equal(1, flipped.ExitCode);
        Assert.Contains("| R0-10 | contradicts | holds 1.5 | fails 0.8 |", flipped.Stdout);
        var missing = Repo.RunCli(["compare", a, Repo.TempDir("compare-empty")]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no ledger in", missing.Stderr);
    }

    [Fact]
    public void Timing_rows_of_three_runs_are_inside_only_when_every_figure_lies_in_every_other_interval()
    {
        IReadOnlyList<LedgerRow>[] runs =
        [
            [Timed("R0-10", 1.50, 1.40, 1.60), Timed("T1-06", 1.03, 1.01, 1.08), Timed("H4-06", 1.10, 1.00, 1.20), Row("R0-06", 0.1)],
            [Timed("R0-10", 1.45, 1.35, 1.55), Timed("T1-06", 1.20, 1.10, 1.30), Row("H4-06", 1.1), Row("R0-06", 0.1)],
            [Timed("R0-10", 1.55, 1.42, 1.62), Timed("T1-06", 1.05, 1.00, 1.09), Timed("H4-06", 1.05, 1.00, 1.10), Row("R0-06", 0.1)],
        ];
        var t = LedgerComparison.Timing(runs);
        Assert.Equal(["R0-10", "T1-06", "H4-06"], t.Select(x => x.Id));
        Assert.True(t[0].Inside);                       // 1.50, 1.45, 1.55 each inside the other two intervals
        Assert.False(t[1].Inside);                      // run 2's 1.20 lies outside [1.01, 1.08] and [1.00, 1.09]
        Assert.Contains("run 2's 1.2 outside run 1's [1.01, 1.08]", t[1].Why);
        Assert.Null(t[2].Inside);                       // run 2 has no timing figure: cannot be checked, not counted
        Assert.Equal("no figure in run 2", t[2].Why);
        Assert.Equal("3 timing rows: 1 inside each other's intervals (50% of the 2 checked), 1 outside, 1 cannot be checked", LedgerComparison.TimingSummary(t));
    }

    [Fact]
    public void A_timing_row_of_named_ratios_is_checked_figure_by_figure()
    {
        static LedgerRow Two(double projection, double qkv) => LedgerRow.From(ClaimCatalog.Get("T1-05"), Measurement.Of("T1-05", "two ratios",
        [
            new Quantity("projectionSpeedup", projection, "x", new MeasuredInterval(projection - 0.05, projection + 0.05), Samples: 9, Design: Sampling.Interleaved),
            new Quantity("qkvSpeedup", qkv, "x", new MeasuredInterval(qkv - 0.05, qkv + 0.05), Samples: 9, Design: Sampling.Interleaved),
            new Quantity("elbo", -3 - qkv, "nats", new MeasuredInterval(-5, -1), Samples: 3, Design: Sampling.Independent), // not a ratio of times
        ], kind: FigureKind.Timing), "e", "standard", 1, At, 1);
        var t = LedgerComparison.Timing([[Two(1.05, 0.96)], [Two(1.03, 0.99)], [Two(1.04, 1.10)]]).Single();
        Assert.False(t.Inside); // the projection ratios agree; run 3's qkv ratio 1.10 lies outside run 1's [0.91, 1.01]
        Assert.Contains("run 3's qkvSpeedup 1.1 outside run 1's [0.91, 1.01]", t.Why);
        Assert.DoesNotContain("projectionSpeedup", t.Why);
        Assert.DoesNotContain("elbo", t.Why);
        Assert.True(LedgerComparison.Timing([[Two(1.05, 0.96)], [Two(1.03, 0.99)]]).Single().Inside);
    }

    [Fact]
    public void The_command_compares_three_runs_pairwise_and_reports_the_timing_share()
    {
        string a = Repo.TempDir("compare3-a"), b = Repo.TempDir("compare3-b"), c = Repo.TempDir("compare3-c");
        LedgerFiles.Write(a, [Timed("R0-10", 1.50, 1.40, 1.60), Row("R0-06", 0.1)]);
        LedgerFiles.Write(b, [Timed("R0-10", 1.45, 1.35, 1.55), Row("R0-06", 0.1)]);
        LedgerFiles.Write(c, [Timed("R0-10", 1.55, 1.42, 1.62), Row("R0-06", 0.1)]);
        var r = Repo.RunCli(["compare", a, b, c]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(3, r.Stdout.Split("# Verdicts of two runs").Length - 1); // a-b, a-c, b-c
        Assert.Contains("1 timing rows: 1 inside each other's intervals (100% of the 1 checked), 0 outside, 0 cannot be checked", r.Stdout);
        var one = Repo.RunCli(["compare", a]);
        Assert.NotEqual(0, one.ExitCode);
    }
}
