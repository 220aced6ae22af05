using Raccoon.Research.Blocks.Statistics;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Blocks;

public class StatisticsTests : IClassFixture<TorchFixture>
{
    [Fact]
    public void Epps_pulley_equals_the_trapezoid_sum_computed_by_hand()
    {
        using var scope = NewDisposeScope();
        double[] xs = [-1.3, 0.2, 0.7, 2.1, -0.4];
        const double tMax = 5.0; const int points = 17;
        var test = new EppsPulley(tMax, points);
        var stat = test.forward(tensor(xs.Select(v => (float)v).ToArray()).reshape(5, 1)).item<float>(); // (N, K=1) -> (1)

        double dt = tMax / (points - 1), expected = 0;
        for (int p = 0; p < points; p++)
        {
            double t = p * dt, w = p == 0 || p == points - 1 ? dt : 2 * dt;
            double c = xs.Average(x => Math.Cos(t * x)), s = xs.Average(x => Math.Sin(t * x));
            expected += w * ((c - Math.Exp(-t * t / 2)) * (c - Math.Exp(-t * t / 2)) + s * s);
        }
        expected *= xs.Length;
        Assert.Equal(expected, stat, 4);
    }

    [Fact]
    public void Epps_pulley_is_small_for_normal_samples_and_large_otherwise()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var test = new EppsPulley(5.0, 17);
        // Under normality E[N |phi_n(t) - phi(t)|^2] = 1 - exp(-t^2), so the expected statistic is
        // integral_0^5 2 (1 - exp(-t^2)) dt = 2 (5 - sqrt(pi)/2) = 8.23 whatever N is.
        var normal = test.forward(randn(4000, 40)).mean().item<float>();
        var bimodal = test.forward((rand(4000, 3) > 0.5f).to_type(ScalarType.Float32) * 4 - 2).min().item<float>();
        Assert.InRange(normal, 7f, 9.5f);
        Assert.True(bimodal > 500f, $"bimodal samples: {bimodal}");
    }

    [Fact]
    public void Sliced_test_draws_reproducible_unit_directions_and_advances_its_step()
    {
        using var scope = NewDisposeScope();
        var sliced = new SlicedEppsPulley(slices: 64, tMax: 5.0, points: 17);
        Assert.Empty(sliced.parameters());
        var d0 = sliced.Directions(32, 0);
        Assert.Equal(new long[] { 32, 64 }, d0.shape);
        Assert.True((d0.norm(0, false, 2) - 1).abs().max().item<float>() < 1e-5f);
        Assert.Equal(d0.data<float>().ToArray(), sliced.Directions(32, 0).data<float>().ToArray());
        Assert.NotEqual(d0.data<float>().ToArray(), sliced.Directions(32, 1).data<float>().ToArray());

        var x = randn(1, 48, 32).requires_grad_();
        var loss = sliced.forward(x);
        Assert.Equal(1L, sliced.Step);
        Assert.Equal(0, loss.dim());
        loss.backward();
        Assert.True(x.grad!.isfinite().all().item<bool>() && x.grad!.abs().sum().item<float>() > 0, "the loss term must pass gradients");

        var again = new SlicedEppsPulley(64, 5.0, 17); // same step -> same value on the same data
        Assert.Equal(again.forward(x.detach()).item<float>(), new SlicedEppsPulley(64, 5.0, 17).forward(x.detach()).item<float>());
    }

    [Fact]
    public void Kl_to_the_learnable_prior_follows_upstreams_formula()
    {
        using var scope = NewDisposeScope();
        var prior = new LearnableGaussianPrior(4);
        Assert.Equal(8, prior.parameters().Sum(p => p.numel()));
        Assert.Equal(0f, prior.Kl(zeros(3, 4), zeros(3, 4)).item<float>(), 6);
        // mean 1, var 1 against N(0, 1): each term 0.5 * (0 - 0 + (1 + 1) / (1 + 1e-8) - 1) = 0.5, averaged over coordinates.
        Assert.Equal(0.5f, prior.Kl(ones(3, 4), zeros(3, 4)).item<float>(), 5);
        // logvar -1: 0.5 * (1 + e^-1 - 1) = 0.5 e^-1 per coordinate.
        Assert.Equal((float)(0.5 * Math.Exp(-1)), prior.Kl(zeros(2, 4), full(2, 4, -1f)).item<float>(), 5);
    }
}
