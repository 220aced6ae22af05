using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Attention;

/// <summary>
/// ALiBi (Press et al. 2021): no position embedding; each head adds -m_h |i - j| to its attention
/// scores. Slopes are the geometric sequence 2^(-8/n), 2^(-16/n), ... for n heads (a power of two);
/// for other n, the slopes of the next lower power of two followed by every other slope of the next
/// higher one, as the paper does. No parameters; any length.
/// </summary>
public sealed class AlibiBias : nn.Module<long, long, long, Tensor>
{
    public int Heads { get; }
    public IReadOnlyList<double> Slopes { get; }

    public AlibiBias(int heads, string name = "alibi") : base(name)
    {
        if (heads < 1) throw new ArgumentException($"ALiBi needs at least one head, got {heads}");
        Heads = heads;
        Slopes = SlopesFor(heads);
    }

    public static IReadOnlyList<double> SlopesFor(int heads)
    {
        static double[] Pow2(int n) => Enumerable.Range(1, n).Select(i => Math.Pow(2, -8.0 * i / n)).ToArray();
        if ((heads & (heads - 1)) == 0) return Pow2(heads);
        int lower = 1 << (int)Math.Floor(Math.Log2(heads));
        return Pow2(lower).Concat(Pow2(2 * lower).Where((_, i) => i % 2 == 0).Take(heads - lower)).ToArray();
    }

    /// <summary>Bias (h, Tq, Tk) for queries at positions offset .. offset + Tq - 1 against keys at 0 .. Tk - 1.</summary>
    public override Tensor forward(long queries, long keys, long offset)
    {
        using var scope = NewDisposeScope();
        var i = arange(offset, offset + queries, dtype: ScalarType.Float32).unsqueeze(1); // (Tq, 1)
        var j = arange(0, keys, dtype: ScalarType.Float32).unsqueeze(0);                  // (1, Tk)
        var distance = (i - j).abs();                                                      // (Tq, Tk)
        var m = tensor(Slopes.Select(s => (float)s).ToArray()).view(Heads, 1, 1);          // (h, 1, 1)
        return (-m * distance).MoveToOuterDisposeScope();                                   // (h, Tq, Tk)
    }
}
