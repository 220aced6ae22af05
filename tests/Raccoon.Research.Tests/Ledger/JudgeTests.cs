using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using System.Text.RegularExpressions;
using Raccoon.Research.Ledger;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Ledger;

/// <summary>The one judge: experiments return figures, the ledger decides from claims.json, at the edges of each rule.</summary>
public class JudgeTests
{
    static readonly HeldOutTrace Converged = new("converged", "loss", false, [1, 2, 3, 4, 5, 6, 7, 8], [3, 2, 1.5, 1.2, 1.2, 1.2, 1.2, 1.2], "early stopping");
    static readonly HeldOutTrace StillFalling = new("falling", "loss", false, [1, 2, 3, 4, 5, 6, 7, 8], [3, 2.8, 2.6, 2.4, 2.2, 2.0, 1.8, 1.6], "step cap 8");

    static LedgerRow Row(Measurement m) => Judge.Row(ClaimCatalog.Get(m.ClaimId), m, "test", "standard", 1, DateTimeOffset.UnixEpoch);

    [Fact]
    public void No_file_under_Experiments_names_a_verdict_a_threshold_or_a_tally()
    {
        string dir = Path.Combine(Repo.Root, "lib", "Raccoon.Research", "Experiments");
        var banned = new Regex(@"\bVerdict\b|\bVerdictRules\b|Threshold\(|\.Tally\(|\bJudged\(|Measurement\.Check\(|\.Rule\b|\bJudge\.", RegexOptions.Compiled);
        var hits = Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => banned.IsMatch(x.line) && !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal))
            .Select(x => $"{Path.GetRelativePath(dir, x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.True(hits.Count == 0, "experiments must return figures only; the ledger judges:\n" + string.Join("\n", hits));
    }

    [Fact]
    public void A_claimed_range_is_judged_at_both_ends()
    {
        // V2-05: "2-10x" with a factor 1.5: 5x lies inside the range and holds; 20x lies past its upper end.
        Assert.Equal(Verdict.Holds, Row(Measurement.Number("V2-05", 5, "5x")).Verdict);
        Assert.Equal(Verdict.Holds, Row(Measurement.Number("V2-05", 14, "14x")).Verdict);
        Assert.Equal(Verdict.Partly, Row(Measurement.Number("V2-05", 20, "20x")).Verdict);
        Assert.Equal(Verdict.Fails, Row(Measurement.Number("V2-05", 1.05, "1.05x")).Verdict);
        var v202 = Row(Measurement.Of("V2-02", "500x", [new Quantity("windowSpeedup", 500, "x", new MeasuredInterval(400, 600))], kind: FigureKind.Timing));
        Assert.Equal(Verdict.Holds, v202.Verdict);
        Assert.Contains("within the claimed range", v202.OffBy);
    }

    [Fact]
    public void Past_the_claim_in_its_direction_is_never_fails()
    {
        // T1-09: "30% less memory": 80% less is past the claim, and holds.
        Assert.Equal(Verdict.Holds, Row(Measurement.Number("T1-09", 80, "80% less")).Verdict);
        Assert.Equal(Verdict.Holds, Row(Measurement.Number("T1-09", 25, "25% less")).Verdict);
        Assert.Equal(Verdict.Partly, Row(Measurement.Number("T1-09", 15, "15% less")).Verdict);
        Assert.Equal(Verdict.Fails, Row(Measurement.Number("T1-09", 5, "5% less")).Verdict);
    }

    /// <summary>One run of T1-10's depth search: first loss 3.4, its final loss, and whether a loss or gradient went non-finite.</summary>
    static SearchRun Run(string arm, int depth, int seed, double final = 1.0, bool nonFinite = false) =>
        new(arm, depth, $"depth {depth} seed {seed}",
            [new Quantity("initialLoss", 3.4), new Quantity("finalLoss", nonFinite ? double.PositiveInfinity : final), new Quantity("nonFinite", nonFinite ? 1 : 0)]);

    /// <summary>Both orders at depths 6, 24, 96 with 2 seeds each; <paramref name="broken"/> names the runs that break and how.</summary>
    static Measurement Search(params (string Arm, int Depth, int Seed, double Final, bool NonFinite)[] broken) =>
        new("T1-10", "depth search", Runs: (from arm in new[] { "preNorm", "postNorm" }
                                            from depth in new[] { 6, 24, 96 }
                                            from seed in new[] { 1, 2 }
                                            let b = broken.Where(x => x.Arm == arm && x.Depth == depth && x.Seed == seed).ToList()
                                            select b.Count == 0 ? Run(arm, depth, seed) : Run(arm, depth, seed, b[0].Final, b[0].NonFinite)).ToList());

    static Quantity Figure(LedgerRow row, string name) => row.Figures!.Single(f => f.Name == name);

    [Fact]
    public void A_censored_figure_is_inconclusive_unless_every_value_it_allows_agrees()
    {
        // T1-10: no depth tried destabilised either stack: nothing is known of the ratio.
        var row = Row(Search());
        Assert.Equal(Verdict.Inconclusive, row.Verdict);
        Assert.Contains("censored", row.Reason);
        Assert.Equal(Censor.Above, Figure(row, "preNormDeepestStable").Censored);
        Assert.Equal(96, Figure(row, "postNormDeepestStable").Value);
        Assert.Contains("postNorm: at least 96", row.Reason);
        // Post-norm broke at 24 (one seed's loss went NaN) but pre-norm held to the deepest tried (96): post-norm's deepest
        // stable depth lies in [6, 24), so the ratio is at least 96 / 24 = 4, which holds whatever lies beyond.
        row = Row(Search(("postNorm", 24, 2, 0, true)));
        Assert.Equal(Verdict.Holds, row.Verdict);
        Assert.Equal(4, row.MeasuredValue);
        Assert.Equal(new MeasuredInterval(6, 24), Figure(row, "postNormDeepestStable").Interval);
        Assert.Contains("destabilised at 24 in 1 of 2 runs (depth 24 seed 2: nonFinite >= 1)", row.Reason);
        // Post-norm ended no better than it began at 96 only (final loss equal to the first): the ratio is at least 96 / 96 = 1,
        // which allows both no effect (fails) and 4 (holds).
        row = Row(Search(("postNorm", 96, 1, 3.4, false)));
        Assert.Equal(Verdict.Inconclusive, row.Verdict);
        Assert.Equal(24, Figure(row, "postNormDeepestStable").Value);
        Assert.Contains("finalLoss >= initialLoss", row.Reason);
        // Pre-norm broke at 24 while post-norm held to 96: the ratio is at most 24 / 96 = 0.25, which fails whatever it is.
        Assert.Equal(Verdict.Fails, Row(Search(("preNorm", 24, 1, 5.0, false))).Verdict);
        // Both broke at the smallest depth: nothing is known.
        Assert.Equal(Verdict.Inconclusive, Row(Search(("preNorm", 6, 1, 0, true), ("postNorm", 6, 2, 0, true))).Verdict);
        // A loss that fell, however little, is not destabilised.
        Assert.Equal(Verdict.Holds, Row(Search(("preNorm", 96, 1, 3.39, false), ("postNorm", 24, 1, 3.5, false))).Verdict);
        // Both bounded by the grid: pre-norm in [24, 96), post-norm in [6, 24): the ratio 4 lies in [1, 16], across every boundary.
        row = Row(Search(("preNorm", 96, 1, 0, true), ("postNorm", 24, 1, 0, true)));
        Assert.Equal(Verdict.Inconclusive, row.Verdict);
        Assert.Equal(new MeasuredInterval(1, 16), row.Interval);
    }

    sealed class DepthSearch : Raccoon.Research.Experiments.IExperiment
    {
        public string Name => "depth-search";
        public string Title => "depth search";
        public IReadOnlyList<string> Claims => ["T1-10"];
        public Raccoon.Research.Experiments.ExperimentResult Run(Raccoon.Research.Experiments.ExperimentContext context) => throw new NotSupportedException();
    }

    [Fact]
    public void A_measurement_of_runs_alone_passes_the_experiment_check_and_one_of_nothing_does_not()
    {
        var experiment = new DepthSearch();
        Raccoon.Research.Experiments.ExperimentRunner.Validate(experiment, new([Search(("postNorm", 24, 2, 0, true))]));
        var e = Assert.Throws<InvalidOperationException>(() => Raccoon.Research.Experiments.ExperimentRunner.Validate(experiment, new([new Measurement("T1-10", "nothing")])));
        Assert.Contains("no figure at all", e.Message);
    }

    [Fact]
    public void A_depth_search_needs_its_runs_and_both_arms()
    {
        Assert.Contains("gives no runs", Assert.Throws<ArgumentException>(() => Row(new Measurement("T1-10", "no runs", 4))).Message);
        var onlyPre = new Measurement("T1-10", "pre only", Runs: [Run("preNorm", 6, 1)]);
        Assert.Contains("no run of arm 'postNorm'", Assert.Throws<ArgumentException>(() => Row(onlyPre)).Message);
    }

    [Fact]
    public void The_multi_scale_flow_claim_needs_its_speedup_and_its_growth()
    {
        // V2-04: "O(D log D), 10-100x": the speedup at the largest D against 10-100x (factor 2), the exponent at most D log D's 1.15.
        Measurement M(double speedup, double exponent) => Measurement.Of("V2-04", "flows",
            [new Quantity("flowSpeedup", speedup, Interval: new MeasuredInterval(speedup * 0.95, speedup * 1.05)),
             new Quantity("multiScaleExponent", exponent, Interval: new MeasuredInterval(exponent - 0.02, exponent + 0.02))], kind: FigureKind.Timing);
        Assert.Equal(Verdict.Holds, Row(M(20, 1.0)).Verdict);
        Assert.Equal(Verdict.Partly, Row(M(20, 1.6)).Verdict);   // fast enough, but grows faster than D log D
        Assert.Equal(Verdict.Partly, Row(M(1.7, 1.0)).Verdict);  // faster and O(D), but far short of 10x
        Assert.Equal(Verdict.Fails, Row(M(1.7, 1.6)).Verdict);
        Assert.Equal(Verdict.Fails, Row(M(0.6, 1.0)).Verdict);   // slower than the flat flow
        Assert.Contains("short of", Row(M(1.7, 1.0)).OffBy);
        Assert.Equal(Verdict.Inconclusive, Row(M(20, 1.15)).Verdict); // the exponent's interval straddles 1.15
    }

    [Fact]
    public void The_review_claims_read_as_the_review_states_them()
    {
        // V2-07: the review says "single-pass inference" is misleading; three flow passes confirm the review.
        Assert.Equal(Verdict.Holds, Row(Measurement.Of("V2-07", "3 passes", [new Quantity("flowPasses", 3)])).Verdict);
        Assert.Equal(Verdict.Fails, Row(Measurement.Of("V2-07", "1 pass", [new Quantity("flowPasses", 1)])).Verdict);
    }

    [Fact]
    public void A_blank_the_document_left_is_reported_never_judged()
    {
        var row = Row(new Measurement("H4-06", "0.7 ms vs 0.8 ms", 1.1, Interval: new MeasuredInterval(0.9, 1.3),
            Figures: [new Quantity("transformerMs", 0.7, "ms"), new Quantity("hyperMixerMs", 0.8, "ms")]));
        Assert.Equal(Verdict.Reported, row.Verdict);
        Assert.Equal("reported", row.Verdict.Name());
    }

    [Fact]
    public void A_model_that_did_not_converge_gets_no_verdict_and_the_row_says_how_far_it_got()
    {
        Measurement G304(HeldOutTrace t) => new("G3-04", "95% top-1", 95, Traces: [t with { HigherIsBetter = false }]);
        var open = Row(G304(StillFalling));
        Assert.Equal(Verdict.Inconclusive, open.Verdict);
        Assert.False(open.Converged);
        Assert.Contains("not converged at this size", open.Reason);
        Assert.Contains("step 8", open.Reason);
        var done = Row(G304(Converged));
        Assert.Equal(Verdict.Holds, done.Verdict);
        Assert.True(done.Converged);
        // A figure from training without its trace is an error of the experiment, not a verdict.
        Assert.Throws<ArgumentException>(() => Row(new Measurement("G3-04", "95%", 95)));
        // Too few evaluations to see a plateau is not convergence either.
        Assert.Equal(Verdict.Inconclusive, Row(G304(new HeldOutTrace("short", "loss", false, [1, 2], [1, 1], "step cap 2"))).Verdict);
    }

    [Fact]
    public void V2_10_is_judged_part_by_part_against_the_unfactorised_model_once_both_1000_dimensional_models_converged()
    {
        var plateau = new HeldOutTrace("factorised D = 1,000", "held-out ELBO per dimension (nats)", true, [0, 5, 10, 15, 20, 25, 30, 35, 40],
            [-2, -1, -0.5, -0.2, -0.19, -0.185, -0.184, -0.183, -0.183], "step cap 40");
        // still gaining 0.2 nats/dim per evaluation at the cap
        var rising = plateau with { Name = "unfactorised D = 1,000", Values = [-2, -1.8, -1.6, -1.4, -1.2, -1.0, -0.8, -0.6, -0.4] };
        Measurement V210(double costRatio, double elboDiff, params HeldOutTrace[] traces) => Measurement.Of("V2-10", "factorised vs unfactorised",
        [
            new Quantity("heldOutElboGainPerDim1000", 1.8, "nats/dim"),
            new Quantity("stepTimeGrowth100To1000", 9, "x", new MeasuredInterval(8, 10)),
            new Quantity("unfactorisedOverFactorisedStepTime1000", costRatio, "x", new MeasuredInterval(costRatio * 0.9, costRatio * 1.1)),
            new Quantity("factorisedMinusUnfactorisedElboPerDim1000", elboDiff, "nats/dim"),
        ], traces: traces);
        Assert.Equal(Verdict.Holds, Row(V210(3, 0.1, plateau, plateau with { Name = "unfactorised D = 1,000" })).Verdict);
        // The unfactorised model cheaper and better: the factorised one still trains and scales, the premise does not hold.
        var cheaper = Row(V210(0.2, -0.05, plateau, plateau with { Name = "unfactorised D = 1,000" }));
        Assert.Equal(Verdict.Partly, cheaper.Verdict);
        Assert.Contains("unfactorisedOverFactorisedStepTime1000", cheaper.Reason);
        // One model still improving (by more than 0.01 nats/dim over its last 3 evaluations): no verdict, and it says which.
        var open = Row(V210(0.2, -0.05, plateau, rising));
        Assert.Equal(Verdict.Inconclusive, open.Verdict);
        Assert.Contains("not converged at this size", open.Reason);
        Assert.Contains("unfactorised D = 1,000", open.Reason);
        // A cost ratio whose interval straddles 1 cannot decide its part, and the tally is then open.
        Assert.Equal(Verdict.Inconclusive, Row(V210(1.0, 0.1, plateau, plateau)).Verdict);
    }

    [Fact]
    public void The_plateau_is_dated_at_the_first_evaluation_where_the_test_passes()
    {
        var rule = new ConvergenceRule(Window: 2, MaxChange: 0.01, Relative: false, MinEvaluations: 4);
        // held-out loss falls by 0.5, 0.3, 0.2, then moves by at most 0.005 per evaluation
        var t = new HeldOutTrace("model", "held-out loss", false, [10, 20, 30, 40, 50, 60, 70], [2.0, 1.5, 1.2, 1.0, 0.995, 0.992, 0.992], "step cap 70");
        // at 50 the last two (1.0, 0.995) improved 0.2 on the best before (1.2): open; at 60 (0.995, 0.992) against 1.0: 0.008, closed
        Assert.Equal(60, rule.PlateauAt(t));
        Assert.Null(rule.NotConverged(t));
        Assert.Null(rule.PlateauAt(t with { Values = [2.0, 1.5, 1.2, 1.0, 0.9, 0.8, 0.7] }));
        var judged = Row(new Measurement("G3-04", "95% top-1", 95, Traces: [Converged with { HigherIsBetter = false }]));
        Assert.Contains("plateau first reached at", judged.Reason);
    }

    [Fact]
    public void A_floor_in_steps_keeps_a_flat_stretch_before_it_from_counting_as_the_plateau()
    {
        // V2-01's shape: flat within the allowance at steps 30-60 (a pause), rising again later.
        var rule = new ConvergenceRule(Window: 3, MaxChange: 3.63, Relative: false, MinEvaluations: 6, MinStep: 10_000);
        var pause = new HeldOutTrace("upstream, seed 0", "training ELBO per path", true, [3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33],
            [-77_000, -20_000, -5_000, -2_000, -1_200, -900, -805, -802, -801, -800.5, -800], "step cap 60");
        Assert.Null((rule with { MinStep = null }).NotConverged(pause));
        string? open = rule.NotConverged(pause);
        Assert.NotNull(open);
        Assert.Contains("trained to step 33, short of the 10,000 steps", open);
        Assert.Null(rule.PlateauAt(pause));
        // Without the floor it passes at its last evaluation (step 33); the same trace stretched past the floor passes there too.
        Assert.Equal(33, (rule with { MinStep = null }).PlateauAt(pause));
        var past = pause with { Steps = [.. pause.Steps.Select(x => x * 1_000.0)] };
        Assert.Null(rule.NotConverged(past));
        Assert.Equal(33_000, rule.PlateauAt(past));
        // A training loop stopped by the same rule does not stop before the floor.
        var stop = new PlateauStop([rule]);
        Assert.False(stop.Reached(pause));
        Assert.True(stop.Reached(past));
        // claims.json: V2-01 and V2-03 test from upstream's 10,000 steps on.
        foreach (var id in new[] { "V2-01", "V2-03" })
            Assert.Equal(10_000, ClaimCatalog.Get(id).Rule.Convergence!.MinStep);
    }

    [Fact]
    public void Conditions_decide_on_the_whole_interval_and_an_interval_across_a_threshold_is_inconclusive()
    {
        Measurement T105(double lo, double hi) => Measurement.Of("T1-05", "qkv", [new Quantity("projectionSpeedup", (lo + hi) / 2, "x", new MeasuredInterval(lo, hi))]);
        Assert.Equal(Verdict.Holds, Row(T105(1.1, 1.3)).Verdict);
        Assert.Equal(Verdict.Fails, Row(T105(0.8, 0.95)).Verdict);
        Assert.Equal(Verdict.Inconclusive, Row(T105(0.9, 1.2)).Verdict);
        // A figure the rule reads but the measurement lacks is an error naming it.
        Assert.Contains("projectionSpeedup", Assert.Throws<ArgumentException>(() => Row(Measurement.Of("T1-05", "qkv", [new Quantity("other", 1)]))).Message);
    }

    [Fact]
    public void A_claim_that_cannot_be_tested_by_this_measurement_is_inconclusive()
    {
        // G3-07 with Tiny barely behind Full: no gap to recover, so distillation can show nothing.
        var m = Measurement.Of("G3-07", "no gap", [new Quantity("tinyGapPoints", 0.4), new Quantity("recoveredFraction", 0.9)], traces: [Converged]);
        var row = Row(m);
        Assert.Equal(Verdict.Inconclusive, row.Verdict);
        Assert.Contains("tinyGapPoints", row.Reason);
        Assert.Equal(Verdict.Holds, Row(m with { Figures = [new Quantity("tinyGapPoints", 5), new Quantity("recoveredFraction", 0.9)] }).Verdict);
    }

    [Fact]
    public void Requirements_lower_a_verdict_and_how_far_off_is_a_factor()
    {
        // R0-09: four accuracy points hold, but only with the Original slower beyond the no-effect band.
        Measurement R09(double latency) => Measurement.PerBuild("R0-09", "frontier",
            [new BuildMeasurement("upstream Original", "4 points", 4, Upstream: true, Traces: [Converged], Figures: [new Quantity("latencyRatio", latency)])]);
        Assert.Equal(Verdict.Holds, Row(R09(50)).Verdict);
        Assert.Equal(Verdict.Partly, Row(R09(1.0)).Verdict);
        var r01 = Row(Measurement.Number("R0-01", 6.2, "6.2x fewer"));
        Assert.Equal(6.2 / 31, r01.Factor!.Value, 6);
        Assert.Contains("5.0x short of the claim", r01.OffBy);
    }

    [Fact]
    public void A_tolerance_band_reaching_into_the_no_effect_band_is_refused_when_the_claims_load()
    {
        const string json = """
            [{"id": "Z1-01", "document": "999", "source": "s", "title": "t", "short": "s", "claim": "c", "notebook": "n",
              "claimed": {"text": "1.6x", "value": 1.6}, "rule": {"kind": "ratio", "tolerance": 2, "reason": "r"}}]
            """;
        Assert.Contains("no-effect band", Assert.Throws<InvalidDataException>(() => ClaimCatalog.Parse(json)).Message);
        Assert.Single(ClaimCatalog.Parse(json.Replace("\"tolerance\": 2", "\"tolerance\": 1.25")));
    }

    [Theory]
    [InlineData(Sampling.Interleaved)]
    [InlineData(Sampling.Independent)]
    public void Ratio_intervals_cover_a_known_ratio_at_least_nine_times_in_ten(Sampling design)
    {
        // 200 simulated timing comparisons with a true ratio of medians of 2: log-normal noise, and for interleaved
        // pairs a drift of the machine shared by both sides of a round.
        var rng = new Random(42);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        int covered = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            var a = new double[21]; var b = new double[21];
            for (int i = 0; i < a.Length; i++)
            {
                double drift = design == Sampling.Interleaved ? Math.Exp(0.3 * Normal()) : 1;
                a[i] = 2 * drift * Math.Exp(0.1 * Normal());
                b[i] = 1 * drift * Math.Exp(0.1 * Normal());
            }
            var (_, interval) = Intervals.RatioOfMedians(a, b, design, seed: trial);
            if (interval.Low <= 2 && interval.High >= 2) covered++;
        }
        Assert.True(covered >= 180, $"{design}: {covered} of 200 intervals contain the true ratio");
    }

    [Fact]
    public void Interleaved_samples_must_come_in_pairs()
    {
        Assert.Contains("pairs", Assert.Throws<ArgumentException>(() => Intervals.RatioOfMedians([1, 2, 3], [1, 2], Sampling.Interleaved)).Message);
    }

    [Fact]
    public void A_row_carried_over_from_an_earlier_ledger_is_judged_again_under_todays_rules()
    {
        // An earlier ledger read V2-05's 5x as partly (its rule then had no upper end); today's range rule holds it.
        var m = Measurement.Number("V2-05", 5, "5x");
        var old = Row(m) with { Verdict = Verdict.Partly, Reason = "old rule" };
        var none = new Dictionary<string, LedgerRow>();
        var again = LedgerAssembly.Assemble(ClaimCatalog.Select(["H4"]), none, [old], _ => m).Single(r => r.Id == "V2-05");
        Assert.Equal(Verdict.Holds, again.Verdict);
        // Without its stored measurement the old verdict is not repeated.
        var gone = LedgerAssembly.Assemble(ClaimCatalog.Select(["H4"]), none, [old], _ => null).Single(r => r.Id == "V2-05");
        Assert.Equal(Verdict.Inconclusive, gone.Verdict);
        Assert.Contains("could not judge it again", gone.Reason);
        Assert.Equal("5x", gone.Measured);
    }
}
