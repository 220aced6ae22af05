using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Statistics;

/// <summary>
/// Epps-Pulley statistic for univariate normality (upstream's FastEppsPulley): the squared distance
/// between the empirical characteristic function and exp(-t^2/2), integrated by the trapezoid rule on
/// t in [0, tMax] (weights dt at the ends, 2 dt inside: the doubled half-line of the even integrand),
/// times the sample count N. Differentiable in x.
/// </summary>
public sealed class EppsPulley : nn.Module<Tensor, Tensor>
{
    readonly Tensor t, phi, weights; // (P) each

    public double TMax { get; }
    public int Points { get; }

    public EppsPulley(double tMax = 3.0, int points = 17, string name = "epps_pulley") : base(name)
    {
        if (points < 3 || points % 2 != 1) throw new ArgumentException($"the quadrature needs an odd number of points >= 3, got {points}");
        TMax = tMax;
        Points = points;
        t = linspace(0, tMax, points, dtype: ScalarType.Float32);
        double dt = tMax / (points - 1);
        weights = full(points, 2 * dt, dtype: ScalarType.Float32);
        weights[0] = (float)dt;
        weights[points - 1] = (float)dt;
        phi = (-0.5 * t.square()).exp(); // characteristic function of N(0, 1)
        RegisterComponents();
    }

    /// <summary>x (*, N, K): N samples of K variables -> (*, K) statistics.</summary>
    public override Tensor forward(Tensor x)
    {
        if (x.dim() < 2) throw new ArgumentException($"Epps-Pulley expects (..., samples, slices), got ({string.Join(", ", x.shape)})");
        long n = x.shape[^2];
        var xt = x.unsqueeze(-1) * t;               // (*, N, K, P)
        var cosMean = xt.cos().mean([-3]);          // (*, K, P)
        var sinMean = xt.sin().mean([-3]);          // (*, K, P)
        var err = (cosMean - phi).square() + sinMean.square(); // (*, K, P)
        return err.matmul(weights) * n;             // (*, K)
    }
}
