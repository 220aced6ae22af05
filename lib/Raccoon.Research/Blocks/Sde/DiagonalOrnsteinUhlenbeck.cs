using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Sde;

/// <summary>
/// Upstream 002's DiagOUSDE: D independent OU processes dy = kappa (mu - y) dt + sigma dW with
/// kappa = softplus(log_kappa) + 1e-6 and sigma = softplus(log_sigma) + 1e-6 (3D parameters; start
/// mu = 0, log_kappa = -0.7, log_sigma = -1). Transitions are exact: mean mu + e^{-kappa dt}(y - mu),
/// variance sigma^2 (1 - e^{-2 kappa dt}) / (2 kappa), dt clamped at 1e-6 as upstream.
/// </summary>
public sealed class DiagonalOrnsteinUhlenbeck : nn.Module, IOuTransitions, ISdeDynamics
{
    readonly Parameter mu, logKappa, logSigma;

    public int Dim { get; }
    public int LastSampleSteps { get; private set; }

    public DiagonalOrnsteinUhlenbeck(int dim, double initMu = 0.0, double initLogKappa = -0.7, double initLogSigma = -1.0,
        string name = "diagonal_ou") : base(name)
    {
        if (dim < 1) throw new ArgumentException($"the OU dimension must be at least 1, got {dim}");
        Dim = dim;
        mu = new Parameter(full(dim, initMu));
        logKappa = new Parameter(full(dim, initLogKappa));
        logSigma = new Parameter(full(dim, initLogSigma));
        RegisterComponents();
    }

    public Parameter Mu => mu;
    public Parameter LogKappa => logKappa;
    public Parameter LogSigma => logSigma;

    public (Tensor Mu, Tensor Kappa, Tensor Sigma) Values() =>
        (mu, nn.functional.softplus(logKappa) + 1e-6, nn.functional.softplus(logSigma) + 1e-6);

    public (Tensor Drift, Tensor Diffusion) Coefficients(Tensor z, Tensor? t)
    {
        var (m, k, s) = Values();
        return (k * (m - z), s.expand_as(z));
    }

    /// <summary>Exact transition over dt (broadcastable to (..., D)): decay e^{-kappa dt} and variance.</summary>
    public (Tensor Decay, Tensor Variance) Transition(Tensor dt)
    {
        var (_, k, s) = Values();
        dt = dt.clamp_min(1e-6);
        return ((-k * dt).exp(), s.square() * (1 - (-2.0 * k * dt).exp()) / (2 * k));
    }

    public Tensor PathLogProb(Tensor y, Tensor times, Tensor y0)
    {
        if (y.dim() != 3 || y.shape[2] != Dim) throw new ArgumentException($"the path must be (batch, time, {Dim}), got ({string.Join(", ", y.shape)})");
        if (times.dim() != 1 || times.shape[0] != y.shape[1]) throw new ArgumentException($"the time grid must have {y.shape[1]} points, got ({string.Join(", ", times.shape)})");
        OuGrid.Increments(times);
        long T = y.shape[1];
        var dt = (times[1..] - times[..^1]).to_type(y.dtype).view(1, T - 1, 1);      // (1, T-1, 1)
        var (decay, variance) = Transition(dt);                                       // (1, T-1, D)
        var prev = cat([y0.unsqueeze(1), y[.., 1..(int)(T - 1)]], 1);                  // (B, T-1, D)
        var mean = mu + decay * (prev - mu);
        return OuGrid.DiagonalGaussianLogProb(y[.., 1..], mean, variance).sum(1);    // (B)
    }

    public Tensor SamplePath(Tensor times, Tensor y0, Generator? generator = null)
    {
        var dts = OuGrid.Increments(times);
        var steps = new List<Tensor> { y0 };
        var y = y0;
        var (m, _, _) = Values();
        foreach (double dt in dts)
        {
            var (decay, variance) = Transition(tensor(dt, dtype: y0.dtype));
            var mean = m + decay * (y - m);
            y = mean + randn(mean.shape, dtype: y0.dtype, generator: generator) * variance.sqrt();
            steps.Add(y);
        }
        LastSampleSteps = dts.Length;
        return stack(steps, 1); // (n, T, D)
    }
}
