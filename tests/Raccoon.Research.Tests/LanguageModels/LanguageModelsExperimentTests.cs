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
    public void A_run_stopped_and_resumed_from_its_file_gives_the_uninterrupted_curves_and_weights()
    {
        var corpus = new TextCorpus(TemplateCorpus.Generate(120, seed: 3));
        var config = new LanguageModelConfig(corpus.Vocabulary.Size, MaxLength: 32, ModelDim: 32, HiddenDim: 64, Layers: 1);
        var options = new TrainingOptions(Steps: 40, BatchSize: 8, LearningRate: 3e-3, LogEvery: 5, EvaluateOn: 12);
        manual_seed(1);
        using var reference = new HyperMixerLanguageModel(config);
        var expected = LanguageModelTrainer.Train(reference, corpus, options);

        var dir = Repo.TempDir("h4-resume");
        var resumable = options with { Resume = new Raccoon.Research.Training.ResumeFile(System.IO.Path.Combine(dir, "run.ckpt"), EverySteps: 7) };
        // Stopped at steps 12 and 26 (last saves at 7 and 21: mid-pass), each time started again from a model initialised with another seed.
        foreach (var (stop, seed) in new[] { (12, 1), (26, 50) })
        {
            manual_seed(seed);
            using var model = new HyperMixerLanguageModel(config);
            using var cancel = new CancellationTokenSource();
            Assert.Throws<OperationCanceledException>(() =>
                LanguageModelTrainer.Train(model, corpus, resumable, (step, _) => { if (step >= stop - 2) cancel.Cancel(); }, cancel.Token));
        }
        manual_seed(99);
        using var resumed = new HyperMixerLanguageModel(config);
        var actual = LanguageModelTrainer.Train(resumed, corpus, resumable);
        Assert.Equal(expected.Curve, actual.Curve);
        Assert.Equal(expected.HeldOutCurve, actual.HeldOutCurve);
        Assert.Equal(expected.HeldOut, actual.HeldOut);
        Params.AssertEqual(Params.Of(reference), Params.Of(resumed));
    }
}
