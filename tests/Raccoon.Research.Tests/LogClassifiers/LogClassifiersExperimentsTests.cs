using Raccoon.Research.Experiments.LogClassifiers;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Models.LogClassifiers;
using Raccoon.Research.Reporting;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Training;

namespace Raccoon.Research.Tests.Experiments;

public class LogClassifiersExperimentsTests(TorchFixture torch) : IClassFixture<TorchFixture>
{
    readonly TorchFixture _ = torch;

    [Fact]
    public void QuickReproductionOfR0FillsEveryRowWithAFigureAndAVerdict()
    {
        string dir = Repo.TempDir("r0-quick");
        var outcome = Reproduction.Run(new ReproductionOptions(["R0"], Profile.Quick, dir, Threads: 2, Seed: 1));

        Assert.True(outcome.Failures.Count == 0, string.Join("\n", outcome.Failures.Select(f => $"{f.Experiment}: {f.Error}")));
        var rows = outcome.Ledger.Where(r => r.Id.StartsWith("R0-")).ToList();
        Assert.Equal(13, rows.Count);
        foreach (var row in rows)
        {
            Assert.NotEqual(Verdict.NotRun, row.Verdict);
            Assert.False(string.IsNullOrWhiteSpace(row.Measured), row.Id);
            Assert.NotEqual("not measured", row.Measured);
            Assert.StartsWith("log-classifiers-", row.Experiment);
        }
        // Every rule-decided row carries the number its rule compared (per build where it has builds); the judged ones say why.
        // (rows decided by named conditions carry their figures instead of one number)
        foreach (var row in rows.Where(r => ClaimCatalog.Get(r.Id).Rule.Kind is not ("conditions" or "report")))
            if (row.Builds is { } builds) Assert.All(builds, b => Assert.True(b.Value is double v ? double.IsFinite(v) : b.Verdict != Verdict.NotRun, $"{row.Id} {b.Build}"));
            else Assert.True(row.MeasuredValue is double v && double.IsFinite(v), row.Id);
        // R0-01, R0-09 show a verdict per build, headed by the upstream build's
        foreach (string id in new[] { "R0-01", "R0-09" })
        {
            var row = rows.Single(r => r.Id == id);
            Assert.Equal(2, row.Builds!.Count);
            Assert.Equal(row.Builds!.Single(b => b.Upstream).Verdict, row.Verdict);
        }
        // R0-12 follows from the contradictions found (document 000 has some), not from a constant
        var contradictions = LogClassifiersTrainingExperiment.DocumentContradictions();
        var r012 = rows.Single(r => r.Id == "R0-12");
        Assert.NotEmpty(contradictions);
        Assert.Equal(Verdict.Inconsistent, r012.Verdict);
        Assert.Contains("contradicts itself", r012.Reason);
        Assert.Equal(contradictions.Count, r012.Figures!.Single(f => f.Name == "contradictions").Value);
        // quick rows of rules that need the standard profile are provisional; all rows have evidence
        Assert.All(rows, r => Assert.Equal(ClaimCatalog.Get(r.Id).Rule.MinProfile is "standard" or "full", r.Provisional));
        Assert.All(rows, r => Assert.False(string.IsNullOrWhiteSpace(r.Evidence), r.Id));
        // figures are reached by name
        Assert.NotNull(outcome.Results.Single(r => r.Experiment == "log-classifiers-training").Figure("frontier"));
        Assert.All(rows.Where(r => r.Id is "R0-12" or "R0-13"), r => Assert.False(string.IsNullOrWhiteSpace(r.Reason)));
        Assert.All(rows.Where(r => ClaimCatalog.Get(r.Id).Rule.Kind == "conditions"), r => Assert.NotEmpty(r.Figures ?? []));
        Assert.All(outcome.Results, r => Assert.NotEmpty(r.Tables));
        Assert.All(outcome.Results, r => Assert.NotEmpty(r.Figures));
        Assert.True(File.Exists(outcome.ReportPath));
    }

