using Raccoon.Research.Blocks.Embeddings;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Attention;

/// <summary>Where positions enter attention: nowhere (the model adds them to its input, as the sinusoidal
/// encoding does), as a rotation of queries and keys (RoPE), or as a bias on the scores (ALiBi).</summary>
public enum AttentionPositions { None, Rope, Alibi }

/// <summary>How the Q, K, V projections are stored: three D x D matrices read one after another, or one
/// 3D x D matrix read once. Same parameter count.</summary>
public enum QkvLayout { Separate, Fused }

/// <summary>Shape of a multi-head self-attention layer with the modern switches.</summary>
public sealed record MultiHeadSelfAttentionConfig(
    int ModelDim, int Heads, bool Causal = false, AttentionPositions Positions = AttentionPositions.None,
    QkvLayout Layout = QkvLayout.Separate, bool Bias = false)
{
    public int HeadDim => ModelDim / Heads;
}

/// <summary>
/// Multi-head self-attention as upstream's QKVAttention (no biases, scores / sqrt(head dim), output
/// projection), with switches for the modern variants: RoPE or ALiBi positions, a fused QKV matrix, the
/// reference kernel (explicit T x T scores and softmax) or the fused one (scaled_dot_product_attention),
/// and a KV cache for generation one token at a time.
/// </summary>
public sealed class MultiHeadSelfAttention : nn.Module<Tensor, Tensor>
{
    readonly Linear? wq, wk, wv, wqkv;
    readonly Linear wo;
    readonly RotaryPositionEmbedding? rope;
    readonly AlibiBias? alibi;

    public MultiHeadSelfAttentionConfig Config { get; }
    public AttentionKernel Kernel { get; set; }

    public MultiHeadSelfAttention(MultiHeadSelfAttentionConfig config, AttentionKernel kernel = AttentionKernel.Reference, string name = "attention") : base(name)
    {
        if (config.Heads < 1 || config.ModelDim % config.Heads != 0)
            throw new ArgumentException($"model dim {config.ModelDim} is not divisible by {config.Heads} heads");
        Config = config;
        Kernel = kernel;
        int d = config.ModelDim;
        if (config.Layout == QkvLayout.Fused) wqkv = nn.Linear(d, 3 * d, hasBias: config.Bias);
        else { wq = nn.Linear(d, d, hasBias: config.Bias); wk = nn.Linear(d, d, hasBias: config.Bias); wv = nn.Linear(d, d, hasBias: config.Bias); }
        wo = nn.Linear(d, d, hasBias: config.Bias);
        if (config.Positions == AttentionPositions.Rope) rope = new RotaryPositionEmbedding(config.HeadDim);
        if (config.Positions == AttentionPositions.Alibi) alibi = new AlibiBias(config.Heads);
        RegisterComponents();
    }

    /// <summary>The Q, K, V projection weights as three (D, D) matrices, whatever the layout (views of the parameters).</summary>
    public (Tensor Q, Tensor K, Tensor V) Weights => wqkv is null ? (wq!.weight!, wk!.weight!, wv!.weight!)
        : (wqkv.weight!.narrow(0, 0, Config.ModelDim), wqkv.weight!.narrow(0, Config.ModelDim, Config.ModelDim), wqkv.weight!.narrow(0, 2 * Config.ModelDim, Config.ModelDim));

    /// <summary>Copies Q, K, V and output weights (and biases) from another attention of the same shape, whatever its layout.</summary>
    public void CopyFrom(MultiHeadSelfAttention other)
    {
        using var _ = no_grad();
        var (q, k, v) = other.Weights;
        if (wqkv is not null) wqkv.weight!.copy_(cat([q, k, v], 0));
        else { wq!.weight!.copy_(q); wk!.weight!.copy_(k); wv!.weight!.copy_(v); }
        wo.weight!.copy_(other.wo.weight!);
        if (Config.Bias && other.Config.Bias)
        {
            var ob = other.wqkv is not null ? other.wqkv.bias! : cat([other.wq!.bias!, other.wk!.bias!, other.wv!.bias!], 0);
            if (wqkv is not null) wqkv.bias!.copy_(ob);
            else { wq!.bias!.copy_(ob.narrow(0, 0, Config.ModelDim)); wk!.bias!.copy_(ob.narrow(0, Config.ModelDim, Config.ModelDim)); wv!.bias!.copy_(ob.narrow(0, 2 * Config.ModelDim, Config.ModelDim)); }
            wo.bias!.copy_(other.wo.bias!);
        }
    }

    public override Tensor forward(Tensor x) => Forward(x, null); // (B, T, D) -> (B, T, D)

    /// <summary>The query, key and value projections alone, per head: x (B, t, D) -> three (B, h, t, hd), by one fused
    /// matrix or three separate ones as the layout says (T1-05 times this step on its own).</summary>
    public (Tensor Q, Tensor K, Tensor V) Project(Tensor x)
    {
        long b = x.shape[0], t = x.shape[1];
        int h = Config.Heads, hd = Config.HeadDim;
        if (wqkv is not null)
        {
            var qkv = wqkv.forward(x).view(b, t, 3, h, hd).permute(2, 0, 3, 1, 4); // (3, B, h, t, hd)
            return (qkv[0], qkv[1], qkv[2]);
        }
        return (wq!.forward(x).view(b, t, h, hd).transpose(1, 2), // (B, h, t, hd)
                wk!.forward(x).view(b, t, h, hd).transpose(1, 2),
                wv!.forward(x).view(b, t, h, hd).transpose(1, 2));
    }

    /// <summary>x (B, t, D): the next t positions. With a cache, keys and values of earlier positions come
    /// from it and these positions' are appended; positions are numbered from the cache's length.</summary>
    public Tensor Forward(Tensor x, KvCache? cache)
    {
        if (x.dim() != 3 || x.shape[2] != Config.ModelDim)
            throw new ArgumentException($"attention expects (batch, time, {Config.ModelDim}), got ({string.Join(", ", x.shape)})");
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        int h = Config.Heads, hd = Config.HeadDim;
        long offset = cache?.Length ?? 0;
        var (q, k, v) = Project(x);
        if (rope is not null) { q = rope.forward(q, offset); k = rope.forward(k, offset); }
        if (cache is not null) (k, v) = cache.Append(k, v); // (B, h, T, hd), T = offset + t
        long keys = k.shape[2];
        Tensor? bias = alibi?.forward(t, keys, offset).to(x.device).to_type(x.dtype); // (h, t, T)
        // Query i (absolute offset + i) may see key j only when j <= offset + i.
        Tensor? future = Config.Causal ? ones(t, keys, dtype: ScalarType.Bool, device: x.device).triu(offset + 1) : null; // (t, T)
        Tensor y;
        if (Kernel == AttentionKernel.Reference)
        {
            var scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(hd); // (B, h, t, T)
            if (bias is not null) scores = scores + bias;
            if (future is not null) scores = scores.masked_fill(future, double.NegativeInfinity);
            y = scores.softmax(-1).matmul(v); // (B, h, t, hd)
        }
        else
        {
            Tensor? mask = bias;
            if (future is not null)
                mask = mask is null ? (offset == 0 && t == keys ? null : future.logical_not()) : mask.masked_fill(future, double.NegativeInfinity);
            bool causalFlag = future is not null && mask is null; // plain causal: let the kernel pick its causal path
            y = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask, is_casual: causalFlag); // (B, h, t, hd)
        }
        return wo.forward(y.transpose(1, 2).reshape(b, t, Config.ModelDim)).MoveToOuterDisposeScope(); // (B, t, D)
    }
}
