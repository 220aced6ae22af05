using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Statistics;

/// <summary>
/// A diagonal Gaussian prior N(mu_p, exp(logvar_p)) with learnable mean and log-variance (zeros at start),
/// and upstream RaccoonLogClassifier's KL term to it.
/// </summary>
public sealed class LearnableGaussianPrior : nn.Module
{
    readonly Parameter z0_mean, z0_logvar;

    public LearnableGaussianPrior(int dim, string name = "prior") : base(name)
    {
        z0_mean = new Parameter(zeros(dim));
        z0_logvar = new Parameter(zeros(dim));
        RegisterComponents();
    }

    public Parameter Mean => z0_mean;
    public Parameter LogVar => z0_logvar;

    /// <summary>
    /// KL(q || p) for q = N(mean, exp(logvar)) (B, D), as upstream computes it: the per-coordinate terms
    /// averaged over batch and coordinates (not summed over D), 1e-8 added to var_p, clamped at 0.
    /// </summary>
    public Tensor Kl(Tensor mean, Tensor logvar)
    {
        var varQ = logvar.exp();
        var varP = z0_logvar.exp();
        var terms = z0_logvar - logvar + (varQ + (mean - z0_mean).square()) / (varP + 1e-8) - 1; // (B, D)
        return (0.5 * terms.mean()).clamp_min(0.0);
    }
}
