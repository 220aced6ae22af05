using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Embeddings;

/// <summary>
/// Scalar time -> [sin(t f_k), cos(t f_k)] with Dim/2 frequencies spaced geometrically from 1 to
/// <c>maxFrequency</c> (1000 in upstream's multi-scale time embedding; 16 in the path flow's TimeEmbed). No parameters.
/// </summary>
public sealed class MultiFrequencyTimeEmbedding : nn.Module<Tensor, Tensor>
{
    readonly Tensor freqs; // (Dim/2)

    public int Dim { get; }
    public double MaxFrequency { get; }

    public MultiFrequencyTimeEmbedding(int dim = 32, string name = "time_embedding", double maxFrequency = 1000.0) : base(name)
    {
        if (dim % 2 != 0) throw new ArgumentException($"time embedding dim must be even, got {dim}");
        if (!(maxFrequency >= 1)) throw new ArgumentException($"the highest frequency must be at least 1, got {maxFrequency}");
        Dim = dim;
        MaxFrequency = maxFrequency;
        freqs = linspace(Math.Log(1.0), Math.Log(maxFrequency), dim / 2).exp();
        RegisterComponents();
    }

    public override Tensor forward(Tensor t) // (B, 1) -> (B, Dim)
    {
        if (t.dim() != 2 || t.shape[1] != 1) throw new ArgumentException($"time must have shape (batch, 1), got ({string.Join(", ", t.shape)})");
        var angles = t * freqs.unsqueeze(0); // (B, Dim/2)
        return cat([angles.sin(), angles.cos()], 1); // (B, Dim)
    }
}
