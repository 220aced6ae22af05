using Raccoon.Research.Ledger;
using Raccoon.Research.Models.LatentOde;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.LatentOde;

public class LatentOdeTrainingStopTests : IClassFixture<TorchFixture>
{
    [Fact]
    public void A_training_unit_trained_alone_is_what_the_run_trains_in_sequence()
    {
        var experiment = new Raccoon.Research.Experiments.LatentOde.LatentOdeTrainingExperiment();
        var quick = Raccoon.Research.Experiments.Profile.Quick;
        var units = experiment.TrainingUnits(quick);
        // Quick: 3 position encodings x 1 seed; 3 depths x 2 norm orders x 1 rate x 2 seeds; 3 feed-forwards x 1 seed; 2 models x 3 seeds.
        Assert.Equal(3 + 12 + 3 + 6, units.Count);
        Assert.Equal(["extrapolation-Sinusoidal.training-seed1", "stability-Pre-depth6-lr0.001.training-seed1", "feed-forward-Relu.training-seed1",
            "upstream-model", "modern-model-seed3"], new[] { units[0], units[3], units[15], units[18], units[^1] });

        // Run trains each unit through the function TrainUnit calls. One unit of each stack kind trained alone, by name, in
        // reverse order; the same units trained as Run trains them, in order and after another training in the same process:
        // the same losses and weights. (The whole quick run against all 24 units trained alone, figures digit for digit, was
        // checked once with TrainingUnitsCheck: about 8 minutes a run, too long for the suite.)
        var plateaus = PlateauStop.Of(experiment.Claims.Select(Raccoon.Research.Ledger.ClaimCatalog.Get));
        var alone = new Raccoon.Research.Experiments.ExperimentContext(quick, 1, 2, Repo.TempDir("t1-units-alone"), Plateaus: plateaus);
        var inRun = alone with { OutDir = Repo.TempDir("t1-units-in-run") };
        string[] picked = [units[0], units[3], units[15]];
        foreach (var unit in picked.Reverse()) Raccoon.Research.Experiments.ExperimentRunner.TrainUnit(experiment, alone, unit);
        string folder = Raccoon.Research.Experiments.ExperimentContext.TrainingDirectory(alone.TrainingFolder, experiment.Name);
        var written = FileStamps.In(folder);
        Assert.Equal(3, written.Count);
        experiment.TrainExtrapolation(inRun, PositionEncoding.Rope, 0).Model.Dispose();
        var runs = new Func<Raccoon.Research.Experiments.ExperimentContext, (nn.Module Model, TrainingTrace Trace)>[]
        {
            c => experiment.TrainExtrapolation(c, PositionEncoding.Sinusoidal, 0),
            c => experiment.TrainStability(c, Raccoon.Research.Blocks.Encoders.NormOrder.Pre, 6, 1e-3, 0),
            c => experiment.TrainFeedForward(c, Raccoon.Research.Blocks.FeedForward.FeedForwardKind.Relu, 0),
        };
        foreach (var train in runs)
        {
            var (m, trace) = train(inRun);
            var (stored, storedTrace) = train(alone); // the unit's file holds its end: nothing is trained
            Assert.Equal(trace.Losses, storedTrace.Losses);
            Assert.Equal(trace.GradientNorms, storedTrace.GradientNorms);
            Assert.Equal(trace.StoppedAtPlateau, storedTrace.StoppedAtPlateau);
            Raccoon.Research.Tests.Training.Params.AssertEqual(Raccoon.Research.Tests.Training.Params.Of(m), Raccoon.Research.Tests.Training.Params.Of(stored));
            m.Dispose(); stored.Dispose();
        }
        FileStamps.AssertUnchanged(written);
        var unknown = Assert.Throws<ArgumentException>(() => Raccoon.Research.Experiments.ExperimentRunner.TrainUnit(experiment, alone, "upstream-model-seed4"));
        Assert.Contains("no training unit 'upstream-model-seed4' at quick; its units: extrapolation-Sinusoidal.training-seed1", unknown.Message);
    }

    [Fact]
    public void A_run_with_a_plateau_stop_ends_at_the_first_block_where_the_rule_holds_and_its_trace_says_so()
    {
        TrainingTrace Run(PlateauStop? stop)
        {
            manual_seed(3);
            using var model = nn.Linear(4, 1);
            var x = randn(64, 4);
            var y = x.sum(1, keepdim: true);
            return LatentOdeTraining.Train(model, _ => nn.functional.mse_loss(model.forward(x), y), 60, lr: 1e-2, stopAt: stop, evaluateEvery: 5);
        }
        var capped = Run(null);
        Assert.Equal(60, capped.Losses.Count);
        Assert.Equal("cap of 60 steps", capped.HeldOut("x", 5, 60).StoppedBecause);
        Assert.Equal(12, capped.HeldOut("x", 5, 60).Values.Count);

        // A rule that holds on any trace: three blocks of five steps, never fewer.
        var stopped = Run(new PlateauStop([new ConvergenceRule(Window: 1, MaxChange: 1e9, MinEvaluations: 3)]));
        Assert.True(stopped.StoppedAtPlateau);
        Assert.Equal(capped.Losses.Take(15), stopped.Losses);
        var trace = stopped.HeldOut("x", 5, 60);
        Assert.Equal([5.0, 10, 15], trace.Steps);
        Assert.Equal("plateau at step 15", trace.StoppedBecause);
        Assert.Throws<ArgumentException>(() => LatentOdeTraining.Train(nn.Linear(1, 1), _ => zeros(1).sum(), 5,
            stopAt: new PlateauStop([new ConvergenceRule(1, 1)]), evaluateEvery: 0));
    }
}
