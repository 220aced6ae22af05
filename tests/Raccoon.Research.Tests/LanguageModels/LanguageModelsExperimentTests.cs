using Raccoon.Research.Data.Text;
using Raccoon.Research.Experiments;
using Raccoon.Research.Experiments.LanguageModels;
using Raccoon.Research.Ledger;
using Raccoon.Research.Models.LanguageModels;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Tests.Training;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.LanguageModels;

public class LanguageModelsExperimentTests : IClassFixture<TorchFixture>
{
    [Fact]
    public void ParametersExperimentReportsTheExactCountsAndStacks()
    {
        var result = new LanguageModelsParametersExperiment().Run(new ExperimentContext(Profile.Quick, 1, 2, Repo.TempDir("h4")));
        var h401 = result.Measurements.Single(m => m.ClaimId == "H4-01");
        Assert.Equal(493_973, h401.Value);
        Assert.Contains("1,386,917", h401.Measured);
        Assert.Contains("1.98 MB", h401.Measured);
        Assert.Equal(Verdict.Holds, Judged.Verdict(result.Measurements.Single(m => m.ClaimId == "H4-02")));
    }

    [Fact]
    public void TrainingLowersTheLossAndTheLeakShowsInTheUpstreamHyperMixer()
    {
        var corpus = new TextCorpus(TemplateCorpus.Generate(120, seed: 3));
        var config = new LanguageModelConfig(corpus.Vocabulary.Size, MaxLength: 32, ModelDim: 32, HiddenDim: 64, Layers: 1);
        var options = new TrainingOptions(Steps: 30, BatchSize: 8, LearningRate: 3e-3, LogEvery: 5, EvaluateOn: 12);
        manual_seed(1);
        using var upstream = new HyperMixerLanguageModel(config);
        var run = LanguageModelTrainer.Train(upstream, corpus, options);
        Assert.True(run.Curve[^1].Loss < run.Curve[0].Loss, "training loss falls");
        Assert.True(run.HeldOut.Generation > run.HeldOut.TeacherForced, "reading the future makes teacher forcing look better than generation");
        manual_seed(1);
        using var causal = new HyperMixerLanguageModel(config, HyperMixerVariant.Causal);
        var causalRun = LanguageModelTrainer.Train(causal, corpus, options);
        Assert.Equal(causalRun.HeldOut.TeacherForced, causalRun.HeldOut.Generation, 3);
        Assert.Throws<ArgumentException>(() => LanguageModelTrainer.Train(new TransformerLanguageModel(config with { VocabularySize = 5 }), corpus, options));
    }

    [Fact]
    public void A_training_unit_trained_alone_is_what_the_run_trains_in_sequence()
    {
        var experiment = new LanguageModelsTrainingExperiment();
        var units = experiment.TrainingUnits(Profile.Quick);
        Assert.Equal(["Transformer.training-seed1", "HyperMixer.training-seed1", "CausalHyperMixer.training-seed1",
            "cut-hypernetwork-hidden8.training", "cut-mixing-width32.training", "cut-shared-hypernetwork.training"], units);
        // Run trains each unit through TrainModel, as TrainUnit does. An architecture's run and a cut trained alone, by name,
        // in reverse order; the same two trained as Run trains them, in order, in another folder: the same curves and weights.
        var plateaus = PlateauStop.Of(experiment.Claims.Select(ClaimCatalog.Get));
        var alone = new ExperimentContext(Profile.Quick, 1, 2, Repo.TempDir("h4-units-alone"), Plateaus: plateaus);
        var inRun = alone with { OutDir = Repo.TempDir("h4-units-in-run") };
        string[] picked = ["Transformer.training-seed1", "cut-mixing-width32.training"];
        foreach (var unit in picked.Reverse()) ExperimentRunner.TrainUnit(experiment, alone, unit);
        string folder = ExperimentContext.TrainingDirectory(alone.TrainingFolder, experiment.Name);
        var written = FileStamps.In(folder);
        Assert.Equal(2, written.Count);
        foreach (var unit in picked)
        {
            var (model, run) = experiment.TrainModel(inRun, unit);
            var (stored, storedRun) = experiment.TrainModel(alone, unit); // its file holds its end: nothing is trained
            Assert.Equal(run.Curve, storedRun.Curve);
            Assert.Equal(run.HeldOutCurve, storedRun.HeldOutCurve);
            Assert.Equal(run.HeldOut, storedRun.HeldOut);
            Assert.Equal(run.StoppedBecause, storedRun.StoppedBecause);
            Params.AssertEqual(Params.Of(model), Params.Of(stored));
            model.Dispose(); stored.Dispose();
        }
        FileStamps.AssertUnchanged(written);
        var unknown = Assert.Throws<ArgumentException>(() => ExperimentRunner.TrainUnit(experiment, alone, "Transformer.training-seed2"));
        Assert.Contains("no training unit 'Transformer.training-seed2' at quick; its units: Transformer.training-seed1", unknown.Message);
    }

