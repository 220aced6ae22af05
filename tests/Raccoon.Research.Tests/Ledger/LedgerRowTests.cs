using System.Text.Json.Nodes;
using System.Text.Json;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Reporting;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Views;

namespace Raccoon.Research.Tests.Ledger;

/// <summary>Issue 9: provisional rows, per-build verdicts, inconclusive intervals, and eight fields in every row.</summary>
public class LedgerRowTests
{
    static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    static readonly string[] EightFields = ["id", "document", "claim", "claimed", "measured", "verdict", "notebook", "evidence"];

    [Fact]
    public void Not_run_rows_have_all_eight_fields_evidence_included()
    {
        string dir = Repo.TempDir("eight");
        var rows = Reproduction.BuildLedger(ClaimCatalog.Select(["H4-01"]), [], null);
        LedgerFiles.Write(dir, rows);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, LedgerFiles.JsonName)))!.AsArray();
        Assert.Equal(52, json.Count);
        foreach (var row in json)
            foreach (string field in EightFields)
                Assert.False(string.IsNullOrWhiteSpace(row![field]?.ToString()), $"{row!["id"]}: {field}");
        Assert.All(rows, r => Assert.Equal(LedgerRow.NoExperimentYet, r.Evidence));
    }

    [Fact]
    public void A_measured_row_without_evidence_names_its_experiment()
    {
        var row = LedgerRow.From(ClaimCatalog.Get("H4-01"), Measurement.Number("H4-01", 493973, "493,973"), "language-models-parameters", "quick", 1, At);
        Assert.Equal("experiment language-models-parameters", row.Evidence);
    }

    [Fact]
    public void A_row_below_its_rules_minimum_profile_is_provisional()
    {
        var claim = ClaimCatalog.Get("R0-02");
        Assert.Equal("standard", claim.Rule.MinProfile);
        var m = Measurement.Number("R0-02", 2.5, "2.5x");
        var quick = LedgerRow.From(claim, m, "x", "quick", 1, At);
        Assert.True(quick.Provisional);
        Assert.Equal("quick", quick.Profile);
        Assert.Contains("provisional", quick.Reason);
        Assert.False(LedgerRow.From(claim, m, "x", "standard", 1, At).Provisional);
        Assert.False(LedgerRow.From(claim, m, "x", "full", 1, At).Provisional);
        // A rule with no minimum is final at any profile.
        Assert.False(LedgerRow.From(ClaimCatalog.Get("H4-01"), Measurement.Number("H4-01", 493973, "n"), "x", "quick", 1, At).Provisional);

        string dir = Repo.TempDir("provisional");
        LedgerFiles.Write(dir, [quick]);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, LedgerFiles.JsonName)))!.AsArray()[0]!;
        Assert.True(json["provisional"]!.GetValue<bool>());
        Assert.Equal("quick", json["profile"]!.GetValue<string>());
        Assert.Contains(",true,standard,", File.ReadAllText(Path.Combine(dir, LedgerFiles.CsvName)));
    }

    [Fact]
    public void R0_01_is_judged_per_build_and_the_upstream_build_heads_the_row()
    {
        var m = Measurement.PerBuild("R0-01", "both",
        [
            new BuildMeasurement("documented Original", "25.3x", 25.3),
            new BuildMeasurement("upstream Original", "6.15x", 6.15, Upstream: true),
        ]);
        var row = LedgerRow.From(ClaimCatalog.Get("R0-01"), m, "x", "standard", 1, At);
        Assert.Equal(Verdict.Partly, row.Verdict); // 6.15x against 31x, outside a factor 2
        Assert.Equal(Verdict.Holds, row.Builds!.Single(b => b.Build == "documented Original").Verdict);
        Assert.Equal(Verdict.Partly, row.Builds!.Single(b => b.Upstream).Verdict);
        Assert.Equal(6.15, row.MeasuredValue);
        Assert.Contains("upstream", LedgerFiles.ToCsv([row]));
    }

    [Fact]
    public void H4_01_judges_both_counts_and_the_weakest_heads()
    {
        Measurement Counts(double t, double h) => Measurement.PerBuild("H4-01", "counts",
        [
            new BuildMeasurement("Transformer", "t", t, Upstream: true),
            new BuildMeasurement("HyperMixer", "h", h, Claimed: 1_386_917),
        ], headline: BuildHeadline.Weakest);
        var claim = ClaimCatalog.Get("H4-01");
        Assert.Equal(Verdict.Holds, LedgerRow.From(claim, Counts(493_973, 1_386_917), "x", "quick", 1, At).Verdict);
        var wrong = LedgerRow.From(claim, Counts(493_973, 1_251_000), "x", "quick", 1, At);
        Assert.Equal(Verdict.Partly, wrong.Verdict);
        Assert.Equal(Verdict.Holds, wrong.Builds![0].Verdict);
    }

    [Fact]
    public void Per_build_measurements_need_exactly_one_upstream_build()
    {
        Assert.Throws<ArgumentException>(() => Measurement.PerBuild("R0-01", "m", [new BuildMeasurement("a", "1", 1), new BuildMeasurement("b", "2", 2)]));
        Assert.Throws<ArgumentException>(() => Measurement.PerBuild("R0-01", "m",
            [new BuildMeasurement("a", "1", 1, Upstream: true), new BuildMeasurement("b", "2", 2, Upstream: true)]));
        Assert.Throws<ArgumentException>(() => Measurement.PerBuild("R0-01", "m", []));
    }

    [Fact]
    public void A_timing_interval_across_a_boundary_makes_the_row_inconclusive_with_its_interval()
    {
        // R0-02's second standard run of the issue: 12.6x with the documented Original's IQR wide; claim 50x, holds from 25x.
        var m = Measurement.Number("R0-02", 26, "26x", interval: new MeasuredInterval(12.6, 37.9));
        var row = LedgerRow.From(ClaimCatalog.Get("R0-02"), m, "x", "standard", 1, At);
        Assert.Equal(Verdict.Inconclusive, row.Verdict);
        Assert.Equal(new MeasuredInterval(12.6, 37.9), row.Interval);
        Assert.Contains("[12.6, 37.9]", row.Reason);
        // H4-05's break-even measured at 77 and then 257: an interval spanning both says so.
        var h405 = LedgerRow.From(ClaimCatalog.Get("H4-05"), Measurement.Number("H4-05", 120, "n = 120", interval: new(77, 257)), "x", "standard", 1, At);
        Assert.Equal(Verdict.Inconclusive, h405.Verdict);
    }

    [Fact]
    public void Rows_round_trip_with_builds_intervals_and_provisional()
    {
        string dir = Repo.TempDir("roundtrip9");
        var m = Measurement.PerBuild("R0-02", "m",
        [
            new BuildMeasurement("upstream Original", "30x", 30, Interval: new(27, 33), Upstream: true),
            new BuildMeasurement("documented Original", "40x", 40, Interval: new(20, 60)),
        ]);
        var row = LedgerRow.From(ClaimCatalog.Get("R0-02"), m, "x", "quick", 1, At, threads: 2);
        LedgerFiles.Write(dir, [row]);
        var back = LedgerFiles.Read(dir)!.Single();
        Assert.Equal(Verdict.Holds, back.Verdict);
        Assert.True(back.Provisional);
        Assert.Equal(2, back.Threads);
        Assert.Equal([Verdict.Holds, Verdict.Inconclusive], back.Builds!.Select(b => b.Verdict));
        Assert.Equal(new MeasuredInterval(27, 33), back.Interval);
    }

    [Fact]
    public void Figures_and_tables_are_reached_by_name_and_an_unknown_name_lists_the_known_ones()
    {
        var fig = new Raccoon.Research.Views.Figure("Crossover at 3.2x", "{}").Named("crossover");
        var table = new Raccoon.Research.Views.Table("t", ["a"], []).Named("counts");
        var result = new StoredResult("e", Profile.Quick, 1, "v", 2, At, 1, [], [fig], [table]);
        Assert.Same(fig, result.Figure("crossover"));
        Assert.Same(table, result.Table("counts"));
        var e = Assert.Throws<KeyNotFoundException>(() => result.Figure("cross"));
        Assert.Contains("crossover", e.Message);
        Assert.Contains("counts", Assert.Throws<KeyNotFoundException>(() => result.Table("x")).Message);
        // the name survives storage
        var back = JsonSerializer.Deserialize<StoredResult>(JsonSerializer.Serialize(result, Json.Options), Json.Options)!;
        Assert.Equal("Crossover at 3.2x", back.Figure("crossover").Title);
        Assert.Equal("counts", new ExperimentResult([], [fig], [table]).Table("counts").Key);
    }

    [Fact]
    public void Bootstrap_intervals_are_deterministic_and_contain_the_ratio()
    {
        double[] a = [10, 11, 12, 10.5, 11.5, 30, 10.2, 10.8];
        double[] b = [1, 1.1, 0.9, 1.05, 0.95, 1, 1.02, 0.98];
        var (r1, i1) = Intervals.RatioOfMedians(a, b, Sampling.Interleaved);
        var (r2, i2) = Intervals.RatioOfMedians(a, b, Sampling.Interleaved);
        Assert.Equal(r1, r2);
        Assert.Equal(i1, i2);
        Assert.InRange(r1, i1.Low, i1.High);
        Assert.True(i1.High > i1.Low);
        Assert.Throws<ArgumentException>(() => Intervals.RatioOfMedians([1], [1, 2], Sampling.Independent));
        Assert.Throws<ArgumentException>(() => Intervals.RatioOfMedians([1, 0], [1, 2], Sampling.Independent));
    }

    [Theory]
    [InlineData(12000, "solverSteps 12,000 steps")]
    [InlineData(355532800, "solverSteps 355,532,800 steps")]
    [InlineData(1.58, "solverSteps 1.58 steps")]
    [InlineData(12000.5, "solverSteps 1.2E+04 steps")]
    [InlineData(9999, "solverSteps 9999 steps")]
    public void A_whole_figure_of_ten_thousand_or_more_prints_whole(double value, string text) =>
        Assert.Equal(text, new Quantity("solverSteps", value, "steps").ToString());
}
