using Raccoon.Research.Blocks.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Encoders;

/// <summary>Shape of a pre-LayerNorm transformer encoder.</summary>
public sealed record TransformerEncoderConfig(int ModelDim, int Heads, int Blocks, int FfnHidden, bool AttentionBias = false)
{
    public int HeadDim => ModelDim / Heads;
}

/// <summary>
/// Pre-LN transformer block: x + Attention(LN(x)), then + FFN(LN(.)) with a ReLU FFN
/// (the pico-style block of upstream's sequence encoder).
/// </summary>
public sealed class PreNormTransformerBlock : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm att_ln, ffn_ln;
    readonly SelfAttention attention;
    readonly Linear ffn_fc1, ffn_fc2;

    public PreNormTransformerBlock(TransformerEncoderConfig config, AttentionKernel kernel, string name = "transformer_block") : base(name)
    {
        att_ln = nn.LayerNorm(config.ModelDim);
        attention = new SelfAttention(new SelfAttentionConfig(config.ModelDim, config.Heads, Causal: false,
            QkvBias: config.AttentionBias, OutputProjection: true, OutputBias: config.AttentionBias), kernel);
        ffn_ln = nn.LayerNorm(config.ModelDim);
        ffn_fc1 = nn.Linear(config.ModelDim, config.FfnHidden);
        ffn_fc2 = nn.Linear(config.FfnHidden, config.ModelDim);
        RegisterComponents();
    }

    public SelfAttention Attention => attention;

    public override Tensor forward(Tensor x) // (B, T, D) -> (B, T, D)
    {
        var attended = x + attention.forward(att_ln.forward(x));
        var hidden = nn.functional.relu(ffn_fc1.forward(ffn_ln.forward(attended))); // (B, T, F)
        return attended + ffn_fc2.forward(hidden);
    }
}

/// <summary>A stack of pre-LN transformer blocks over the shared self-attention; no final norm.</summary>
public sealed class TransformerEncoder : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<PreNormTransformerBlock> blocks;

    public TransformerEncoderConfig Config { get; }

    public TransformerEncoder(TransformerEncoderConfig config, AttentionKernel kernel = AttentionKernel.Fused, string name = "transformer_encoder") : base(name)
    {
        if (config.ModelDim % config.Heads != 0) throw new ArgumentException($"model dim {config.ModelDim} is not divisible by {config.Heads} heads");
        Config = config;
        blocks = nn.ModuleList(Enumerable.Range(0, config.Blocks).Select(_ => new PreNormTransformerBlock(config, kernel)).ToArray());
        RegisterComponents();
    }

    public IReadOnlyList<PreNormTransformerBlock> Blocks => blocks.ToList();

    /// <summary>Switches every block between the reference and the fused attention kernel (same weights).</summary>
    public AttentionKernel Kernel
    {
        get => blocks[0].Attention.Kernel;
        set { foreach (var b in blocks) b.Attention.Kernel = value; }
    }

    public override Tensor forward(Tensor x) // (B, T, D) -> (B, T, D)
    {
        foreach (var block in blocks) x = block.forward(x);
        return x;
    }
}
