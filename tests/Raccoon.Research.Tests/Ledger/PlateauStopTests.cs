using Raccoon.Research.Ledger;

namespace Raccoon.Research.Tests.Ledger;

public class PlateauStopTests
{
    static HeldOutTrace Trace(params double[] values) =>
        new("t", "loss", false, values.Select((_, i) => (double)(i + 1)).ToList(), values, "in training");

    [Fact]
    public void It_stops_at_the_first_evaluation_where_the_rule_holds_and_never_before_min_evaluations()
    {
        var stop = new PlateauStop([new ConvergenceRule(Window: 2, MaxChange: 0.01, MinEvaluations: 4)]);
        // Falling fast, then flat from evaluation 5: the best of the last two improves on the best before by < 1% first at evaluation 7.
        var trace = Trace(10, 8, 6, 5, 4, 3.99, 3.98, 3.97);
        Assert.Equal(7, stop.At(trace));
        Assert.False(stop.Reached(trace with { Steps = trace.Steps.Take(6).ToList(), Values = trace.Values.Take(6).ToList() }));
        Assert.True(stop.Reached(trace with { Steps = trace.Steps.Take(7).ToList(), Values = trace.Values.Take(7).ToList() }));
        // A trace flat from the start still needs the rule's minimum number of evaluations.
        Assert.Equal(4, stop.At(Trace(1, 1, 1, 1, 1, 1)));
        Assert.Null(stop.At(Trace(1, 1, 1)));
        Assert.Equal(4, stop.Needed);
    }

    [Fact]
    public void A_run_that_went_on_past_an_early_plateau_settles_where_the_rule_holds_to_its_end()
    {
        var stop = new PlateauStop([new ConvergenceRule(Window: 2, MaxChange: 0.01, MinEvaluations: 4)]);
        // Flat at chance for evaluations 1-5 (the rule first holds at 4), then learning, then flat again from evaluation 10.
        var trace = Trace(1.4, 1.4, 1.4, 1.4, 1.4, 1.0, 0.7, 0.5, 0.4, 0.4, 0.4, 0.4);
        Assert.Equal(4, stop.At(trace));
        Assert.Equal(11, stop.Settled(trace)); // at 10 the best of evaluations 9-10 (0.4) still improves on 1-8's (0.5) by 20%
        Assert.Null(stop.Settled(Trace(1.4, 1.4, 1.4, 1.4, 1.0, 0.5))); // still moving at its end
        Assert.Equal(stop.At(Trace(10, 8, 6, 5, 4, 3.99, 3.98, 3.97)), stop.Settled(Trace(10, 8, 6, 5, 4, 3.99, 3.98, 3.97)));
        Assert.Null(PlateauStop.None.Settled(trace));
    }

    [Fact]
    public void Every_rule_must_hold_and_without_a_rule_nothing_stops()
    {
        var strict = new ConvergenceRule(Window: 2, MaxChange: 0.001, MinEvaluations: 4);
        var loose = new ConvergenceRule(Window: 2, MaxChange: 0.5, MinEvaluations: 4);
        var trace = Trace(10, 8, 6, 5, 4.9, 4.8, 4.8, 4.8);
        Assert.Equal(4, new PlateauStop([loose]).At(trace));
        Assert.Equal(8, new PlateauStop([loose, strict]).At(trace));
        Assert.Null(PlateauStop.None.At(Trace(1, 1, 1, 1, 1, 1, 1, 1)));
        Assert.False(PlateauStop.None.Reached(Trace(1, 1, 1, 1, 1, 1, 1, 1)));
    }

    [Fact]
    public void The_rules_come_from_claims_json_for_the_training_claims()
    {
        var rules = PlateauStop.Of(ClaimCatalog.All);
        foreach (var id in new[] { "R0-08", "R0-09", "R0-12", "R0-13", "H4-07", "H4-08", "T1-03", "V2-01", "G3-04" })
            Assert.Equal(ClaimCatalog.Get(id).Rule.Convergence, rules[id]);
        Assert.DoesNotContain("R0-01", rules.Keys);
        Assert.Equal("plateau at epoch 14", PlateauStop.Because(true, 14, "epoch"));
        Assert.Equal("cap of 40 epochs", PlateauStop.Because(false, 40, "epoch"));
    }

    [Fact]
    public void A_sentence_says_how_long_the_runs_trained_not_the_cap_they_were_allowed()
    {
        Assert.Equal("200 steps", PlateauStop.TrainedFor([(200, false), (200, false)], 200, "step"));
        Assert.Equal("to the plateau, 550-650 steps (cap 3,000)", PlateauStop.TrainedFor([(650, true), (550, true)], 3000, "step"));
        Assert.Equal("to the plateau, 180 steps (cap 1,000)", PlateauStop.TrainedFor([(180, true)], 1000, "step"));
        Assert.Equal("550-3,000 steps (1 of 2 at the cap of 3,000, the rest at the plateau)", PlateauStop.TrainedFor([(550, true), (3000, false)], 3000, "step"));
        // From traces: the last evaluation and the trace's own reason.
        HeldOutTrace T(double last, bool plateau) => new("t", "loss", false, [last / 2, last], [1, 0.5], PlateauStop.Because(plateau, plateau ? last : 40, "epoch"));
        Assert.Equal("to the plateau, 12-14 epochs (cap 40)", PlateauStop.TrainedFor([T(12, true), T(14, true)], 40, "epoch"));
        Assert.Equal("40 epochs", PlateauStop.TrainedFor([T(40, false)], 40, "epoch"));
        Assert.Throws<ArgumentException>(() => PlateauStop.TrainedFor(Array.Empty<(double, bool)>(), 40, "epoch"));
    }
}
