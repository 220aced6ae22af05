using Raccoon.Research.Views;
using Raccoon.Research.Measurements;
using Raccoon.Research.Ledger;
using Raccoon.Research.Experiments;
using Raccoon.Research.Blocks.Flows;
using Raccoon.Research.Experiments.PathFlow;
using Raccoon.Research.Models.PathFlow;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.PathFlow;

public class PathFlowScalingTests : IClassFixture<TorchFixture>
{
    static readonly PathFlowConfig Small = new(Hidden: 16, Couplings: 2, TimeDim: 8);

    [Fact]
    public void Attention_memory_predictions_and_where_upstreams_form_stops()
    {
        // B = 1, H = 128, float32: upstream 2 T^2 H, global 2 T^2, windowed 2 T w H; a training step of upstream's form 4 T^2 H.
        Assert.Equal(1_024_000_000L, PathFlowScalingExperiment.AttentionSizes.PredictedBytes(PosteriorAttention.Upstream, 1000));
        Assert.Equal(102_400_000_000L, PathFlowScalingExperiment.AttentionSizes.PredictedBytes(PosteriorAttention.Upstream, 10_000));
        Assert.Equal(800_000_000L, PathFlowScalingExperiment.AttentionSizes.PredictedBytes(PosteriorAttention.Global, 10_000));
        Assert.Equal(102_400_000L, PathFlowScalingExperiment.AttentionSizes.PredictedBytes(PosteriorAttention.Windowed, 10_000));
        Assert.Equal(2_048_000_000L, PathFlowScalingExperiment.AttentionSizes.PredictedTrainingBytes(1000));
        foreach (var profile in Enum.GetValues<Profile>())
        {
            var sizes = PathFlowScalingExperiment.AttentionSizes.For(profile);
            Assert.True(sizes.Lengths[0] == 100 && sizes.Lengths.Max() >= 10_000, $"{profile}: T from 100 to at least 10,000");
            Assert.True(sizes.Repeats >= PathFlowScalingExperiment.AttentionSizes.Blocks && sizes.SpeechRepeats >= PathFlowScalingExperiment.AttentionSizes.Blocks, $"{profile}: a round per block");
            Assert.Equal(3, sizes.ElboSeeds);
        }
        // standard: a 2,500 MiB cap lets upstream's form run to T = 1,000 (977 MiB) and stops it at 3,000 (8.6 GiB)
        var standard = PathFlowScalingExperiment.AttentionSizes.For(Profile.Standard);
        Assert.Equal(new[] { 100, 300, 1000 }, standard.UpstreamLengths);
        Assert.Equal(new[] { 250, 500, 1000 }, standard.SpeechUpstreamRuns);
        Assert.Equal(new[] { 250, 500 }, PathFlowScalingExperiment.AttentionSizes.For(Profile.Quick).SpeechUpstreamRuns);
    }

