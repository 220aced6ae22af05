using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Sde;

/// <summary>Explicit Euler for an ODE dz/dt = f(z, t): the deterministic limit of Euler-Maruyama.</summary>
public static class Euler
{
    /// <summary>z0 (B, D) integrated with <paramref name="steps"/> equal steps from t0 to t1 -> path (B, steps + 1, D).</summary>
    public static Tensor Solve(Func<Tensor, Tensor, Tensor> drift, Tensor z0, double t0, double t1, int steps)
    {
        if (z0.dim() != 2) throw new ArgumentException($"the initial state must be (batch, dim), got ({string.Join(", ", z0.shape)})");
        if (steps < 1) throw new ArgumentException($"Euler needs at least one step, got {steps}");
        double dt = (t1 - t0) / steps;
        var path = new List<Tensor> { z0 };
        var z = z0;
        for (int k = 0; k < steps; k++)
        {
            var t = full(z0.shape[0], 1, t0 + k * dt, dtype: z0.dtype, device: z0.device); // (B, 1)
            z = z + drift(z, t) * dt;
            path.Add(z);
        }
        return stack(path, 1); // (B, steps + 1, D)
    }
}
