using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Blocks.FeedForward;

namespace Raccoon.Research.Models.LatentOde;

/// <summary>How token positions enter the transformers: upstream's additive sinusoid, RoPE or ALiBi.</summary>
public enum PositionEncoding { Sinusoidal, Rope, Alibi }

/// <summary>
/// Sizes and switches of the latent ODE model. <see cref="Upstream"/> is the file's own main:
/// (vocab, latent, hidden, embed) = (30, 64, 128, 64), 4 heads, 4 encoder blocks, a 5-layer prior ODE,
/// 1024 slices, sinusoidal positions, reference attention with separate Q/K/V, pre-norm, ReLU.
/// <see cref="Modern"/> is the document's proposal: RoPE, fused attention and QKV, pre-norm, SwiGLU.
/// </summary>
public sealed record LatentOdeConfig(
    int Vocab = 30, int Latent = 64, int Hidden = 128, int Embed = 64, int Heads = 4, int EncoderBlocks = 4,
    int PriorDepth = 5, int Slices = 1024, int FfnHidden = 128,
    PositionEncoding Positions = PositionEncoding.Sinusoidal, AttentionKernel Kernel = AttentionKernel.Reference,
    QkvLayout Layout = QkvLayout.Separate, NormOrder Norm = NormOrder.Pre, FeedForwardKind FeedForward = FeedForwardKind.Relu)
{
    public static LatentOdeConfig Upstream { get; } = new();

    public static LatentOdeConfig Modern { get; } = new()
    {
        Positions = PositionEncoding.Rope, Kernel = AttentionKernel.Fused, Layout = QkvLayout.Fused, FeedForward = FeedForwardKind.SwiGlu,
    };

    public AttentionPositions AttentionPositions => Positions switch
    {
        PositionEncoding.Rope => Blocks.Attention.AttentionPositions.Rope,
        PositionEncoding.Alibi => Blocks.Attention.AttentionPositions.Alibi,
        _ => Blocks.Attention.AttentionPositions.None,
    };

    public TransformerBlockConfig Block(bool causal) => new(Hidden, Heads, FfnHidden, causal, Norm, FeedForward, AttentionPositions, Layout);

    public void Validate()
    {
        if (Vocab < 4 || Latent < 1 || Hidden < 1 || Embed < 1 || EncoderBlocks < 1 || PriorDepth < 1 || Slices < 1 || FfnHidden < 1)
            throw new ArgumentException($"latent ODE sizes must be positive (vocabulary at least 4): {this}");
        if (Heads < 1 || Hidden % Heads != 0) throw new ArgumentException($"hidden width {Hidden} is not divisible by {Heads} heads");
    }
}
