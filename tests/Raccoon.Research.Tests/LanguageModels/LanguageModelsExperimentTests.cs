using Raccoon.Research.Data.Text;
using Raccoon.Research.Experiments;
using Raccoon.Research.Experiments.LanguageModels;
using Raccoon.Research.Ledger;
using Raccoon.Research.Models.LanguageModels;
using Raccoon.Research.Tests.Support;
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
}
