using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Embeddings;

/// <summary>
/// Scalar time -> [sin(t f_k), cos(t f_k)] with Dim/2 frequencies spaced geometrically from 1 to 1000,
/// as upstream's multi-scale time embedding. No parameters.
/// </summary>
public sealed class MultiFrequencyTimeEmbedding : nn.Module<Tensor, Tensor>
{
    readonly Tensor freqs; // (Dim/2)

    public int Dim { get; }

    public MultiFrequencyTimeEmbedding(int dim = 32, string name = "time_embedding") : base(name)
    {
        if (dim % 2 != 0) throw new ArgumentException($"time embedding dim must be even, got {dim}");
        Dim = dim;
        freqs = linspace(Math.Log(1.0), Math.Log(1000.0), dim / 2).exp();
        RegisterComponents();
    }

    public override Tensor forward(Tensor t) // (B, 1) -> (B, Dim)
    {
        if (t.dim() != 2 || t.shape[1] != 1) throw new ArgumentException($"time must have shape (batch, 1), got ({string.Join(", ", t.shape)})");
        var angles = t * freqs.unsqueeze(0); // (B, Dim/2)
        return cat([angles.sin(), angles.cos()], 1); // (B, Dim)
    }
}
