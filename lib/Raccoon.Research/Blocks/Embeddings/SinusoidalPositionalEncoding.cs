using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Embeddings;

/// <summary>
/// Adds the fixed sinusoidal position signal of upstream's pico-style encoder:
/// pe[u, j] = sin(u / lenMax^((j - j mod 2) / C) + (pi/2)(j mod 2)), i.e. sin on even and cos on odd channels.
/// No parameters; works for any sequence length.
/// </summary>
public sealed class SinusoidalPositionalEncoding : nn.Module<Tensor, Tensor>
{
    public double LenMax { get; }

    public SinusoidalPositionalEncoding(double lenMax = 1e5, string name = "positional_encoding") : base(name) => LenMax = lenMax;

    public override Tensor forward(Tensor x) => Forward(x, 0); // (B, T, C) -> (B, T, C)

    /// <summary>x (B, T, C) at positions offset .. offset + T - 1 (generation one token at a time).</summary>
    public Tensor Forward(Tensor x, long offset)
    {
        long t = x.shape[1], c = x.shape[2];
        var u = arange(offset, offset + t, dtype: x.dtype, device: x.device).unsqueeze(1); // (T, 1)
        var j = arange(c, dtype: ScalarType.Int64, device: x.device).unsqueeze(0); // (1, C)
        var k = j.remainder(2);
        var exponent = (j - k).to_type(x.dtype) / c;
        var angle = u / pow(LenMax, exponent) + Math.PI / 2 * k.to_type(x.dtype); // (T, C)
        return x + angle.sin();
    }
}
