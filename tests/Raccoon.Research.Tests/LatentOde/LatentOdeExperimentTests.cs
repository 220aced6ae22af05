using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Experiments;
using Raccoon.Research.Experiments.LatentOde;
using Raccoon.Research.Ledger;
using Raccoon.Research.Models.LatentOde;
using Raccoon.Research.Tests.Support;
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
        var trace = LatentOdeTraining.Train(m, () => { using var t = task.Batch(16); return m.Loss(t, from: 2); }, 40);
        Assert.Equal(40, trace.Losses.Count);
        Assert.False(trace.NonFinite);
        Assert.False(trace.Diverged);
        Assert.True(trace.Losses[^1] < trace.Losses[0]);
        Assert.True(double.IsFinite(trace.GradientNormVariation));
        Assert.Equal(0.0005, LatentOdeTraining.EppsPulleyWeight(0), 12);
        Assert.Equal(0.05, LatentOdeTraining.EppsPulleyWeight(20_000), 12);
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
