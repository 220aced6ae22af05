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
    public void A_run_with_a_plateau_stop_ends_at_the_first_epoch_where_the_rule_holds()
    {
        var data = GlyphDataset.Build(new GlyphDatasetOptions(Classes: 4, TrainPerFont: 1, HeldOutPerFont: 1, HeldOutFontRenderings: 1, Seed: 2, KMeansIterations: 3));
        var always = new Raccoon.Research.Ledger.PlateauStop([new Raccoon.Research.Ledger.ConvergenceRule(Window: 1, MaxChange: 1e9, MinEvaluations: 2)]);
        GlyphTrainingRun Run(Raccoon.Research.Ledger.PlateauStop? stop, int? minEpochs = null)
        {
            manual_seed(1);
            using var model = new GlyphCnnClassifier(GlyphCnnConfig.Tiny(4));
            return GlyphCnnTrainer.Train(model, data.Train, data.HeldOutRenderings,
                GlyphTrainingOptions.ForVariant(model.Config, epochs: 4, batchSize: 8, seed: 1) with { LearningRate = 3e-3, StopAt = stop, MinEpochs = minEpochs });
        }
        var capped = Run(null);
        Assert.Equal("cap of 4 epochs", capped.HeldOutTrace("x", 4).StoppedBecause);
        var stopped = Run(always);
        Assert.True(stopped.StoppedAtPlateau);
        Assert.Equal(capped.Epochs.Take(2).Select(e => (e.Epoch, e.TrainLoss, e.HeldOutTop1)), stopped.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.HeldOutTop1)));
        Assert.Equal("plateau at epoch 2", stopped.HeldOutTrace("x", 4).StoppedBecause);
        // With a floor (upstream's fixed schedule) the same rule may end training only from epoch 3 on; at the cap it never cuts.
        var floored = Run(always, minEpochs: 3);
        Assert.Equal("plateau at epoch 3", floored.HeldOutTrace("x", 4).StoppedBecause);
        Assert.Equal(capped.Epochs.Take(3).Select(e => (e.Epoch, e.TrainLoss, e.HeldOutTop1)), floored.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.HeldOutTop1)));
        var whole = Run(always, minEpochs: 4);
        Assert.Equal(4, whole.Epochs.Count);
        Assert.Equal(capped.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.HeldOutTop1)), whole.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.HeldOutTop1)));
    }

    [Fact]
    public void TrainingExperimentJudgesAndTracesTheHeldOutFaces()
    {
        var result = new GlyphCnnTrainingExperiment().Run(new ExperimentContext(Profile.Quick, 1, 2, Repo.TempDir("g3-training")));
        var accuracy = result.Table("accuracy");
        int faces = accuracy.Columns.ToList().IndexOf("held-out faces top-1"), renderings = accuracy.Columns.ToList().IndexOf("held-out renderings top-1");
        Assert.True(faces > 0 && renderings > faces, "the judged split's column comes first, the other beside it");
        var row = accuracy.Rows.ToDictionary(r => r[0]);
        Assert.Equal(["Full", "Light", "Tiny", "Tiny distilled"], row.Keys);
        string F(double x) => x.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

        // G3-04's figure is Full's top-1 on the held-out faces; the held-out renderings' is a figure beside it.
        var g304 = result.Measurements.Single(m => m.ClaimId == "G3-04");
        Assert.Equal(row["Full"][faces], F(g304.Value!.Value));
        Assert.Equal(row["Full"][faces], F(g304.Figures!.Single(q => q.Name == "fullTop1HeldOutFaces").Value));
        Assert.Equal(row["Full"][renderings], F(g304.Figures!.Single(q => q.Name == "fullTop1HeldOutRenderings").Value));
        // Every trace the plateau test reads is top-1 on the held-out faces by epoch: its last value is the trained model's.
        Assert.Equal(["Full seed 1", "Light seed 1", "Tiny seed 1"], g304.Traces!.Select(t => t.Name));
        foreach (var t in g304.Traces!)
        {
            Assert.Equal("held-out faces top-1 (%)", t.Metric);
            Assert.Equal([1.0, 2.0], t.Steps);
            Assert.Equal(row[t.Name.Replace(" seed 1", "")][faces], F(t.Values[^1]));
        }
        // G3-07: Tiny's gap to Full and what distillation recovers, on the held-out faces.
        var g307 = result.Measurements.Single(m => m.ClaimId == "G3-07");
        Assert.Equal(["Full seed 1", "Tiny seed 1", "Tiny distilled seed 1"], g307.Traces!.Select(t => t.Name));
        Assert.Equal(row["Tiny distilled"][faces], F(g307.Traces![2].Values[^1]));
        double gap = g307.Figures!.Single(q => q.Name == "tinyGapPoints").Value;
        Assert.Equal(double.Parse(row["Full"][faces], System.Globalization.CultureInfo.InvariantCulture) - double.Parse(row["Tiny"][faces], System.Globalization.CultureInfo.InvariantCulture), gap, 0.11);
        // The data table says which split is judged and the sizes of every profile.
        var data = result.Table("data").Rows.ToDictionary(r => r[0], r => r[1]);
        Assert.Contains("the split G3-04 and G3-07 are judged on", data["splits"]);
        Assert.Equal(GlyphCnnTrainingExperiment.DataOptions(Profile.Standard, 1).Describe(), data["sizes at profile standard"]);
        Assert.Equal("DejaVuSansMono-Bold, DejaVuSansCondensed-Oblique, DejaVuSerif-Italic", data["held-out faces"]);

        // The same run from its training units, each trained alone (reproduce --unit), in reverse order: Full's unit trains the
        // Tiny distilled from it too. The run then resumes every file at its end, writes none again, and gives the same figures.
        var experiment = new GlyphCnnTrainingExperiment();
        Assert.Equal(["Full.training-seed1", "Light.training-seed1", "Tiny.training-seed1"], experiment.TrainingUnits(Profile.Quick));
        // No plateau tests, as the whole run above had (ExperimentRunner.TrainUnit gives a context without any its claims' tests).
        var context = new ExperimentContext(Profile.Quick, 1, 2, Repo.TempDir("g3-training-units"), Plateaus: new Dictionary<string, ConvergenceRule>());
        foreach (var unit in experiment.TrainingUnits(Profile.Quick).Reverse())
            ExperimentRunner.TrainUnit(experiment, context, unit);
        string folder = ExperimentContext.TrainingDirectory(context.TrainingFolder, experiment.Name);
        var written = FileStamps.In(folder);
        Assert.Equal(["Full.training-seed1", "Light.training-seed1", "Tiny-distilled.training-seed1", "Tiny.training-seed1"],
            written.Keys.Select(Path.GetFileName).Select(f => f![..f.IndexOf(".quick", StringComparison.Ordinal)]).Order(StringComparer.Ordinal));
        var assembled = experiment.Run(context);
        Assert.Equal(written.Keys.Order(), Directory.GetFiles(folder).Order());
        FileStamps.AssertUnchanged(written);
        foreach (var (a, b) in result.Measurements.Where(m => m.ClaimId != "G3-06").Zip(assembled.Measurements.Where(m => m.ClaimId != "G3-06")))
        {
            Assert.Equal(a.ClaimId, b.ClaimId);
            Assert.Equal((a.Figures ?? []).Select(q => (q.Name, q.Value)), (b.Figures ?? []).Select(q => (q.Name, q.Value)));
            Assert.Equal((a.Traces ?? []).SelectMany(t => t.Values), (b.Traces ?? []).SelectMany(t => t.Values));
        }
        var again = assembled.Table("accuracy").Rows;
        Assert.Equal(accuracy.Rows.Select(r => r.Take(7)), again.Select(r => r.Take(7))); // all but the throughput and seconds
        var unknown = Assert.Throws<ArgumentException>(() => ExperimentRunner.TrainUnit(experiment, context, "Tiny-distilled.training-seed1"));
        Assert.Contains("no training unit 'Tiny-distilled.training-seed1' at quick; its units: Full.training-seed1, Light.training-seed1, Tiny.training-seed1", unknown.Message);
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
