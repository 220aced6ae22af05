using static TorchSharp.torch;

namespace Raccoon.Research.Blocks;

/// <summary>Weight initialisations as PyTorch defines them, where TorchSharp's differ.</summary>
public static class Initialization
{
    /// <summary>
    /// Xavier (Glorot) normal, as <c>torch.nn.init.xavier_normal_</c>: N(0, gain² · 2 / (fan_in + fan_out)),
    /// fans counted over the receptive field. TorchSharp 0.107's <c>nn.init.xavier_normal_</c> calls
    /// libtorch's uniform initialiser (same standard deviation, but bounded at √3 of it), so a port of code
    /// that asks for the normal one calls this.
    /// </summary>
    public static Tensor XavierNormal(Tensor weight, double gain = 1.0)
    {
        if (weight.dim() < 2) throw new ArgumentException($"Xavier initialisation needs a weight of at least 2 dimensions, got shape [{string.Join(", ", weight.shape)}]", nameof(weight));
        long receptive = weight.shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        double fanIn = weight.shape[1] * receptive, fanOut = weight.shape[0] * receptive;
        double std = gain * Math.Sqrt(2.0 / (fanIn + fanOut));
        using (no_grad()) weight.normal_(0, std);
        return weight;
    }

    /// <summary>
    /// Truncated normal, as <c>torch.nn.init.trunc_normal_(w, mean, std, a, b)</c>: N(mean, std²) restricted
    /// to [<paramref name="a"/>, <paramref name="b"/>] (absolute bounds, PyTorch's defaults -2 and 2), drawn by
    /// the inverse CDF as PyTorch draws it. TorchSharp 0.107's <c>nn.init.trunc_normal_</c> fills the tensor
    /// with the constant <paramref name="std"/>, so every unit of a layer starts identical.
    /// </summary>
    public static Tensor TruncatedNormal(Tensor weight, double mean = 0, double std = 1, double a = -2, double b = 2)
    {
        if (!(std > 0)) throw new ArgumentOutOfRangeException(nameof(std), std, "the standard deviation must be positive");
        if (!(a < b)) throw new ArgumentException($"the bounds must satisfy a < b, got [{a}, {b}]");
        static double Cdf(double x) => (1 + Erf(x / Math.Sqrt(2))) / 2;
        double lo = Cdf((a - mean) / std), hi = Cdf((b - mean) / std);
        using (no_grad())
        {
            weight.uniform_(2 * lo - 1, 2 * hi - 1);
            weight.erfinv_();
            weight.mul_(std * Math.Sqrt(2));
            weight.add_(mean);
            weight.clamp_(a, b);
        }
        return weight;
    }

    /// <summary>The error function, in double precision, by libtorch's own erf.</summary>
    static double Erf(double x)
    {
        using var t = tensor(x, ScalarType.Float64);
        using var e = t.erf();
        return e.item<double>();
    }
}
