using Raccoon.Research.Models.PathFlow;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Tests.Training;
using Raccoon.Research.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.PathFlow;

public class PathFlowTrainingTests : IClassFixture<TorchFixture>
{
    static readonly PathFlowConfig Small = new(Hidden: 16, Couplings: 2, TimeDim: 8, LatentDim: 2, NormalisedPosteriorTime: true);
    const int Steps = 12;

    static nn.Module Make(bool factorised, int seed)
    {
        manual_seed(seed);
        return factorised ? new FactorisedPathFlow(6, 2, Small) : new PathFlowModel(Small);
    }

    static (PathData Train, PathData Held) Data(bool factorised) => factorised
        ? LiftedLorenzPaths.GenerateSplit(6, 4, 3, new Generator(3), observations: 8)
        : (LorenzPaths.Generate(4, new Generator(1), observations: 20, innerSteps: 10), LorenzPaths.Generate(4, new Generator(2), observations: 20, innerSteps: 10));

    static PathFlowCurve Train(nn.Module model, (PathData Train, PathData Held) d, ResumeFile? resume = null, Action<int>? onStep = null, int steps = Steps) => model switch
    {
        PathFlowModel m => PathFlowTraining.Train(m, d.Train, d.Held, steps, seed: 5, recordEvery: 2, onStep: onStep, resume: resume, evaluateEvery: 3, heldOutDraws: 2),
        FactorisedPathFlow f => PathFlowTraining.Train(f, d.Train, d.Held, steps, seed: 5, recordEvery: 2, onStep: onStep, resume: resume, evaluateEvery: 3, heldOutDraws: 2),
        _ => throw new ArgumentException(model.GetType().Name),
    };

    [Fact]
    public void The_reference_sizes_train_past_the_floor_and_evaluate_often_enough_for_the_plateau_test_after_it()
    {
        var profiles = Raccoon.Research.Experiments.PathFlow.PathFlowTrainingExperiment.Profiles;
        var reference = profiles.For(Raccoon.Research.Experiments.Profile.Reference);
        foreach (var (id, cap, every) in new[] { ("V2-01", reference.Steps, reference.Steps / 20), ("V2-03", reference.CoupledSteps, reference.CoupledSteps / 10) })
        {
            var rule = Raccoon.Research.Ledger.ClaimCatalog.Get(id).Rule.Convergence!;
            // The floor is upstream's 10,000 steps; the cap leaves room past it for the window and evaluations the test needs.
            Assert.True(cap - rule.MinStep!.Value >= rule.Window * every, $"{id}: cap {cap}, floor {rule.MinStep}, evaluated every {every}");
            Assert.True(cap / every >= rule.Needed, $"{id}: {cap / every} evaluations, the test needs {rule.Needed}");
        }
        // Quick's data and model (the project's smallest), standard's seeds.
        var q = profiles.Quick;
        Assert.Equal((q.TrainPaths, q.HeldOutPaths, q.Hidden, q.CoupledTrainPaths, q.CoupledHeldOutPaths, profiles.Standard.Seeds),
            (reference.TrainPaths, reference.HeldOutPaths, reference.Hidden, reference.CoupledTrainPaths, reference.CoupledHeldOutPaths, reference.Seeds));
    }