    [Fact]
    public void The_training_units_trained_alone_give_the_whole_runs_figures()
    {
        var experiment = new LogClassifiersTrainingExperiment();
        var units = experiment.TrainingUnits(Profile.Quick);
        Assert.Equal(["DocumentedOriginal.training-seed1", "UpstreamOriginal.training-seed1", "Alternative.training-seed1"], units);
        // Timings aside: latencies are timed again in each run, seconds per epoch are the units' own.
        var (whole, assembled) = TrainingUnitsCheck.AloneThenRun(experiment, Profile.Quick, "r0-units", "latencyRatio", "inferenceRatio", "epochRatio");
        // The builds' own numbers: R0-08's accuracy gaps, R0-09's accuracy side.
        Assert.Equal(whole.Measurements.SelectMany(m => (m.Builds ?? []).Select(x => x.Value)), assembled.Measurements.SelectMany(m => (m.Builds ?? []).Select(x => x.Value)));
        var context = new ExperimentContext(Profile.Quick, 1, 2, Repo.TempDir("r0-units-unknown"));
        var unknown = Assert.Throws<ArgumentException>(() => ExperimentRunner.TrainUnit(experiment, context, "Alternative.training-seed2"));
        Assert.Contains("no training unit 'Alternative.training-seed2' at quick; its units: DocumentedOriginal.training-seed1", unknown.Message);
    }

    [Fact]
    public void AnalyticEncoderCountsMatchHandArithmetic()
    {
        // CNN: per sample 50 x 3 x (32x32 + 32x32 + 32x16) MACs, then Linear(16 -> 32); batch 32.
        var alternative = LogClassifiersCost.Alternative(SimpleRaccoonConfig.Upstream, 32, 50);
        Assert.Equal(32L * (50 * 3 * 32 * 32 * 2 + 50 * 3 * 32 * 16 + 16 * 32), alternative["encoder"].Macs);
        // Transformer block on 1,600 rows of 64: QKV 64x192, scores and AV 2 x 32 x 4 x 50 x 50 x 16, output 64x64, FFN 2 x 64x256.
        var original = LogClassifiersCost.DocumentedOriginal(DocumentedOriginalConfig.Documented, 32, 50);
        long block = 1600L * 64 * 192 + 2L * 32 * 4 * 50 * 50 * 16 + 1600L * 64 * 64 + 2L * 1600 * 64 * 256;
        Assert.Equal(4 * block, original["encoder"].Macs);
        // 3 Euler steps of the 11-layer drift: 33x64, then 10 x 64x64, then 64x32 per row.
        Assert.Equal(3L * 32 * (33 * 64 + 10 * 64 * 64 + 64 * 32), original["dynamics"].Macs);
        // Diagonal affine flows and the OU steps have no contraction at all.
        Assert.Equal(0, alternative["flow"].Macs);
        Assert.Equal(0, alternative["dynamics"].Macs);
    }

    [Fact]
    public void DocumentContradictionsIncludeTheOnesTheIssueNames()
    {
        var found = LogClassifiersTrainingExperiment.DocumentContradictions();
        Assert.Contains(found, c => c.Contains("80 ms") && c.Contains("100 ms"));
        Assert.Contains(found, c => c.Contains("80 s") && c.Contains("1.6 s"));
        Assert.Contains(found, c => c.Contains("26 s") && c.Contains("1.6 s"));
        Assert.Contains(found, c => c.Contains("712K") && c.Contains("850K"));
    }

    [Fact]
    public void RaccoonCheckpointsReloadThroughTheModelRegistry()
    {
        string dir = Repo.TempDir("raccoon-ckpt");
        foreach (var build in LogClassifiersBuilds.All)
        {
            var model = LogClassifiersBuilds.Create(build, seed: 5);
            string path = Path.Combine(dir, build + ".ckpt");
            Checkpoint.Save(path, model.Module, LogClassifiersBuilds.Meta(model));
            var (loaded, header) = Checkpoint.LoadModel(path);
            Assert.Equal(LogClassifiersBuilds.Kind(build), header.Meta.ModelKind);
            Assert.Equal(model.GetType(), loaded.GetType());
            Assert.Equal(Raccoon.Research.Measurements.Parameters.Total(model.Module), Raccoon.Research.Measurements.Parameters.Total(loaded));
        }
    }
}
