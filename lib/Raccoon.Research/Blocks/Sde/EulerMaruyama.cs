using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Sde;

/// <summary>
/// Euler-Maruyama integration of a diagonal SDE over a time grid, as upstream's solve_sde:
/// z_{k+1} = z_k + f(z_k, t_k) dt_k + g(z_k, t_k) sqrt(dt_k) eps, eps ~ N(0, I).
/// Noise comes from <paramref name="generator"/> when given, else from torch's global generator.
/// </summary>
public static class EulerMaruyama
{
    /// <summary>One step from time t (B, 1) (null for a time-homogeneous process) of size dt.</summary>
    public static Tensor Step(ISdeDynamics dynamics, Tensor z, Tensor? t, double dt, Generator? generator = null)
    {
        var (drift, diffusion) = dynamics.Coefficients(z, t);
        var noise = randn(z.shape, dtype: z.dtype, device: z.device, generator: generator) * Math.Sqrt(dt); // dW ~ N(0, dt)
        return z + drift * dt + diffusion * noise;
    }

    /// <summary>z0 (B, D) over times t_0 < ... < t_{N-1} -> path (B, N, D), path[:, 0] = z0.</summary>
    public static Tensor Solve(ISdeDynamics dynamics, Tensor z0, IReadOnlyList<double> times, Generator? generator = null)
    {
        if (z0.dim() != 2) throw new ArgumentException($"the initial state must be (batch, dim), got ({string.Join(", ", z0.shape)})");
        if (times.Count < 2) throw new ArgumentException("the time grid needs at least two points");
        var path = new List<Tensor> { z0 };
        var z = z0;
        for (int i = 0; i + 1 < times.Count; i++)
        {
            double dt = times[i + 1] - times[i];
            if (!(dt > 0)) throw new ArgumentException($"the time grid must increase, got t[{i}] = {times[i]}, t[{i + 1}] = {times[i + 1]}");
            var t = full(z0.shape[0], 1, times[i], dtype: z0.dtype, device: z0.device); // (B, 1)
            z = Step(dynamics, z, t, dt, generator);
            path.Add(z);
        }
        return stack(path, 1); // (B, N, D)
    }

    /// <summary>n + 1 evenly spaced points from start to end, as torch.linspace.</summary>
    public static double[] Grid(double start, double end, int points) =>
        Enumerable.Range(0, points).Select(i => points == 1 ? start : start + (end - start) * i / (points - 1)).ToArray();
}
