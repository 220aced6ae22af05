using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Normalization;

/// <summary>
/// Layer normalisation over the last dimension that divides by (std + eps), std the population
/// standard deviation, as RustGPT's LayerNorm does; torch's LayerNorm divides by sqrt(var + eps).
/// Learnable gamma (init 1) and beta (init 0), 2D parameters.
/// </summary>
public sealed class StdLayerNorm : nn.Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.Parameter gamma, beta;

    public int Dim { get; }
    public double Eps { get; }

    public StdLayerNorm(int dim, double eps = 1e-5, string name = "layer_norm") : base(name)
    {
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "dimension must be positive");
        Dim = dim;
        Eps = eps;
        gamma = nn.Parameter(ones(dim));
        beta = nn.Parameter(zeros(dim));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // (..., D) -> (..., D)
    {
        if (x.shape[^1] != Dim)
            throw new ArgumentException($"layer norm expects last dimension {Dim}, got ({string.Join(", ", x.shape)})");
        using var scope = NewDisposeScope();
        var mean = x.mean([-1L], keepdim: true);
        var centred = x - mean;
        var std = centred.square().mean([-1L], keepdim: true).sqrt(); // population std, as ndarray's std_axis(ddof = 0)
        if (!is_grad_enabled())
            // the same operations in the same order, in place on the one full-size tensor: bit for bit the same values,
            // without three full-size allocations (on CPU each is fresh memory, paged in on first touch)
            return centred.div_(std.add_(Eps)).mul_(gamma).add_(beta).MoveToOuterDisposeScope();
        var normalised = centred / (std + Eps);
        return (normalised * gamma + beta).MoveToOuterDisposeScope();
    }
}
