using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Sde;

/// <summary>
/// OU process with block-diagonal dynamics, the document's "grouped OU": D dimensions in D/G groups of G,
/// dy = -A (y - mu) dt + diag(sigma) dW with, per group, A_g = diag(kappa_g) + W_g - W_g^T. The symmetric
/// part diag(kappa) > 0 keeps every group stable; the skew part W - W^T (zero at start) couples the
/// group's dimensions (rotations). Parameters 3D + (D/G) G^2. Exact transitions: mean mu + e^{-A dt}(y - mu),
/// covariance Q = int_0^dt e^{-A s} S S^T e^{-A^T s} ds by Van Loan's block matrix exponential, both in
/// float64. With G = 1 (or W = 0) it is the diagonal OU: the same softplus parameters, the same transitions.
/// </summary>
public sealed class GroupedOrnsteinUhlenbeck : nn.Module, IOuTransitions, ISdeDynamics
{
    readonly Parameter mu, logKappa, logSigma, coupling;

    public int Dim { get; }
    public int GroupSize { get; }
    public int Groups => Dim / GroupSize;
    public int LastSampleSteps { get; private set; }

    public GroupedOrnsteinUhlenbeck(int dim, int groupSize, double initMu = 0.0, double initLogKappa = -0.7, double initLogSigma = -1.0,
        string name = "grouped_ou") : base(name)
    {
        if (dim < 1) throw new ArgumentException($"the OU dimension must be at least 1, got {dim}");
        if (groupSize < 1 || dim % groupSize != 0) throw new ArgumentException($"the group size must divide the dimension: {groupSize} does not divide {dim}");
        Dim = dim;
        GroupSize = groupSize;
        mu = new Parameter(full(dim, initMu));
        logKappa = new Parameter(full(dim, initLogKappa));
        logSigma = new Parameter(full(dim, initLogSigma));
        coupling = new Parameter(zeros(dim / groupSize, groupSize, groupSize));
        RegisterComponents();
    }

    public Parameter Mu => mu;
    public Parameter LogKappa => logKappa;
    public Parameter LogSigma => logSigma;
    /// <summary>W (D/G, G, G): A_g = diag(kappa_g) + W_g - W_g^T.</summary>
    public Parameter Coupling => coupling;

    public Tensor Sigma => nn.functional.softplus(logSigma) + 1e-6;

    /// <summary>The drift matrices A_g (D/G, G, G).</summary>
    public Tensor DriftMatrices()
    {
        var kappa = (nn.functional.softplus(logKappa) + 1e-6).view(Groups, GroupSize); // (n, G)
        return diag_embed(kappa) + coupling - coupling.transpose(1, 2);
    }

    public (Tensor Drift, Tensor Diffusion) Coefficients(Tensor z, Tensor? t)
    {
        var v = (z - mu).view(z.shape[0], Groups, GroupSize, 1);
        var drift = -matmul(DriftMatrices(), v).view(z.shape[0], Dim);
        return (drift, Sigma.expand_as(z));
    }

    /// <summary>Exact transition over each dt: Phi = e^{-A dt} and Q (len(dt), D/G, G, G), float64.</summary>
    public (Tensor Phi, Tensor Q) Transitions(double[] dts)
    {
        int n = Groups, g = GroupSize;
        var a = DriftMatrices().to_type(ScalarType.Float64);                         // (n, G, G)
        var s2 = diag_embed(Sigma.to_type(ScalarType.Float64).square().view(n, g));  // (n, G, G)
        var dt = tensor(dts.Select(d => Math.Max(d, 1e-6)).ToArray(), dtype: ScalarType.Float64).view(-1, 1, 1, 1); // (K, 1, 1, 1)
        var top = cat([a.expand(dts.Length, n, g, g), s2.expand(dts.Length, n, g, g)], 3);        // (K, n, G, 2G)
        var bottom = cat([zeros(dts.Length, n, g, g, dtype: ScalarType.Float64), -a.transpose(1, 2).expand(dts.Length, n, g, g)], 3);
        var vanLoan = linalg.matrix_exp(cat([top, bottom], 2) * dt);                 // (K, n, 2G, 2G)
        var g12 = vanLoan[.., .., ..g, g..];
        var phi = vanLoan[.., .., g.., g..].transpose(2, 3);                         // e^{-A dt}
        var q = matmul(phi, g12);
        q = 0.5 * (q + q.transpose(2, 3));
        return (phi, q);
    }

    /// <summary>One transition per distinct step: a uniform grid (every dt equal to 1e-9 relative) computes it once.</summary>
    (Tensor Phi, Tensor Q, bool Uniform) GridTransitions(double[] dts)
    {
        bool uniform = dts.All(d => Math.Abs(d - dts[0]) <= 1e-9 * Math.Max(1.0, Math.Abs(dts[0])) + 1e-7 * dts[0]);
        var (phi, q) = Transitions(uniform ? [dts[0]] : dts);
        return (phi, q, uniform);
    }

    public Tensor PathLogProb(Tensor y, Tensor times, Tensor y0)
    {
        if (y.dim() != 3 || y.shape[2] != Dim) throw new ArgumentException($"the path must be (batch, time, {Dim}), got ({string.Join(", ", y.shape)})");
        if (times.dim() != 1 || times.shape[0] != y.shape[1]) throw new ArgumentException($"the time grid must have {y.shape[1]} points, got ({string.Join(", ", times.shape)})");
        var dts = OuGrid.Increments(times);
        long B = y.shape[0], T = y.shape[1];
        int n = Groups, g = GroupSize;
        var (phi, q, _) = GridTransitions(dts);                                      // (1 or T-1, n, G, G)
        var dtype = y.dtype;
        phi = phi.to_type(dtype); 
        var chol = linalg.cholesky(q).to_type(dtype);
        var prev = cat([y0.unsqueeze(1), y[.., 1..(int)(T - 1)]], 1);                 // (B, T-1, D)
        var v = (prev - mu).view(B, T - 1, n, g, 1);
        var mean = mu.view(1, 1, n, g, 1) + matmul(phi, v);                         // (B, T-1, n, G, 1)
        var r = y[.., 1..].reshape(B, T - 1, n, g, 1) - mean;
        var white = linalg.solve_triangular(chol.expand(B, T - 1, n, g, g), r, upper: false); // L^{-1} r
        var logDet = 2 * chol.diagonal(0, -2, -1).log().sum(-1);                    // (1 or T-1, n)
        var perGroup = -0.5 * (white.square().sum([-2L, -1L]) + logDet + g * Math.Log(2 * Math.PI)); // (B, T-1, n)
        return perGroup.sum([1L, 2L]);
    }

    public Tensor SamplePath(Tensor times, Tensor y0, Generator? generator = null)
    {
        var dts = OuGrid.Increments(times);
        long nPaths = y0.shape[0];
        int n = Groups, g = GroupSize;
        var (phi, q, uniform) = GridTransitions(dts);
        phi = phi.to_type(y0.dtype);
        var chol = linalg.cholesky(q).to_type(y0.dtype);
        var steps = new List<Tensor> { y0 };
        var y = y0;
        for (int k = 0; k < dts.Length; k++)
        {
            int j = uniform ? 0 : k;
            var v = (y - mu).view(nPaths, n, g, 1);
            var mean = mu.view(1, n, g, 1) + matmul(phi[j], v);
            var noise = randn(new long[] { nPaths, n, g, 1 }, dtype: y0.dtype, generator: generator);
            y = (mean + matmul(chol[j], noise)).view(nPaths, Dim);
            steps.Add(y);
        }
        LastSampleSteps = dts.Length;
        return stack(steps, 1);
    }
}
