using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.PathFlow;

/// <summary>
/// The document's ThousandDimensionRaccoon for the path flow: D observed dimensions in F factors of D/F, one
/// path-flow model per factor, and the weak coupling z + 0.1 Linear(D, D)(z) taken as an invertible linear map
/// of the observations, u = (I + 0.1 W) x + b, whose log|det| enters the likelihood once per time point.
/// ELBO(x) = sum_f ELBO_f(u_f) + T log|det(I + 0.1 W)|. With F = 1 and no coupling it is one plain model.
/// </summary>
public sealed class FactorisedPathFlow : nn.Module, IPathElboModel
{
    readonly ModuleList<PathFlowModel> factors;
    readonly Linear? coupling;
    public int Dim { get; }
    public int Factors { get; }

    public FactorisedPathFlow(int dim, int factors, PathFlowConfig factorConfig, bool couple = true, string name = "factorised_path_flow") : base(name)
    {
        if (factors < 1 || dim % factors != 0) throw new ArgumentException($"the factor count must divide the dimension: {factors} does not divide {dim}");
        Dim = dim; Factors = factors;
        this.factors = nn.ModuleList(Enumerable.Range(0, factors).Select(_ => new PathFlowModel(factorConfig with { DataDim = dim / factors })).ToArray());
        if (couple)
        {
            coupling = nn.Linear(dim, dim);
            using var noGrad = no_grad();
            nn.init.normal_(coupling.weight, 0, 1.0 / Math.Sqrt(dim));
            nn.init.zeros_(coupling.bias!);
        }
        RegisterComponents();
    }

    public long ParameterCount => parameters().Sum(p => p.numel());

    public Tensor Elbo(Tensor xs, Tensor ts, Generator? generator = null)
    {
        long B = xs.shape[0], T = xs.shape[1];
        var u = xs; Tensor logDet = zeros(1);
        if (coupling is not null)
        {
            u = xs + 0.1 * coupling.forward(xs);                                     // (B, T, D)
            var jac = eye(Dim) + 0.1 * coupling.weight;                              // d u / d x
            logDet = linalg.slogdet(jac).Item2 * T;
        }
        var chunks = u.chunk(Factors, 2);
        var elbo = zeros(B);
        for (int f = 0; f < Factors; f++) elbo = elbo + factors[f].Elbo(chunks[f].contiguous(), ts, generator);
        return elbo + logDet;
    }

    public Tensor Loss(Tensor xs, Tensor ts, Generator? generator = null) => -Elbo(xs, ts, generator).mean();
}

/// <summary>D-dimensional data with weakly coupled groups: each group of up to 100 dimensions is one stochastic
/// Lorenz path (as upstream makes it, T = 31; each group its own paths, standardised together) seen through a fixed random 3 -> d_g linear map; then all D
/// coordinates are mixed weakly, x + 0.1 x M / sqrt(D), and 0.05 N(0, 1) is added. D = 3 is plain Lorenz.</summary>
public static class LiftedLorenzPaths
{
    /// <summary>One draw of <paramref name="trainPaths"/> + <paramref name="heldOutPaths"/> paths (one set of random maps,
    /// one standardisation), split into the first <paramref name="trainPaths"/> for training and the rest held out, so
    /// both come from the same distribution. Two separate calls would draw two different 3 -> d maps and mixings.</summary>
    public static (PathData Train, PathData HeldOut) GenerateSplit(int dim, int trainPaths, int heldOutPaths, Generator generator, int observations = 30)
    {
        if (trainPaths < 1 || heldOutPaths < 1) throw new ArgumentException($"both sides of the split need a path, got {trainPaths} and {heldOutPaths}");
        var all = Generate(dim, trainPaths + heldOutPaths, generator, observations);
        PathData Take(Range r) => all with { Xs = all.Xs[r].contiguous(), Ts = all.Ts[r].contiguous() };
        return (Take(..trainPaths), Take(trainPaths..));
    }

    public static PathData Generate(int dim, int paths, Generator generator, int observations = 30)
    {
        if (dim < 3) throw new ArgumentException($"the lifted data needs at least 3 dimensions, got {dim}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int groups = Math.Max(1, dim / 100);
        if (dim % groups != 0) throw new ArgumentException($"{dim} dimensions do not split into groups of 100");
        int width = dim / groups;
        var parts = new List<Tensor>();
        var first = LorenzPaths.Generate(paths * groups, generator, observations: observations, innerSteps: 100); // every group's paths in one solve
        for (int g = 0; g < groups; g++)
        {
            var lorenz = first.Xs[(g * paths)..((g + 1) * paths)];
            parts.Add(dim == 3 ? lorenz : matmul(lorenz, randn(new long[] { 3, width }, generator: generator) / Math.Sqrt(3)));
        }
        var x = cat(parts, 2);
        if (dim > 3) x = x + 0.1 * matmul(x, randn(new long[] { dim, dim }, generator: generator)) / Math.Sqrt(dim) + 0.05 * randn(x.shape, generator: generator);
        return new PathData(x.MoveToOuterDisposeScope(), first.Ts[..paths].MoveToOuterDisposeScope(), first.SolverSteps, first.Solver, first.SolverDt);
    }
}
