using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Experiments;
using Raccoon.Research.Experiments.LatentOde;
using Raccoon.Research.Ledger;
using Raccoon.Research.Models.LatentOde;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Tests.Training;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.LatentOde;

public class LatentOdeExperimentTests : IClassFixture<TorchFixture>
{
    [Fact]
    public void StructureExperimentConfirmsTheStructureAndFindsThePreNormBlock()
    {
        var experiment = new LatentOdeStructureExperiment();
        var result = experiment.Run(new ExperimentContext(Profile.Quick, 1, 2, Repo.TempDir("t1")));
        ExperimentRunner.Validate(experiment, result, Profile.Quick);
        Assert.Equal(Verdict.Holds, Judged.Verdict(result.Measurements.Single(m => m.ClaimId == "T1-01")));
        var t102 = result.Measurements.Single(m => m.ClaimId == "T1-02");
        Assert.Equal(Verdict.Fails, Judged.Verdict(t102));
        Assert.Contains("pre-norm", t102.Measured);
        Assert.True(t102.Figures!.Single(f => f.Name == "preNormDistance").Value < 1e-5);
        Assert.Contains("637,278", result.Table("parameters").Rows[^1][1]);
    }

    [Fact]
    public void BlockStackTrainsAndTheTraceSaysSo()
    {
        manual_seed(1);
        using var m = new BlockStackLanguageModel(30, 2, new TransformerBlockConfig(32, 4, 64), PositionEncoding.Rope);
        var task = new TargetLetterTask(1, 16);
        var trace = LatentOdeTraining.Train(m, _ => { using var t = task.Batch(16); return m.Loss(t, from: 2); }, 40);
        Assert.Equal(40, trace.Losses.Count);
        Assert.False(trace.NonFinite);
        Assert.True(trace.Losses[^1] < trace.Losses[0]);
        Assert.True(double.IsFinite(trace.GradientNormVariation));
        Assert.Equal(0.0005, LatentOdeTraining.EppsPulleyWeight(0), 12);
        Assert.Equal(0.05, LatentOdeTraining.EppsPulleyWeight(20_000), 12);
    }

    [Fact]
    public void Training_without_a_clip_takes_the_whole_gradient_step()
    {
        // T1-10 trains as upstream's train_ode does, without clipping: the first step sees the same gradient either way,
        // and where its norm exceeds 1 the unclipped update moves the weights further, so the second loss differs.
        TrainingTrace Run(double? clip)
        {
            manual_seed(3);
            using var m = new BlockStackLanguageModel(30, 2, new TransformerBlockConfig(32, 4, 64, Norm: NormOrder.Post), PositionEncoding.Sinusoidal);
            var task = new TargetLetterTask(3, 16);
            return LatentOdeTraining.Train(m, _ => { using var t = task.Batch(8); return m.Loss(t, from: 2); }, 2, lr: 1e-2, clip: clip);
        }
        var clipped = Run(1.0);
        var free = Run(null);
        Assert.Equal(clipped.Losses[0], free.Losses[0]);
        Assert.Equal(clipped.GradientNorms[0], free.GradientNorms[0]);
        Assert.True(free.GradientNorms[0] > 1, $"the first gradient norm {free.GradientNorms[0]} must exceed the clip for this test to mean anything");
        Assert.NotEqual(clipped.Losses[1], free.Losses[1]);
        manual_seed(3);
        using var model = new BlockStackLanguageModel(30, 1, new TransformerBlockConfig(32, 4, 64), PositionEncoding.Sinusoidal);
        Assert.Contains("clip", Assert.Throws<ArgumentException>(() => LatentOdeTraining.Train(model, _ => model.Loss(new TargetLetterTask(1, 16).Batch(2)), 1, clip: 0)).Message);
    }

    [Fact]
    public void A_run_stopped_and_resumed_from_its_file_gives_the_uninterrupted_trace_and_weights()
    {
        var config = new TransformerBlockConfig(32, 4, 64);
        manual_seed(1);
        using var reference = new BlockStackLanguageModel(30, 2, config, PositionEncoding.Rope);
        var referenceTask = new TargetLetterTask(1, 16);
        var expected = LatentOdeTraining.Train(reference, s => { using var t = referenceTask.Batch(8); return reference.Loss(t, from: 2) * (1 + 0.01 * s); }, 30);

        var resume = new Raccoon.Research.Training.ResumeFile(Path.Combine(Repo.TempDir("t1-resume"), "run.ckpt"), EverySteps: 4);
        Assert.Throws<ArgumentException>(() => LatentOdeTraining.Train(reference, _ => reference.Loss(referenceTask.Batch(8), from: 2), 30, resume: resume));
        // Stopped at steps 10 and 23 (last saves at 8 and 20), each time started again from a model initialised with another seed and a new task.
        foreach (var (stop, seed) in new[] { (10, 1), (23, 50) })
        {
            manual_seed(seed);
            using var model = new BlockStackLanguageModel(30, 2, config, PositionEncoding.Rope);
            var task = new TargetLetterTask(1, 16);
            using var cancel = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() => LatentOdeTraining.Train(model, s =>
            {
                if (s + 1 >= stop) cancel.Cancel();
                using var t = task.Batch(8);
                return model.Loss(t, from: 2) * (1 + 0.01 * s);
            }, 30, cancel: cancel.Token, resume: resume, fastForward: k => task.Skip(k, 8)));
        }
        manual_seed(99);
        using var resumed = new BlockStackLanguageModel(30, 2, config, PositionEncoding.Rope);
        var resumedTask = new TargetLetterTask(1, 16);
        var actual = LatentOdeTraining.Train(resumed, s => { using var t = resumedTask.Batch(8); return resumed.Loss(t, from: 2) * (1 + 0.01 * s); }, 30,
            resume: resume, fastForward: k => resumedTask.Skip(k, 8));
        Assert.Equal(expected.Losses, actual.Losses);
        Assert.Equal(expected.GradientNorms, actual.GradientNorms);
        Params.AssertEqual(Params.Of(reference), Params.Of(resumed));
    }

    [Fact]
    public void EveryT1ClaimIsAnsweredByOneRegisteredExperiment()
    {
        var t1 = ClaimCatalog.All.Where(c => c.Prefix == "T1").Select(c => c.Id).ToList();
        Assert.Equal(12, t1.Count);
        var answered = ExperimentRegistry.All.Where(e => e.Name.StartsWith("latent-ode-")).SelectMany(e => e.Claims).ToList();
        Assert.Equal(t1.Order(), answered.Order());
    }
}
