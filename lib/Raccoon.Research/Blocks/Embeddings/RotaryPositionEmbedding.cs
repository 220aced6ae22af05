using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Embeddings;

/// <summary>
/// Rotary position embedding (RoPE, Su et al. 2021): rotates each pair of query/key channels by an
/// angle proportional to the position, so that q_i . k_j depends on i and j only through i - j.
/// Channels are paired half against half (channel c with c + hd/2); frequency of pair c is base^(-2c/hd).
/// No parameters; any length.
/// </summary>
public sealed class RotaryPositionEmbedding : nn.Module<Tensor, long, Tensor>
{
    public int HeadDim { get; }
    public double Base { get; }

    public RotaryPositionEmbedding(int headDim, double @base = 10_000, string name = "rotary") : base(name)
    {
        if (headDim < 2 || headDim % 2 != 0) throw new ArgumentException($"RoPE needs an even head dimension, got {headDim}");
        HeadDim = headDim;
        Base = @base;
    }

    /// <summary>x (B, h, T, hd) at positions offset .. offset + T - 1 -> rotated x, same shape.</summary>
    public override Tensor forward(Tensor x, long offset)
    {
        if (x.dim() != 4 || x.shape[3] != HeadDim)
            throw new ArgumentException($"RoPE expects (batch, heads, time, {HeadDim}), got ({string.Join(", ", x.shape)})");
        using var scope = NewDisposeScope();
        long t = x.shape[2];
        int half = HeadDim / 2;
        var inv = pow(Base, -arange(0, half, dtype: ScalarType.Float64, device: x.device) * 2.0 / HeadDim); // (hd/2)
        var pos = arange(offset, offset + t, dtype: ScalarType.Float64, device: x.device);                // (T)
        var angle = outer(pos, inv).to_type(x.dtype);                                                     // (T, hd/2)
        var cos = angle.cos(); var sin = angle.sin();
        var x1 = x.narrow(-1, 0, half); var x2 = x.narrow(-1, half, half);                                // (B, h, T, hd/2)
        return cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1).MoveToOuterDisposeScope();             // (B, h, T, hd)
    }
}
