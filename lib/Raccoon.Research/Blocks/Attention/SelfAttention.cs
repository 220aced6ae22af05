using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Attention;

/// <summary>How attention is computed: the plain reference (separate Q, K, V projections, explicit
/// softmax over a materialised T x T matrix) or the fast path (one fused QKV matmul and
/// scaled_dot_product_attention). Both use the same parameters and give the same output.</summary>
public enum AttentionKernel { Reference, Fused }

/// <summary>Shape of a self-attention layer. OutputProjection=false is RustGPT's single-head layer.</summary>
public sealed record SelfAttentionConfig(
    int ModelDim, int Heads = 1, bool Causal = false, bool QkvBias = true, bool OutputProjection = true, bool OutputBias = true)
{
    public int HeadDim => ModelDim / Heads;
}

/// <summary>
/// Multi-head self-attention with separate Wq, Wk, Wv (as the upstream models define them, so
/// parameter names and counts match) and two kernels over the same weights.
/// </summary>
public sealed class SelfAttention : nn.Module<Tensor, Tensor>
{
    readonly Linear wq, wk, wv;
    readonly Linear? wo;

    public SelfAttentionConfig Config { get; }
    public AttentionKernel Kernel { get; set; }

    public SelfAttention(SelfAttentionConfig config, AttentionKernel kernel = AttentionKernel.Fused, string name = "self_attention") : base(name)
    {
        if (config.ModelDim % config.Heads != 0)
            throw new ArgumentException($"model dim {config.ModelDim} is not divisible by {config.Heads} heads");
        Config = config;
        Kernel = kernel;
        wq = nn.Linear(config.ModelDim, config.ModelDim, hasBias: config.QkvBias);
        wk = nn.Linear(config.ModelDim, config.ModelDim, hasBias: config.QkvBias);
        wv = nn.Linear(config.ModelDim, config.ModelDim, hasBias: config.QkvBias);
        if (config.OutputProjection) wo = nn.Linear(config.ModelDim, config.ModelDim, hasBias: config.OutputBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // (B, T, D) -> (B, T, D)
    {
        if (x.dim() != 3 || x.shape[2] != Config.ModelDim)
            throw new ArgumentException($"self-attention expects (batch, time, {Config.ModelDim}), got ({string.Join(", ", x.shape)})");
        var y = Kernel == AttentionKernel.Fused ? FusedPath(x) : ReferencePath(x);
        return wo is null ? y : wo.forward(y);
    }

    Tensor ReferencePath(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        int h = Config.Heads, hd = Config.HeadDim;
        var q = wq.forward(x).view(b, t, h, hd).transpose(1, 2); // (B, h, T, hd)
        var k = wk.forward(x).view(b, t, h, hd).transpose(1, 2);
        var v = wv.forward(x).view(b, t, h, hd).transpose(1, 2);
        var scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(hd); // (B, h, T, T)
        if (Config.Causal)
        {
            var future = ones(t, t, dtype: ScalarType.Bool, device: x.device).triu(1);
            scores = scores.masked_fill(future, double.NegativeInfinity);
        }
        var y = scores.softmax(-1).matmul(v); // (B, h, T, hd)
        return y.transpose(1, 2).reshape(b, t, Config.ModelDim).MoveToOuterDisposeScope(); // (B, T, D)
    }

    Tensor FusedPath(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        int h = Config.Heads, hd = Config.HeadDim;
        var w = cat([wq.weight!, wk.weight!, wv.weight!], 0); // (3D, D)
        var bias = Config.QkvBias ? cat([wq.bias!, wk.bias!, wv.bias!], 0) : null;
        var qkv = nn.functional.linear(x, w, bias).view(b, t, 3, h, hd).permute(2, 0, 3, 1, 4); // (3, B, h, T, hd)
        var y = nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_casual: Config.Causal); // (B, h, T, hd)
        return y.transpose(1, 2).reshape(b, t, Config.ModelDim).MoveToOuterDisposeScope(); // (B, T, D)
    }
}
