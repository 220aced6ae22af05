using Raccoon.Research.Data.Glyphs;
using Raccoon.Research.Experiments;
using Raccoon.Research.Experiments.GlyphCnn;
using Raccoon.Research.Ledger;
using Raccoon.Research.Models.GlyphCnn;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Training;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.GlyphCnn;

public class GlyphCnnTrainingTests : IClassFixture<TorchFixture>
{
    [Fact]
    public void CheckpointRoundTripGivesTheSameLogits()
    {
        manual_seed(4);
        var config = GlyphCnnConfig.Tiny(classes: 9);
        using var model = new GlyphCnnClassifier(config);
        using (no_grad()) foreach (var (_, b) in model.named_buffers()) if (b.is_floating_point()) b.uniform_(0.5, 1.5); // non-trivial BatchNorm statistics
        var path = Path.Combine(Repo.TempDir("g3-ckpt"), "tiny.ckpt");
        Checkpoint.Save(path, model, CheckpointMeta.For(GlyphCnnClassifier.Kind, config));
        manual_seed(99);
        using var loaded = new GlyphCnnClassifier(config);
        var header = Checkpoint.Load(path, loaded, GlyphCnnClassifier.Kind);
        Assert.Equal(model.ParameterCount, header.Parameters - model.buffers().Sum(b => b.numel()));
        model.eval(); loaded.eval();
        using var grids = randint(0, 1024, [5, 16, 16], dtype: ScalarType.Int64);
        using var a = model.forward(grids);
        using var b2 = loaded.forward(grids);
        Assert.True(a.equal(b2).all().item<bool>());
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, new GlyphCnnClassifier(GlyphCnnConfig.Light(classes: 9)), GlyphCnnClassifier.Kind));
    }

    [Fact]
    public void BalancedClassesGetUnitWeightsAndRareOnesMore()
    {
        using var even = GlyphCnnTrainer.ClassWeights([0, 1, 2, 0, 1, 2], 3, 0.2);
        Assert.All(even.data<float>().ToArray(), w => Assert.Equal(1f, w, 5));
        using var skew = GlyphCnnTrainer.ClassWeights([0, 0, 0, 0, 0, 1], 3, 0.2);
        var w = skew.data<float>().ToArray();
        Assert.True(w[1] > w[0]);
        Assert.Equal(0f, w[2]); // unseen class
        Assert.Equal(1f, (w[0] + w[1]) / 2, 5); // mean 1 over seen classes
    }

    [Fact]
    public void TrainingLearnsAndDistillationRuns()
    {
        var data = GlyphDataset.Build(new GlyphDatasetOptions(Classes: 4, TrainPerFont: 1, HeldOutPerFont: 1, HeldOutFontRenderings: 1, Seed: 2, KMeansIterations: 3));
        manual_seed(1);
        using var teacher = new GlyphCnnClassifier(GlyphCnnConfig.Tiny(4));
        var o = GlyphTrainingOptions.ForVariant(teacher.Config, epochs: 4, batchSize: 16, seed: 1) with { LearningRate = 3e-3 };
        var run = GlyphCnnTrainer.Train(teacher, data.Train, data.HeldOutRenderings, o);
        Assert.Equal(4, run.Epochs.Count);
        Assert.True(run.Epochs[^1].TrainLoss < run.Epochs[0].TrainLoss, "training loss falls");
        var acc = GlyphCnnTrainer.Evaluate(teacher, data.Train);
        Assert.True(acc.Top1 > 25, $"better than chance on its training set: {acc.Top1}");
        Assert.Equal(100, acc.Top5); // 4 classes: the top 5 hold every class
        manual_seed(1);
        using var student = new GlyphCnnClassifier(GlyphCnnConfig.Tiny(4));
        var kd = GlyphCnnTrainer.Train(student, data.Train, data.HeldOutRenderings, o with { Epochs = 1, Distillation = new DistillationOptions(teacher) });
        Assert.True(double.IsFinite(kd.Epochs[0].TrainLoss));
        Assert.Throws<ArgumentException>(() => GlyphCnnTrainer.Evaluate(student, data.Train with { Grids = [], Labels = [], Fonts = [] }));
    }

    [Fact]
    public void A_run_stopped_and_resumed_from_its_file_gives_the_uninterrupted_epochs_and_weights()
    {
        var data = GlyphDataset.Build(new GlyphDatasetOptions(Classes: 4, TrainPerFont: 1, HeldOutPerFont: 1, HeldOutFontRenderings: 1, Seed: 2, KMeansIterations: 3));
        manual_seed(1);
        using var reference = new GlyphCnnClassifier(GlyphCnnConfig.Tiny(4));
        var o = GlyphTrainingOptions.ForVariant(reference.Config, epochs: 5, batchSize: 8, seed: 1) with { LearningRate = 3e-3 };
        var expected = GlyphCnnTrainer.Train(reference, data.Train, data.HeldOutRenderings, o);

        var resumable = o with { Resume = new ResumeFile(Path.Combine(Repo.TempDir("g3-resume"), "tiny.ckpt"), EverySteps: 3) };
        // Stopped after epochs 1 and 3 (the token is checked before the next batch), each time started again from a model initialised with another seed.
        foreach (var (stop, seed) in new[] { (1, 1), (3, 50) })
        {
            manual_seed(seed);
            using var model = new GlyphCnnClassifier(GlyphCnnConfig.Tiny(4));
            using var cancel = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() => GlyphCnnTrainer.Train(model, data.Train, data.HeldOutRenderings, resumable,
                (_, fraction) => { if (fraction >= stop / 5.0 - 1e-9) cancel.Cancel(); }, cancel.Token));
        }
        manual_seed(99);
        using var resumed = new GlyphCnnClassifier(GlyphCnnConfig.Tiny(4));
        var actual = GlyphCnnTrainer.Train(resumed, data.Train, data.HeldOutRenderings, resumable);
        Assert.Equal(expected.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.HeldOutTop1)), actual.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.HeldOutTop1)));
        foreach (var (name, p) in reference.state_dict())
            Assert.True(p.allclose(resumed.state_dict()[name], rtol: 0, atol: 0), $"'{name}' differs after resuming");
    }

    [Fact]
    public void StructureExperimentGivesTheExactRows()
    {
        var result = new GlyphCnnStructureExperiment().Run(new ExperimentContext(Profile.Quick, 1, 2, Repo.TempDir("g3")));
        Assert.Equal(7_198_317, result.Measurements.Single(m => m.ClaimId == "G3-01").Value);
        Assert.Equal(373_933, result.Measurements.Single(m => m.ClaimId == "G3-02").Value);
        Assert.Contains("1,400,397", result.Measurements.Single(m => m.ClaimId == "G3-01").Measured);
        double mib = result.Measurements.Single(m => m.ClaimId == "G3-05").Value!.Value;
        Assert.InRange(mib, 7_198_317 * 4 / 1048576.0, 7_198_317 * 4 / 1048576.0 + 0.2); // fp32 weights plus statistics and header
        var rows = result.Measurements.Select(m => LedgerRow.From(ClaimCatalog.Get(m.ClaimId), m, "glyph-cnn-structure", "quick", 1, DateTimeOffset.UnixEpoch)).ToList();
        Assert.Equal(Verdict.Holds, rows.Single(r => r.Id == "G3-01").Verdict);
        Assert.Equal(Verdict.Partly, rows.Single(r => r.Id == "G3-02").Verdict);
    }
}
