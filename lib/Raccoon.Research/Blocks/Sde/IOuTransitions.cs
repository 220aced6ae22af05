using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Sde;

/// <summary>
/// An Ornstein-Uhlenbeck base process whose transitions are Gaussian in closed form, so a path's
/// density is a product of exact transitions and sampling needs no Euler step. Times are one grid (T),
/// strictly increasing, shared by every path of the batch.
/// </summary>
public interface IOuTransitions
{
    int Dim { get; }

    /// <summary>log p(y_1..y_{T-1} | y0) = sum_k log N(y_{k+1}; mean_k(y_k), Q(dt_k)), where y_k is y0 for k = 0
    /// (upstream's path_log_prob_cond: y[:, 0] itself is replaced by <paramref name="y0"/>). y (B, T, D), y0 (B, D) -> (B).</summary>
    Tensor PathLogProb(Tensor y, Tensor times, Tensor y0);

    /// <summary>A path from y0 (n, D) over the grid, one exact transition per step: (n, T, D).</summary>
    Tensor SamplePath(Tensor times, Tensor y0, Generator? generator = null);

    /// <summary>Transitions stepped by the last <see cref="SamplePath"/> (T - 1: the loop over time).</summary>
    int LastSampleSteps { get; }
}

/// <summary>Checks shared by the OU blocks.</summary>
public static class OuGrid
{
    /// <summary>Increments dt_k of a strictly increasing 1-D grid, as doubles; a clear error otherwise.</summary>
    public static double[] Increments(Tensor times)
    {
        if (times.dim() != 1 || times.shape[0] < 2) throw new ArgumentException($"the time grid must be 1-D with at least two points, got ({string.Join(", ", times.shape)})");
        var t = times.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        var dt = new double[t.Length - 1];
        for (int k = 0; k < dt.Length; k++)
        {
            dt[k] = t[k + 1] - t[k];
            if (!(dt[k] > 0)) throw new ArgumentException($"time points must increase, got t[{k}] = {t[k]}, t[{k + 1}] = {t[k + 1]}");
        }
        return dt;
    }

    /// <summary>log N(x; mean, diag(var)) summed over the last axis; var clamped at 1e-10 as upstream.</summary>
    public static Tensor DiagonalGaussianLogProb(Tensor x, Tensor mean, Tensor variance)
    {
        var v = variance.clamp_min(1e-10);
        return -0.5 * (v.log() + Math.Log(2 * Math.PI) + (x - mean).square() / v).sum(-1);
    }
}