    [Fact]
    public void Attention_and_speech_rows_run_at_tiny_sizes_and_give_the_figures_their_rules_read()
    {
        using var scope = NewDisposeScope();
        // Upstream's form fits the caps at T = 20 (alone: 2 T^2 H floats = 409,600 bytes) and not at 40; at the speech sizes at 10 and 20.
        var sizes = new PathFlowScalingExperiment.AttentionSizes([20, 40], 2L * 30 * 30 * 128 * 4, Repeats: 3, ElboSeeds: 3, ElboSteps: 2, ElboPaths: 4, ElboHidden: 8,
            SpeechRepeats: 3, SpeechUpstreamLengths: [10, 20, 40], SpeechUpstreamCapBytes: 4L * 30 * 30 * 128 * 4, SpeechLength: 40, FitFrom: 10, ElboObservations: 10);
        var tables = new List<Table>(); var figures = new List<Figure>();
        var context = new ExperimentContext(Profile.Quick, 1, 2, Repo.TempDir("attention"));
        var m = PathFlowScalingExperiment.PosteriorAttentionScaling(context, sizes, tables, figures);
        Assert.Equal(new[] { "V2-02", "V2-11" }, m.Select(x => x.ClaimId));
        var v202 = m[0].Figures!.ToDictionary(f => f.Name); var v211 = m[1].Figures!.ToDictionary(f => f.Name);
        Assert.Equal(20, v202["upstreamLargestT"].Value);
        Assert.Equal(20, v211["upstreamLargestT"].Value);
        Assert.Equal(Sampling.Interleaved, v202["windowSpeedup"].Design);
        Assert.Equal(Sampling.Interleaved, v211["globalSlowdown"].Design);
        Assert.Equal(3, v202["windowHeldOutElboCost"].Samples);
        // 10 of 11 keys hold all but ~e^-25 of upstream's weights: the global model read through the window loses nothing
        Assert.True(Math.Abs(v202["windowSwapElboCost"].Value) < 1e-3, $"swap cost {v202["windowSwapElboCost"].Value}");
        var attention = tables.Single(t => t.Key == "attention-vs-t");
        Assert.Equal(6, attention.Rows.Count);                                                           // 2 lengths x 3 forms
        Assert.Equal("not run", attention.Rows.Single(r => r[0] == "40" && r[1].StartsWith("upstream", StringComparison.Ordinal))[2]);
        Assert.Equal(3, tables.Single(t => t.Key == "window-elbo-cost").Rows.Count);
        Assert.Equal(5, tables.Single(t => t.Key == "speech-scale").Rows.Count);                        // window, global, upstream at 10 and 20, the projection
        Assert.Contains(figures, f => f.Key == "attention-time-vs-t");
        // the ledger reads both rows without a missing figure
        foreach (var x in m) Assert.NotEqual(Verdict.NotRun, Judge.Row(ClaimCatalog.Get(x.ClaimId), x, "test", "quick", 1, DateTimeOffset.UnixEpoch).Verdict);
    }

