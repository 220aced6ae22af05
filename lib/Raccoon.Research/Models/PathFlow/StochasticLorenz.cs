using Raccoon.Research.Blocks.Sde;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.PathFlow;

/// <summary>
/// Upstream 002's StochasticLorenzSDE: drift (a1 (x2 - x1), a2 x1 - x2 - x1 x3, x1 x2 - a3 x3) with
/// a = (10, 28, 8/3) and multiplicative noise diag(b x), b = 0.15 per coordinate.
/// </summary>
public sealed class StochasticLorenz(double a1 = 10, double a2 = 28, double a3 = 8.0 / 3, double b = 0.15) : ISdeDynamics
{
    public (Tensor Drift, Tensor Diffusion) Coefficients(Tensor z, Tensor? t)
    {
        if (z.dim() != 2 || z.shape[1] != 3) throw new ArgumentException($"the Lorenz state is (batch, 3), got ({string.Join(", ", z.shape)})");
        var x1 = z[.., 0..1]; var x2 = z[.., 1..2]; var x3 = z[.., 2..3];
        var drift = cat([a1 * (x2 - x1), a2 * x1 - x2 - x1 * x3, x1 * x2 - a3 * x3], 1);
        return (drift, z * b);
    }
}

/// <summary>Observed paths (B, T, Dx), their times (B, T, 1) and how they were made.</summary>
public sealed record PathData(Tensor Xs, Tensor Ts, long SolverSteps, string Solver, double SolverDt)
{
    public long Paths => Xs.shape[0];
    public long Times => Xs.shape[1];
    /// <summary>The shared time grid (T).</summary>
    public Tensor Grid => Ts[0, .., 0];
}

/// <summary>
/// Upstream's gen_data: z0 ~ N(0, I_3), Euler-Maruyama (EulerMaruyama.Step, the port of solve_sde) at
/// dt = (tf - t0) / (observations * inner) for observations * inner steps, every inner-th state kept
/// (T = observations + 1, the start included), standardised per coordinate over all paths and times
/// (unbiased std), plus noise_std * N(0, 1). Upstream: 1024 paths, [0, 3], 120 observations, 100 inner steps, 0.01.
/// </summary>
public static class LorenzPaths
{
    public static PathData Generate(int paths, Generator generator, double t0 = 0, double tf = 3, int observations = 120,
        int innerSteps = 100, double noiseStd = 0.01)
    {
        if (paths < 1 || observations < 1 || innerSteps < 1) throw new ArgumentException($"paths, observations and inner steps must be positive, got {paths}, {observations}, {innerSteps}");
        if (!(tf > t0)) throw new ArgumentException($"time points must increase: end {tf} is not after start {t0}");
        var sde = new StochasticLorenz();
        int n = observations * innerSteps;
        double dt = (tf - t0) / n;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var z = randn(new long[] { paths, 3 }, generator: generator);
        var kept = new List<Tensor> { z };
        for (int k = 0; k < n; k++)
        {
            var t = full(paths, 1, t0 + dt * k);
            z = EulerMaruyama.Step(sde, z, t, dt, generator);
            if ((k + 1) % innerSteps == 0) kept.Add(z);
        }
        var zs = stack(kept, 1);                                                           // (B, T, 3)
        var mean = zs.mean([0L, 1L]); var std = zs.std([0L, 1L], unbiased: true);
        var xs = (zs - mean) / std + noiseStd * randn(zs.shape, generator: generator);
        var grid = linspace(t0, tf, observations + 1);
        var ts = grid.view(1, -1, 1).repeat(paths, 1, 1);
        return new PathData(xs.MoveToOuterDisposeScope(), ts.MoveToOuterDisposeScope(), n, "Euler-Maruyama (Blocks/Sde/EulerMaruyama.Step)", dt);
    }

    /// <summary>
    /// The same data made another way, to show what <see cref="Generate"/> computes rather than what it says: z0 and the
    /// Wiener increments drawn from a generator of <paramref name="seed"/> in the order Generate draws them, the whole
    /// path solved by the library's solver (<see cref="EulerMaruyama.Solve"/>) on <paramref name="observations"/> x
    /// <paramref name="innerSteps"/> steps over [t0, tf], every inner-th state kept, standardised and the observation
    /// noise added. With Generate's settings it gives Generate's paths to float rounding; with other step counts, other paths.
    /// </summary>
    public static Tensor SolveAgain(int paths, ulong seed, double t0 = 0, double tf = 3, int observations = 120, int innerSteps = 100,
        double noiseStd = 0.01)
    {
        if (paths < 1 || observations < 1 || innerSteps < 1) throw new ArgumentException($"paths, observations and inner steps must be positive, got {paths}, {observations}, {innerSteps}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var g = new Generator(seed);
        var z0 = randn(new long[] { paths, 3 }, generator: g);
        int n = observations * innerSteps;
        var path = EulerMaruyama.Solve(new StochasticLorenz(), z0, EulerMaruyama.Grid(t0, tf, n + 1), g);     // (B, n + 1, 3)
        var zs = path.index_select(1, arange(0, n + 1, innerSteps));                                          // (B, T, 3)
        var mean = zs.mean([0L, 1L]); var std = zs.std([0L, 1L], unbiased: true);
        return ((zs - mean) / std + noiseStd * randn(zs.shape, generator: g)).MoveToOuterDisposeScope();
    }

    /// <summary>Rejects data a model cannot read: not (B, T, D), time not (B, T, 1), times not increasing, NaN or infinity.</summary>
    public static void Validate(Tensor xs, Tensor ts, int dataDim)
    {
        if (xs.dim() != 3 || xs.shape[2] != dataDim) throw new ArgumentException($"observations must be (batch, time, {dataDim}), got ({string.Join(", ", xs.shape)})");
        if (ts.dim() != 3 || ts.shape[0] != xs.shape[0] || ts.shape[1] != xs.shape[1] || ts.shape[2] != 1)
            throw new ArgumentException($"times must be (batch, time, 1) matching the observations, got ({string.Join(", ", ts.shape)})");
        if (!xs.isfinite().all().item<bool>()) throw new ArgumentException("the observations contain NaN or infinity");
        if (!ts.isfinite().all().item<bool>()) throw new ArgumentException("the times contain NaN or infinity");
        if (xs.shape[1] < 2) throw new ArgumentException("a path needs at least two time points");
        if (!(ts[.., 1..] - ts[.., ..^1]).gt(0).all().item<bool>()) throw new ArgumentException("time points must be strictly increasing along every path");
    }
}
