using Raccoon.Research.Blocks.Sde;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Blocks;

public class SdeTests : IClassFixture<TorchFixture>
{
    const int Paths = 200_000;

    [Fact]
    public void The_neural_SDE_weights_are_xavier_normal_as_upstream_draws_them_not_uniform()
    {
        // TorchSharp 0.107's nn.init.xavier_normal_ draws uniform values bounded at sqrt(3) standard
        // deviations; a normal draw of 64 x 65 weights passes that bound with near certainty (8% each).
        manual_seed(1);
        using var dynamics = new NeuralSdeDynamics(64, 64);
        var first = dynamics.DriftNet.children().OfType<TorchSharp.Modules.Linear>().First().weight!;
        double std = Math.Sqrt(2.0 / (first.shape[0] + first.shape[1]));
        double measured = first.std().item<float>();
        Assert.InRange(measured, 0.95 * std, 1.05 * std);
        Assert.True(first.abs().max().item<float>() > Math.Sqrt(3) * std * 1.2, "no weight beyond the uniform bound: the draw is not normal");
        Assert.Throws<ArgumentException>(() => Raccoon.Research.Blocks.Initialization.XavierNormal(zeros(5)));
    }

    /// <summary>Sample mean and variance per coordinate over many paths from the same start.</summary>
    static (double[] Mean, double[] Var) Moments(OrnsteinUhlenbeck ou, float[] start, int steps, double dt, ulong seed)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(seed);
        using var _ = no_grad();
        var z0 = tensor(start).unsqueeze(0).expand(Paths, start.Length).contiguous(); // (N, D)
        var z = ou.Steps(z0, steps, dt, gen);
        var zd = z.to_type(ScalarType.Float64);
        return (zd.mean([0]).data<double>().ToArray(), zd.var(0).data<double>().ToArray());
    }

    [Fact]
    public void Ou_steps_at_upstream_settings_match_the_exact_transition()
    {
        using var scope = NewDisposeScope();
        var ou = new OrnsteinUhlenbeck(theta: 0.1, sigma: 0.1); // upstream: 3 steps of dt = 0.01
        float[] start = [1f, -2f, 0.5f, 0f];
        const int steps = 3; const double dt = 0.01;
        var (mean, variance) = Moments(ou, start, steps, dt, seed: 5);
        using var _ = no_grad();
        var exactMean = ou.ExactMean(tensor(start), steps * dt).data<float>().ToArray();
        double exactVar = ou.ExactVariance(steps * dt).item<float>();
        double se = Math.Sqrt(exactVar / Paths);
        for (int d = 0; d < start.Length; d++)
        {
            Assert.True(Math.Abs(mean[d] - exactMean[d]) < 4 * se, $"coordinate {d}: mean {mean[d]} vs exact {exactMean[d]} (se {se})");
            Assert.True(Math.Abs(variance[d] / exactVar - 1) < 4 * Math.Sqrt(2.0 / Paths), $"coordinate {d}: variance {variance[d]} vs exact {exactVar}");
        }
    }

    [Fact]
    public void Coarse_ou_steps_follow_euler_maruyama_and_show_its_bias_against_the_exact_solution()
    {
        using var scope = NewDisposeScope();
        const double theta = 2.0, sigma = 0.5, dt = 0.05; const int steps = 20;
        var ou = new OrnsteinUhlenbeck(theta, sigma);
        var (mean, variance) = Moments(ou, [1f], steps, dt, seed: 6);
        // Euler-Maruyama's own transition: mean (1 - theta dt)^n z0, variance sigma^2 dt sum_k (1 - theta dt)^{2k}.
        double a = 1 - theta * dt;
        double emMean = Math.Pow(a, steps);
        double emVar = sigma * sigma * dt * Enumerable.Range(0, steps).Sum(k => Math.Pow(a, 2 * k));
        double exactMean = Math.Exp(-theta * steps * dt);
        double se = Math.Sqrt(emVar / Paths);
        Assert.True(Math.Abs(mean[0] - emMean) < 4 * se, $"mean {mean[0]} vs Euler-Maruyama {emMean}");
        Assert.True(Math.Abs(variance[0] / emVar - 1) < 4 * Math.Sqrt(2.0 / Paths));
        Assert.True(Math.Abs(mean[0] - exactMean) > 10 * se, "a coarse step must show the O(dt) bias");
    }

    [Fact]
    public void Ou_has_two_parameters_and_starts_at_upstream_values()
    {
        using var scope = NewDisposeScope();
        var ou = new OrnsteinUhlenbeck();
        Assert.Equal(2, ou.parameters().Sum(p => p.numel()));
        Assert.Equal(0.1f, ou.Theta.item<float>());
        Assert.Equal(0.1f, ou.Sigma.item<float>());
    }

    sealed class LinearDrift(double rate, double noise) : ISdeDynamics
    {
        public (Tensor Drift, Tensor Diffusion) Coefficients(Tensor z, Tensor? t) => (z * rate, full(1, noise));
    }

    [Fact]
    public void Euler_maruyama_without_noise_is_euler_and_keeps_the_start()
    {
        using var scope = NewDisposeScope();
        var z0 = randn(4, 3);
        var path = EulerMaruyama.Solve(new LinearDrift(-1.0, 0.0), z0, EulerMaruyama.Grid(0, 1, 11));
        Assert.Equal(new long[] { 4, 11, 3 }, path.shape);
        Assert.Equal(z0.data<float>().ToArray(), path[.., 0].data<float>().ToArray());
        var ode = Euler.Solve((z, t) => -z, z0, 0, 1, 10);
        Assert.True((path - ode).abs().max().item<float>() < 1e-6f);
        var expected = z0 * Math.Pow(0.9, 10); // (1 - dt)^n
        Assert.True((path[.., 10] - expected).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void Euler_maruyama_with_a_generator_is_reproducible()
    {
        using var scope = NewDisposeScope();
        var z0 = randn(2, 3);
        var grid = EulerMaruyama.Grid(0, 0.1, 3);
        Assert.Equal(new[] { 0.0, 0.05, 0.1 }, grid.Select(x => Math.Round(x, 12)));
        using var g1 = new Generator(9);
        using var g2 = new Generator(9);
        var a = EulerMaruyama.Solve(new LinearDrift(0.5, 0.3), z0, grid, g1);
        var b = EulerMaruyama.Solve(new LinearDrift(0.5, 0.3), z0, grid, g2);
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => EulerMaruyama.Solve(new LinearDrift(0, 0), z0, [0.0, 0.0]));
    }

    [Fact]
    public void Neural_sde_dynamics_count_and_clamped_diffusion_match_upstream()
    {
        using var scope = NewDisposeScope();
        var dyn = new NeuralSdeDynamics(latentDim: 32, hiddenDim: 64);
        // drift: Linear(33,64) = 33*64+64 = 2176, Linear(64,64) = 4160, Linear(64,32) = 2080 -> 8416
        // log-diffusion: Linear(33,64) = 2176, Linear(64,32) = 2080 -> 4256
        Assert.Equal(8416, dyn.DriftNet.parameters().Sum(p => p.numel()));
        Assert.Equal(4256, dyn.LogDiffusionNet.parameters().Sum(p => p.numel()));
        Assert.Equal(12672, dyn.parameters().Sum(p => p.numel()));
        Assert.All(dyn.named_parameters().Where(p => p.name.EndsWith("bias")), p => Assert.Equal(0f, p.parameter.abs().max().item<float>()));
        using var _ = no_grad();
        var (drift, diffusion) = dyn.Coefficients(randn(64, 32) * 1000, randn(64, 1) * 1000);
        Assert.Equal(new long[] { 64, 32 }, drift.shape);
        Assert.True(diffusion.min().item<float>() >= 1e-4f * 0.9999f && diffusion.max().item<float>() <= 1f);
        Assert.Throws<ArgumentException>(() => dyn.Coefficients(randn(2, 32), null));
    }

    [Fact]
    public void Deep_ode_drift_has_the_documented_layer_count()
    {
        using var scope = NewDisposeScope();
        var drift = new NeuralOdeDrift(latentDim: 32, hiddenDim: 64, depth: 11);
        // Linear(33,64) 2176 + LayerNorm 128; 10 x (Linear(64,64) 4160 + LayerNorm 128); Linear(64,32) 2080
        Assert.Equal(2176 + 128 + 10 * (4160 + 128) + 2080, drift.parameters().Sum(p => p.numel()));
        Assert.Equal(new long[] { 5, 32 }, drift.forward(randn(5, 32), zeros(5, 1)).shape);
    }
}
