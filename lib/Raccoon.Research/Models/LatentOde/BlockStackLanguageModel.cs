using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Checkpointing;
using Raccoon.Research.Blocks.Embeddings;
using Raccoon.Research.Blocks.Encoders;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.LatentOde;

/// <summary>
/// A next-token model made of the latent ODE model's transformer block, for the document's block-level
/// claims at sizes this machine can train: embedding -> (sinusoid) -> depth x block (causal) -> LayerNorm -> Linear.
/// </summary>
public sealed class BlockStackLanguageModel : nn.Module<Tensor, Tensor>, IRegisteredModel
{
    public const string Kind = "block-stack";
    string IRegisteredModel.ModelKind => Kind;
    object IRegisteredModel.ModelConfig => Config;

    /// <summary>What built this stack, as the registry rebuilds it.</summary>
    public BlockStackConfig Config { get; }

    public BlockStackLanguageModel(BlockStackConfig config) : this(config.Vocab, config.Depth, config.Block, config.Positions, config.Kernel) { }

    readonly Embedding emb;
    readonly SinusoidalPositionalEncoding? pos_enc;
    readonly ModuleList<TransformerBlock> blocks;
    readonly LayerNorm final_ln;
    readonly Linear head;

    public BlockStackLanguageModel(int vocab, int depth, TransformerBlockConfig block, PositionEncoding positions, AttentionKernel kernel = AttentionKernel.Fused, string name = "block_stack") : base(name)
    {
        if (depth < 1) throw new ArgumentException($"depth must be at least 1, got {depth}");
        Config = new BlockStackConfig(vocab, depth, block, positions, kernel);
        emb = nn.Embedding(vocab, block.ModelDim);
        if (positions == PositionEncoding.Sinusoidal) pos_enc = new SinusoidalPositionalEncoding(1e5);
        var attentionPositions = positions switch
        {
            PositionEncoding.Rope => AttentionPositions.Rope,
            PositionEncoding.Alibi => AttentionPositions.Alibi,
            _ => AttentionPositions.None,
        };
        blocks = nn.ModuleList(Enumerable.Range(0, depth).Select(_ => new TransformerBlock(block with { Causal = true, Positions = attentionPositions }, kernel)).ToArray());
        final_ln = nn.LayerNorm(block.ModelDim);
        head = nn.Linear(block.ModelDim, vocab);
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens) // (B, T) -> logits (B, T, V)
    {
        using var scope = NewDisposeScope();
        var x = emb.forward(tokens);
        if (pos_enc is not null) x = pos_enc.forward(x);
        foreach (var b in blocks) x = b.forward(x);
        return head.forward(final_ln.forward(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Mean next-token cross-entropy over positions from <paramref name="from"/> on: logits at t predict tokens[t + 1].</summary>
    public Tensor Loss(Tensor tokens, int from = 0)
    {
        using var scope = NewDisposeScope();
        long t = tokens.shape[1];
        var logits = forward(tokens.narrow(1, 0, t - 1)).narrow(1, from, t - 1 - from);  // (B, T-1-from, V)
        var targets = tokens.narrow(1, 1 + from, t - 1 - from);
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), targets.reshape(-1)).MoveToOuterDisposeScope();
    }
}

/// <summary>A <see cref="BlockStackLanguageModel"/>'s constructor arguments as one record (what its checkpoints record).</summary>
public sealed record BlockStackConfig(int Vocab, int Depth, TransformerBlockConfig Block, PositionEncoding Positions, AttentionKernel Kernel = AttentionKernel.Fused);
