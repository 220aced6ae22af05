using Raccoon.Research.Models.PathFlow;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.PathFlow;

public class PathFlowScalingTests : IClassFixture<TorchFixture>
{
    static readonly PathFlowConfig Small = new(Hidden: 16, Couplings: 2, TimeDim: 8);

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
    public void Multi_scale_flow_contains_the_flat_flow_and_keeps_the_shape()
    {
        using var scope = NewDisposeScope();
        var flat = MultiScaleFlow.Flat(16, hidden: 8, layers: 2, timeDim: 4);
        var multi = new MultiScaleFlow(16, hidden: 8, layers: 2, timeDim: 4);
        long pf = flat.parameters().Sum(p => p.numel());
        long pm = multi.parameters().Sum(p => p.numel());
        Assert.Equal(pf + MultiScaleFlow.Flat(4, 8, 2, 4).parameters().Sum(p => p.numel()) + MultiScaleFlow.Flat(8, 8, 2, 4).parameters().Sum(p => p.numel()), pm);
        using var _ = no_grad();
        Assert.Equal(new long[] { 5, 16 }, multi.Forward(randn(5, 16), rand(5, 1)).shape);
        Assert.Throws<ArgumentException>(() => new MultiScaleFlow(10));
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
