using Raccoon.Research.Blocks.Sde;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.PathFlow;

/// <summary>
/// Data whose latent dimensions are coupled, for grouped-vs-diagonal OU: y is a 4-D grouped OU with two
/// groups of 2, each a damped rotation A_g = [[kappa, omega], [-omega, kappa]] (kappa = 0.3, omega = 3, sigma = 0.5),
/// y0 ~ N(0, I), sampled by its exact transitions on [0, 3]; x = y standardised per coordinate + 0.05 N(0, 1).
/// Each coordinate alone looks like noise around zero; its future depends on its partner's present.
/// </summary>
public static class CoupledOuPaths
{
    public const double Kappa = 0.3, Omega = 3.0, Sigma = 0.5;

    public static PathData Generate(int paths, Generator generator, int points = 61, double tMax = 3, double noiseStd = 0.05)
    {
        if (paths < 1 || points < 2) throw new ArgumentException($"need at least one path and two time points, got {paths}, {points}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ou = new GroupedOrnsteinUhlenbeck(4, 2);
        ou.LogKappa.copy_(full(4, Math.Log(Math.Exp(Kappa) - 1)));   // softplus^{-1}
        ou.LogSigma.copy_(full(4, Math.Log(Math.Exp(Sigma) - 1)));
        ou.Coupling.zero_();
        ou.Coupling[0, 0, 1] = tensor((float)Omega); ou.Coupling[1, 0, 1] = tensor((float)Omega);
        var grid = linspace(0, tMax, points);
        var y0 = randn(new long[] { paths, 4 }, generator: generator);
        var y = ou.SamplePath(grid, y0, generator);                          // (B, T, 4)
        var xs = (y - y.mean([0L, 1L])) / y.std([0L, 1L]) + noiseStd * randn(y.shape, generator: generator);
        var ts = grid.view(1, -1, 1).repeat(paths, 1, 1);
        return new PathData(xs.MoveToOuterDisposeScope(), ts.MoveToOuterDisposeScope(), points - 1, "exact grouped-OU transitions", tMax / (points - 1));
    }
}
