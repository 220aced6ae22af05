using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.FeedForward;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Encoders;

/// <summary>Where the LayerNorms sit: before each sublayer inside the residual branch (pre-norm: x + f(LN(x)))
/// or after each residual sum (post-norm, the 2017 transformer: LN(x + f(x))).</summary>
public enum NormOrder { Pre, Post }

/// <summary>Shape and switches of one transformer block.</summary>
public sealed record TransformerBlockConfig(
    int ModelDim, int Heads, int FfnHidden, bool Causal = false, NormOrder Norm = NormOrder.Pre,
    FeedForwardKind FeedForward = FeedForwardKind.Relu, AttentionPositions Positions = AttentionPositions.None,
    QkvLayout Layout = QkvLayout.Separate, bool AttentionBias = false)
{
    public MultiHeadSelfAttentionConfig Attention => new(ModelDim, Heads, Causal, Positions, Layout, AttentionBias);
}

/// <summary>
/// A transformer block with every switch of document 001: norm order, feed-forward kind, attention
/// positions, QKV layout and attention kernel. With the defaults it is upstream's pico-style block:
/// x + Attn(LN(x)), then + fc2(ReLU(fc1(LN(.)))), no attention biases.
/// </summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm att_ln, ffn_ln;
    readonly MultiHeadSelfAttention att_mh;
    readonly nn.Module<Tensor, Tensor> ffn;

    public TransformerBlockConfig Config { get; }

    public TransformerBlock(TransformerBlockConfig config, AttentionKernel kernel = AttentionKernel.Reference, string name = "block") : base(name)
    {
        Config = config;
        att_ln = nn.LayerNorm(config.ModelDim);
        att_mh = new MultiHeadSelfAttention(config.Attention, kernel);
        ffn_ln = nn.LayerNorm(config.ModelDim);
        ffn = FeedForwards.Create(config.FeedForward, config.ModelDim, config.FfnHidden);
        RegisterComponents();
    }

    public MultiHeadSelfAttention Attention => att_mh;
    public LayerNorm AttentionNorm => att_ln;
    public LayerNorm FeedForwardNorm => ffn_ln;
    public nn.Module<Tensor, Tensor> FeedForward => ffn;

    public override Tensor forward(Tensor x) => Forward(x, null); // (B, T, D) -> (B, T, D)

    /// <summary>x (B, t, D), the next t positions; a cache holds the keys and values of the earlier ones.</summary>
    public Tensor Forward(Tensor x, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        Tensor r;
        if (Config.Norm == NormOrder.Pre)
        {
            r = x + att_mh.Forward(att_ln.forward(x), cache);     // (B, t, D)
            r = r + ffn.forward(ffn_ln.forward(r));
        }
        else
        {
            r = att_ln.forward(x + att_mh.Forward(x, cache));
            r = ffn_ln.forward(r + ffn.forward(r));
        }
        return r.MoveToOuterDisposeScope();
    }
}