    static readonly TextCorpus SmallCorpus = new(TemplateCorpus.Generate(120, seed: 3));
    static readonly LanguageModelConfig SmallConfig = new(SmallCorpus.Vocabulary.Size, MaxLength: 32, ModelDim: 32, HiddenDim: 64, Layers: 1);

    /// <summary>
    /// Trains once without interruption from seed 1, then again with a resume file saved every
    /// <paramref name="everySteps"/> steps, cancelled in each of <paramref name="sittings"/> (at its step, from a model
    /// initialised with its seed), and finished from seed 99: the curves, the held-out figures, why it stopped and the
    /// weights must equal the uninterrupted run's. Returns the uninterrupted run.
    /// </summary>
    static TrainingRun AssertResumedEqualsUninterrupted(TrainingOptions options, int everySteps, params (int Stop, int Seed)[] sittings)
    {
        manual_seed(1);
        using var reference = new HyperMixerLanguageModel(SmallConfig);
        var expected = LanguageModelTrainer.Train(reference, SmallCorpus, options);

        var dir = Repo.TempDir("h4-resume");
        var resumable = options with { Resume = new Raccoon.Research.Training.ResumeFile(System.IO.Path.Combine(dir, "run.ckpt"), EverySteps: everySteps) };
        foreach (var (stop, seed) in sittings)
        {
            manual_seed(seed);
            using var model = new HyperMixerLanguageModel(SmallConfig);
            using var cancel = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() =>
                LanguageModelTrainer.Train(model, SmallCorpus, resumable, (step, _) => { if (step >= stop) cancel.Cancel(); }, cancel.Token));
        }
        manual_seed(99);
        using var resumed = new HyperMixerLanguageModel(SmallConfig);
        var actual = LanguageModelTrainer.Train(resumed, SmallCorpus, resumable);
        Assert.Equal(expected.Curve, actual.Curve);
        Assert.Equal(expected.HeldOutCurve, actual.HeldOutCurve);
        Assert.Equal(expected.HeldOut, actual.HeldOut);
        Assert.Equal(expected.StoppedBecause, actual.StoppedBecause);
        Params.AssertEqual(Params.Of(reference), Params.Of(resumed));
        return expected;
    }

    [Fact]
    public void A_run_stopped_and_resumed_from_its_file_gives_the_uninterrupted_curves_and_weights()
    {
        var options = new TrainingOptions(Steps: 40, BatchSize: 8, LearningRate: 3e-3, LogEvery: 5, EvaluateOn: 12);
        // Stopped at steps 10 and 24 (last saves at 7 and 21: mid-pass), the first sitting from another seed than the reference.
        AssertResumedEqualsUninterrupted(options, everySteps: 7, (10, 1), (24, 50));
    }

    [Fact]
    public void A_run_with_a_plateau_stop_ends_at_the_first_evaluation_where_the_rule_holds_and_resumes_to_the_same_run()
    {
        var options = new TrainingOptions(Steps: 40, BatchSize: 8, LearningRate: 3e-3, LogEvery: 5, EvaluateOn: 12, EvaluateEvery: 5);
        manual_seed(1);
        using (var capped = new HyperMixerLanguageModel(SmallConfig))
        {
            var run = LanguageModelTrainer.Train(capped, SmallCorpus, options);
            Assert.Equal(8, run.HeldOutCurve!.Count);
            Assert.Equal("cap of 40 steps", run.StoppedBecause);
        }
        // A rule that holds on any trace: the run stops at its third evaluation (step 15), never before its minimum,
        // and a run of it cancelled at step 10 resumes to the same stop.
        var stop = new PlateauStop([new ConvergenceRule(Window: 1, MaxChange: 1e9, MinEvaluations: 3)]);
        var expected = AssertResumedEqualsUninterrupted(options with { StopAt = stop }, everySteps: 4, (10, 1));
        Assert.Equal([5, 10, 15], expected.HeldOutCurve!.Select(p => p.Step));
        Assert.Equal(15, expected.Curve[^1].Step);
        Assert.Equal("plateau at step 15", expected.StoppedBecause);
    }

    [Fact]
    public void The_reference_sizes_evaluate_often_enough_for_the_plateau_test_to_pass_before_the_cap()
    {
        var needed = new PlateauStop([.. new[] { "H4-07", "H4-08", "R0-08", "R0-09", "R0-12", "R0-13" }.Select(id => ClaimCatalog.Get(id).Rule.Convergence!)]).Needed;
        var lm = LanguageModelsTrainingExperiment.Profiles.For(Profile.Reference);
        Assert.True(lm.Steps / lm.EvaluateEvery!.Value >= needed, $"{lm.Steps} steps evaluated every {lm.EvaluateEvery} give fewer than {needed} evaluations");
        var log = Raccoon.Research.Experiments.LogClassifiers.LogClassifiersTrainingExperiment.Profiles.For(Profile.Reference);
        Assert.True(log.MaxEpochs >= needed);
        // Reference starts from standard's data and models (only the cap and the evaluations differ).
        var lmStandard = LanguageModelsTrainingExperiment.Profiles.For(Profile.Standard);
        Assert.Equal((lmStandard.Seeds, lmStandard.EvaluateOn), (lm.Seeds, lm.EvaluateOn));
        var logStandard = Raccoon.Research.Experiments.LogClassifiers.LogClassifiersTrainingExperiment.Profiles.For(Profile.Standard);
        Assert.Equal((logStandard.Train, logStandard.Validation, logStandard.Test, logStandard.Seeds), (log.Train, log.Validation, log.Test, log.Seeds));
        // 003's glyph CNNs: standard's data, models, batch and seed, upstream's whole 40-epoch schedule, which the plateau
        // test may not cut (a model at chance gives a flat trace); one evaluation per epoch, enough for the test.
        var glyphNeeded = new PlateauStop([.. new[] { "G3-04", "G3-07" }.Select(id => ClaimCatalog.Get(id).Rule.Convergence!)]).Needed;
        var glyph = Raccoon.Research.Experiments.GlyphCnn.GlyphCnnTrainingExperiment.Profiles;
        Assert.Equal(new Raccoon.Research.Experiments.GlyphCnn.GlyphCnnTrainingExperiment.Sizes(40, glyph.Standard.Batch, glyph.Standard.Seeds, PlateauFrom: 40),
            glyph.For(Profile.Reference));
        Assert.True(glyph.For(Profile.Reference).Epochs >= glyphNeeded);
        Assert.Equal(Raccoon.Research.Experiments.GlyphCnn.GlyphCnnTrainingExperiment.DataOptions(Profile.Standard, 1),
            Raccoon.Research.Experiments.GlyphCnn.GlyphCnnTrainingExperiment.DataOptions(Profile.Reference, 1));
        // 002's V2-10: the factorised models trained to their plateau, evaluated often enough; the other sections at standard.
        var scaling = Raccoon.Research.Experiments.PathFlow.PathFlowScalingExperiment.Profiles;
        var factorised = scaling.For(Profile.Reference).Factorised;
        Assert.True(factorised.Steps / factorised.EvaluateEvery >= new PlateauStop([ClaimCatalog.Get("V2-10").Rule.Convergence!]).Needed);
        static string Json(object o) => System.Text.Json.JsonSerializer.Serialize(o); // the records hold arrays: compare their values
        Assert.Equal(Json(scaling.Standard with { Factorised = factorised }), Json(scaling.For(Profile.Reference)));
        Assert.Equal((scaling.Standard.Factorised.Paths, scaling.Standard.Factorised.TimingRepeats), (factorised.Paths, factorised.TimingRepeats));
        // An experiment without reference sizes runs its standard ones there.
        Assert.Equal(Raccoon.Research.Experiments.LogClassifiers.LogClassifiersSpeedExperiment.Profiles.Standard,
            Raccoon.Research.Experiments.LogClassifiers.LogClassifiersSpeedExperiment.Profiles.For(Profile.Reference));
    }
}