    [Fact]
    public void Cache_is_right_for_the_same_x_and_wrong_for_another_x_of_the_same_shape_and_time_range()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var model = new PathFlowModel(Small);
        var a = LorenzPaths.Generate(4, new Generator(1), observations: 20, innerSteps: 10);
        var b = LorenzPaths.Generate(4, new Generator(2), observations: 20, innerSteps: 10);
        Assert.Equal(BaseTrajectoryCache.Key(a.Xs, a.Ts), BaseTrajectoryCache.Key(b.Xs, b.Ts)); // the key ignores x's values
        using var cache = new BaseTrajectoryCache();
        using var _ = no_grad();
        var first = cache.Elbo(model, a.Xs, a.Ts, new Generator(3));
        var hit = cache.Elbo(model, a.Xs, a.Ts, new Generator(3));
        Assert.True((first - hit).abs().max().item<float>() < 1e-4f);
        Assert.True((hit - model.Elbo(a.Xs, a.Ts, new Generator(3))).abs().max().item<float>() < 1e-4f);
        var stale = cache.Elbo(model, b.Xs, b.Ts, new Generator(3));     // a hit: a's posterior used for b
        var truth = model.Elbo(b.Xs, b.Ts, new Generator(3));
        Assert.Equal(1, cache.Misses);
        Assert.Equal(2, cache.Hits);
        Assert.True((stale - truth).abs().max().item<float>() > 1e-2f, "the cache returned b's own posterior although its key ignores x");
    }

    [Fact]
    public void Flow_log_likelihood_is_the_standard_normal_density_of_z_plus_the_log_det()
    {
        using var scope = NewDisposeScope();
        // z = 0.5 x + 1 per coordinate: log p(x) = sum_i log N(0.5 x_i + 1; 0, 1) + D log 0.5.
        var flow = new DiagonalAffine(2);
        using var _ = no_grad();
        flow.Scale.fill_(0.5f); flow.Shift.fill_(1f);
        var x = tensor(new float[,] { { 0f, 2f }, { -2f, 4f } });
        var ll = PathFlowScalingExperiment.LogLikelihood(flow, x, zeros(2, 1));
        Assert.Equal(-Math.Log(2 * Math.PI) - 0.5 * (1 + 4) + 2 * Math.Log(0.5 + 1e-8), ll[0].item<float>(), 5);  // z = (1, 2)
        Assert.Equal(-Math.Log(2 * Math.PI) - 0.5 * (0 + 9) + 2 * Math.Log(0.5 + 1e-8), ll[1].item<float>(), 5);  // z = (0, 3)
        Assert.Equal((ll[0].item<float>() + ll[1].item<float>()) / 2 / 2, PathFlowScalingExperiment.LogLikelihoodPerDim(flow, x, zeros(2, 1)), 5);
    }

    [Fact]
    public void Held_out_lifted_paths_come_from_the_same_draw_as_the_training_paths()
    {
        using var scope = NewDisposeScope();
        var (train, held) = LiftedLorenzPaths.GenerateSplit(100, 6, 4, new Generator(7), observations: 10);
        var whole = LiftedLorenzPaths.Generate(100, 10, new Generator(7), observations: 10);
        Assert.Equal(new long[] { 6, 11, 100 }, train.Xs.shape);
        Assert.Equal(new long[] { 4, 11, 100 }, held.Xs.shape);
        Assert.Equal(whole.Xs.data<float>().ToArray(), cat([train.Xs, held.Xs], 0).data<float>().ToArray());
        Assert.Equal(whole.Ts.data<float>().ToArray(), cat([train.Ts, held.Ts], 0).data<float>().ToArray());

        // The data are one 3-dimensional Lorenz state through a fixed linear map, plus 0.05 noise: the same distribution
        // puts the held-out paths in the training paths' 3-dimensional principal subspace; another draw (its own map, as
        // a second generator gave before) does not.
        double Captured(PathData reference, PathData other)
        {
            var a = reference.Xs.reshape(-1, 100); var b = other.Xs.reshape(-1, 100);
            var basis = linalg.svd(a - a.mean([0L]), fullMatrices: false).Item3[..3];  // (3, 100) top right-singular vectors
            var centred = b - b.mean([0L]);
            return (matmul(centred, basis.T).square().sum() / centred.square().sum()).item<float>();
        }
        Assert.True(Captured(train, held) > 0.9, $"held-out variance in the training subspace: {Captured(train, held)}");
        var separate = LiftedLorenzPaths.Generate(100, 4, new Generator(8), observations: 10);
        Assert.True(Captured(train, separate) < 0.5, $"another draw's variance in the training subspace: {Captured(train, separate)}");
    }

    [Fact]
    public void Factorised_model_splits_into_factors_and_rejects_a_count_that_does_not_divide()
    {
        using var scope = NewDisposeScope();
        var cfg = Small with { LatentDim = 2, NormalisedPosteriorTime = true };
        var model = new FactorisedPathFlow(20, 4, cfg);
        var data = LiftedLorenzPaths.Generate(200, 2, new Generator(4), observations: 5);
        Assert.Equal(new long[] { 2, 6, 200 }, data.Xs.shape);
        var x = randn(2, 6, 20); var ts = linspace(0, 3, 6).view(1, 6, 1).repeat(2, 1, 1);
        using (no_grad()) Assert.True(model.Elbo(x, ts, new Generator(1)).isfinite().all().item<bool>());
        Assert.Contains("divide", Assert.Throws<ArgumentException>(() => new FactorisedPathFlow(20, 3, cfg)).Message);
    }

    [Fact]
    public void Coupled_data_has_coupled_dimensions()
    {
        using var scope = NewDisposeScope();
        var d = CoupledOuPaths.Generate(256, new Generator(5));
        Assert.Equal(new long[] { 256, 61, 4 }, d.Xs.shape);
        // lag-1 cross-correlation between partners is strong (a rotation), between groups it is near zero
        var x = d.Xs;
        double Cross(int i, int j) => (x[.., ..^1, i] * x[.., 1.., j]).mean().item<float>();
        Assert.True(Math.Abs(Cross(0, 1)) > 0.1);
        Assert.True(Math.Abs(Cross(0, 2)) < 0.1);
    }
}