    [Fact]
    public void Units_trained_alone_then_the_experiment_give_the_figures_of_the_experiment_run_whole()
    {
        var experiment = Raccoon.Research.Experiments.ExperimentRegistry.Get("path-flow-training");
        var quick = Raccoon.Research.Experiments.Profile.Quick;
        var units = experiment.TrainingUnits(quick);
        // Quick: 2 upstream seeds, the windowed posterior and the time fix, then diagonal and grouped OU over 3 seeds.
        Assert.Equal(["lorenz-upstream.training-seed1", "lorenz-upstream.training-seed2", "lorenz-windowed.training-seed1",
            "lorenz-normalised-time.training-seed1", "coupled-diagonal-ou.training-seed1", "coupled-grouped-ou.training-seed1",
            "coupled-diagonal-ou.training-seed2", "coupled-grouped-ou.training-seed2", "coupled-diagonal-ou.training-seed3",
            "coupled-grouped-ou.training-seed3"], units);
        Raccoon.Research.Experiments.ExperimentContext At(string dir) => new(quick, 4, 2, Repo.TempDir(dir));
        var whole = Raccoon.Research.Experiments.ExperimentRunner.Run(experiment, At("v2-units-whole"), reuse: false);

        var context = At("v2-units-alone") with { KeepTraining = true };
        // Every unit but one trained alone, in reverse order (each unit depends on nothing but the run's seed); the experiment
        // then resumes those finished and trains the last itself.
        var written = new Dictionary<string, (DateTime, long)>();
        foreach (var unit in units.Skip(1).Reverse())
        {
            var done = Raccoon.Research.Experiments.ExperimentRunner.TrainUnit(experiment, context, unit);
            Assert.True(File.Exists(done.File), done.File);
            Assert.Equal(unit, done.Unit);
            written[done.File] = FileStamps.Of(done.File);
        }
        var assembled = Raccoon.Research.Experiments.ExperimentRunner.Run(experiment, context, reuse: true);
        // The run resumed those units at their end and trained none of them again: their files were not written again.
        FileStamps.AssertUnchanged(written);
        foreach (var (a, b) in whole.Measurements.Zip(assembled.Measurements))
        {
            Assert.Equal(a.ClaimId, b.ClaimId);
            Assert.Equal((a.Figures ?? []).Select(f => (f.Name, f.Value)), (b.Figures ?? []).Select(f => (f.Name, f.Value)));
            Assert.Equal((a.Traces ?? []).SelectMany(t => t.Values), (b.Traces ?? []).SelectMany(t => t.Values));
            Assert.Equal((a.Traces ?? []).SelectMany(t => t.Steps), (b.Traces ?? []).SelectMany(t => t.Steps));
        }
        // The held-out ELBOs (before, after) of every Lorenz run and the grouped-vs-diagonal table are the same, digit for digit.
        static IEnumerable<string> Computed(Raccoon.Research.Experiments.StoredResult r, string table, params int[] columns) =>
            r.Tables.Single(t => t.Key == table).Rows.SelectMany(row => columns.Select(c => row[c]));
        Assert.Equal(Computed(whole, "lorenz-elbo", 0, 1, 2, 3), Computed(assembled, "lorenz-elbo", 0, 1, 2, 3));
        Assert.Equal(Computed(whole, "grouped-vs-diagonal", 0, 1, 2, 3), Computed(assembled, "grouped-vs-diagonal", 0, 1, 2, 3));

        // A unit the experiment does not have, and an experiment that runs as one unit, are errors that say so.
        var unknown = Assert.Throws<ArgumentException>(() => Raccoon.Research.Experiments.ExperimentRunner.TrainUnit(experiment, context, "lorenz-upstream.training-seed9"));
        Assert.Contains("no training unit 'lorenz-upstream.training-seed9' at quick; its units: lorenz-upstream.training-seed1", unknown.Message);
        var whole1 = Raccoon.Research.Experiments.ExperimentRegistry.Get("path-flow-scaling");
        Assert.Contains("runs as one unit", Assert.Throws<ArgumentException>(() => Raccoon.Research.Experiments.ExperimentRunner.TrainUnit(whole1, context, "x")).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_run_stopped_and_resumed_from_its_file_gives_the_uninterrupted_curves_and_weights(bool factorised)
    {
        using var scope = NewDisposeScope();
        var data = Data(factorised);
        var reference = Make(factorised, 1);
        var expected = Train(reference, data);
        Assert.Equal(new[] { 0, 3, 6, 9, 12 }, expected.EvaluatedAt);
        Assert.Equal(new[] { 1, 2, 4, 6, 8, 10, 12 }, expected.Steps);

        var resume = new ResumeFile(Path.Combine(Repo.TempDir(factorised ? "v2-resume-factorised" : "v2-resume"), "run.ckpt"), EverySteps: 4, EverySeconds: 1e6);
        // Stopped after steps 6 and 11 (last saves at 4 and 8: between evaluations and records), each time started again
        // from a model initialised with another seed.
        foreach (var (stop, seed) in new[] { (6, 1), (11, 50) })
        {
            var model = Make(factorised, seed);
            Assert.Throws<OperationCanceledException>(() => Train(model, data, resume, s => { if (s == stop) throw new OperationCanceledException(); }));
        }
        var resumed = Make(factorised, 99);
        var actual = Train(resumed, data, resume);
        Assert.Equal(expected.Steps, actual.Steps);
        Assert.Equal(expected.TrainElbo, actual.TrainElbo);
        Assert.Equal(expected.EvaluatedAt, actual.EvaluatedAt);
        Assert.Equal(expected.HeldOut, actual.HeldOut);
        Params.AssertEqual(Params.Of(reference), Params.Of(resumed));

        // A finished file gives the finished run again without training; a file from other settings is refused by name.
        var again = Make(factorised, 7);
        Assert.Equal(expected.HeldOut, Train(again, data, resume).HeldOut);
        Params.AssertEqual(Params.Of(reference), Params.Of(again));
        var other = Assert.Throws<InvalidDataException>(() => Train(Make(factorised, 1), data, resume, steps: Steps + 1));
        Assert.Contains(resume.Path, other.Message);
        Assert.Contains("another training phase", other.Message);
    }

    [Fact]
    public void A_run_with_a_stop_ends_at_the_first_recorded_step_where_it_holds_with_its_curves_ending_there()
    {
        using var scope = NewDisposeScope();
        var data = Data(false);
        var capped = PathFlowTraining.Train((PathFlowModel)Make(false, 1), data.Train, data.Held, 12, seed: 5, recordEvery: 2, evaluateEvery: 4, heldOutDraws: 2);
        Assert.Equal("cap of 12 steps", capped.StoppedBecause(12));
        // Stop once three training-ELBO points are recorded (steps 1, 2, 4): the run is the capped run's first four steps.
        var stopped = PathFlowTraining.Train((PathFlowModel)Make(false, 1), data.Train, data.Held, 12, seed: 5, recordEvery: 2, evaluateEvery: 4, heldOutDraws: 2,
            stopWhen: c => c.Steps.Count >= 3);
        Assert.True(stopped.StoppedAtPlateau);
        Assert.Equal(new[] { 1, 2, 4 }, stopped.Steps);
        Assert.Equal(capped.TrainElbo.Take(3), stopped.TrainElbo);
        Assert.Equal(new[] { 0, 4 }, stopped.EvaluatedAt);
        Assert.Equal(capped.HeldOut.Take(2), stopped.HeldOut);
        Assert.Equal("plateau at step 4", stopped.StoppedBecause(12));
        // Between evaluations, a stop still ends the held-out curve with an evaluation at the stopping step.
        var odd = PathFlowTraining.Train((PathFlowModel)Make(false, 1), data.Train, data.Held, 12, seed: 5, recordEvery: 2, evaluateEvery: 4, heldOutDraws: 2,
            stopWhen: c => c.Steps.Count >= 4);
        Assert.Equal(new[] { 0, 4, 6 }, odd.EvaluatedAt);
        Assert.Equal(6, odd.Steps[^1]);
    }

    [Fact]
    public void Held_out_elbo_is_taken_before_training_at_every_evaluation_and_after_the_last_step()
    {
        using var scope = NewDisposeScope();
        var data = Data(false);
        var model = (PathFlowModel)Make(false, 1);
        double before = PathFlowTraining.HeldOutElbo(model, data.Held, draws: 2);
        var curve = PathFlowTraining.Train(model, data.Train, data.Held, 5, seed: 5, evaluateEvery: null, heldOutDraws: 2);
        Assert.Equal(new[] { 0, 5 }, curve.EvaluatedAt);
        Assert.Equal(before, curve.HeldOutBefore);
        Assert.Equal(PathFlowTraining.HeldOutElbo(model, data.Held, draws: 2), curve.HeldOutAfter);
        Assert.Contains("every step", Assert.Throws<ArgumentException>(() =>
            PathFlowTraining.Train(model, data.Train, data.Held, 5, seed: 5, evaluateEvery: 0)).Message);
    }
}
