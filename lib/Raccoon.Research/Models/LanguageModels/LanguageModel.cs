using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Raccoon.Research.Blocks;
using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Embeddings;
using Raccoon.Research.Blocks.Mixing;
using Raccoon.Research.Blocks.Normalization;
using FF = Raccoon.Research.Blocks.FeedForward.FeedForward;

namespace Raccoon.Research.Models.LanguageModels;

/// <summary>One entry of a model's layer stack, as RustGPT prints it: type name and parameter count.</summary>
public sealed record StackLayer(int Index, string Type, long Parameters);

/// <summary>
/// A RustGPT-style language model: a flat stack of layers from Embeddings to OutputProjection,
/// applied in order to token ids (B, T) to give next-token logits (B, T, V).
/// </summary>
public abstract class LanguageModel : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<nn.Module<Tensor, Tensor>> stack;

    public LanguageModelConfig Config { get; }
    public abstract string Architecture { get; }

    protected LanguageModel(LanguageModelConfig config, IEnumerable<nn.Module<Tensor, Tensor>> blocks, string name) : base(name)
    {
        config.Validate();
        Config = config;
        var layers = new List<nn.Module<Tensor, Tensor>> { new TokenPositionEmbedding(config.VocabularySize, config.MaxLength, config.ModelDim) };
        layers.AddRange(blocks);
        layers.Add(nn.Linear(config.ModelDim, config.VocabularySize, hasBias: true));
        stack = nn.ModuleList(layers.ToArray());
        RegisterComponents();
        InitialiseLikeRustGpt();
    }

    public override Tensor forward(Tensor tokens) // (B, T) int64 -> (B, T, V)
    {
        using var scope = NewDisposeScope();
        var h = tokens;
        foreach (var layer in stack) h = layer.forward(h); // (B, T, D) between the ends
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>The layers in order, named as RustGPT's summary names them.</summary>
    public IReadOnlyList<StackLayer> LayerStack =>
        stack.Select((m, i) => new StackLayer(i, TypeName(m), m.parameters().Sum(p => p.numel()))).ToList();

    /// <summary>Trainable parameters, each counted once (a shared hypernetwork counts once).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    protected IEnumerable<nn.Module<Tensor, Tensor>> Layers => stack;

    static string TypeName(nn.Module<Tensor, Tensor> m) => m switch
    {
        TokenPositionEmbedding => "Embeddings",
        Residual r => TypeName(r.Inner),
        SelfAttention => "SelfAttention",
        StdLayerNorm => "LayerNorm",
        FF => "FeedForward",
        HyperMixerBlock => "HyperMixerBlock",
        Linear => "OutputProjection",
        _ => m.GetType().Name,
    };

    /// <summary>RustGPT's initialisation: embeddings and positions N(0, 0.02); weight matrices He-normal
    /// N(0, 2 / fan_in); biases zero; LayerNorm gamma 1, beta 0.</summary>
    void InitialiseLikeRustGpt()
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case TokenPositionEmbedding e:
                    nn.init.normal_(e.Tokens.weight!, 0, 0.02);
                    nn.init.normal_(e.Positions, 0, 0.02);
                    break;
                case Linear l:
                    nn.init.normal_(l.weight!, 0, Math.Sqrt(2.0 / l.weight!.shape[1]));
                    if (l.bias is not null) nn.init.zeros_(l.bias);
                    break;
            }
        }
    }
}

/// <summary>
/// RustGPT's Transformer language model (69aa104): embeddings, then per block SelfAttention (single
/// head, causal, no bias, no output projection, residual inside), LayerNorm, FeedForward (ReLU,
/// residual inside), LayerNorm (post-norm), then OutputProjection. 14 layers for 3 blocks.
/// </summary>
public sealed class TransformerLanguageModel : LanguageModel, IRegisteredModel
{
    public const string Kind = "transformer-language-model";
    string IRegisteredModel.ModelKind => Kind;
    object IRegisteredModel.ModelConfig => Config;

    public override string Architecture => "Transformer";

    public TransformerLanguageModel(LanguageModelConfig config, AttentionKernel kernel = AttentionKernel.Fused)
        : base(config, Blocks(config, kernel), "transformer_lm") { }

    static IEnumerable<nn.Module<Tensor, Tensor>> Blocks(LanguageModelConfig c, AttentionKernel kernel)
    {
        for (int i = 0; i < c.Layers; i++)
        {
            yield return new Residual(new SelfAttention(new SelfAttentionConfig(c.ModelDim, Heads: 1, Causal: true, QkvBias: false, OutputProjection: false), kernel));
            yield return new StdLayerNorm(c.ModelDim);
            yield return new Residual(new FF(c.ModelDim, c.HiddenDim));
            yield return new StdLayerNorm(c.ModelDim);
        }
    }

    /// <summary>Switches every attention layer between the reference and the fused kernel (same weights).</summary>
    public AttentionKernel Kernel
    {
        set { foreach (var (_, m) in named_modules()) if (m is SelfAttention a) a.Kernel = value; }
    }
}

/// <summary>Which token mixing a HyperMixer model uses: RustGPT's (sees the whole sequence) or the causal one.</summary>
public enum HyperMixerVariant { Upstream, Causal }

/// <summary>
/// RustGPT's HyperMixer language model (69aa104): embeddings, HyperMixerBlock x Layers,
/// OutputProjection. The Upstream variant's token mixing reads future positions, so in next-token
/// training a position sees its own target; the Causal variant has the same parameters and does not.
/// </summary>
public sealed class HyperMixerLanguageModel : LanguageModel, IRegisteredModel
{
    public const string Kind = "hypermixer-language-model", CausalKind = "causal-hypermixer-language-model";
    string IRegisteredModel.ModelKind => Variant == HyperMixerVariant.Upstream ? Kind : CausalKind;
    object IRegisteredModel.ModelConfig => Config;

    /// <summary>Upstream's names; the causal variant's constant masks stay out of the file (upstream mixes without them).</summary>
    public static IO.ParameterNames PyTorchNames { get; } = new((@"\.token_mixing\.(input|output)Mask$", null));

    public HyperMixerVariant Variant { get; }
    public override string Architecture => Variant == HyperMixerVariant.Upstream ? "HyperMixer" : "HyperMixer (causal)";

    public HyperMixerLanguageModel(LanguageModelConfig config, HyperMixerVariant variant = HyperMixerVariant.Upstream)
        : base(config, Blocks(config, variant), variant == HyperMixerVariant.Upstream ? "hypermixer_lm" : "causal_hypermixer_lm")
    {
        Variant = variant;
    }

    public static HyperTokenMixerConfig MixerConfig(LanguageModelConfig c, HyperMixerVariant variant) =>
        new(c.ModelDim, c.TokenMixHidden, c.MaxLength, c.HypernetworkHidden, Causal: variant == HyperMixerVariant.Causal);

    static IEnumerable<nn.Module<Tensor, Tensor>> Blocks(LanguageModelConfig c, HyperMixerVariant variant)
    {
        var mixer = MixerConfig(c, variant);
        FF? shared = c.ShareHypernetwork ? new FF(mixer.ModelDim, mixer.HyperHidden, mixer.GeneratedSize, name: "hypernetwork") : null;
        for (int i = 0; i < c.Layers; i++) yield return new HyperMixerBlock(mixer, c.HiddenDim, shared);
    }
}
