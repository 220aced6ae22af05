using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Embeddings;
using Raccoon.Research.Blocks.Encoders;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.LatentOde;

/// <summary>Adds the sinusoid when the configuration asks for it; RoPE and ALiBi act inside attention instead.</summary>
static class Positions
{
    public static Tensor Add(SinusoidalPositionalEncoding? encoding, Tensor x, long offset = 0) => encoding is null ? x : encoding.Forward(x, offset);
}

/// <summary>Upstream's DeterministicEncoder: tokens -> Embedding -> Linear(E -> H) -> positions -> blocks
/// (bidirectional) -> Linear(H -> latent): the latent path z (B, L, latent).</summary>
public sealed class LatentOdeEncoder : nn.Module<Tensor, Tensor>
{
    readonly Embedding emb;
    readonly Linear in_proj, proj;
    readonly SinusoidalPositionalEncoding? pos_enc;
    readonly ModuleList<TransformerBlock> trunk;

    public LatentOdeEncoder(LatentOdeConfig c, string name = "encoder") : base(name)
    {
        emb = nn.Embedding(c.Vocab, c.Embed);
        in_proj = nn.Linear(c.Embed, c.Hidden);
        if (c.Positions == PositionEncoding.Sinusoidal) pos_enc = new SinusoidalPositionalEncoding(1e5);
        trunk = nn.ModuleList(Enumerable.Range(0, c.EncoderBlocks).Select(_ => new TransformerBlock(c.Block(causal: false), c.Kernel)).ToArray());
        proj = nn.Linear(c.Hidden, c.Latent);
        RegisterComponents();
    }

    public IReadOnlyList<TransformerBlock> Blocks => trunk.ToList();

    /// <summary>tokens (B, L) -> hidden states (B, L, H) before the blocks.</summary>
    public Tensor Stem(Tensor tokens) => Positions.Add(pos_enc, in_proj.forward(emb.forward(tokens)));

    /// <summary>hidden (B, L, H) after the blocks -> z (B, L, latent).</summary>
    public Tensor Head(Tensor hidden) => proj.forward(hidden);

    public override Tensor forward(Tensor tokens) // (B, L) -> (B, L, latent)
    {
        using var scope = NewDisposeScope();
        var x = Stem(tokens); // (B, L, H)
        foreach (var block in trunk) x = block.forward(x);
        return Head(x).MoveToOuterDisposeScope();
    }
}

/// <summary>Upstream's DiscreteObservation: one causal block over latent_proj(z_t) + token_proj(emb(x_{t-1})),
/// then Linear(H -> vocab). The first position's previous token is "_".</summary>
public sealed class DiscreteObservation : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Embedding token_emb;
    readonly Linear latent_proj, token_proj, proj_out;
    readonly SinusoidalPositionalEncoding? pos_enc;
    readonly TransformerBlock block;

    public DiscreteObservation(LatentOdeConfig c, string name = "p_observe") : base(name)
    {
        token_emb = nn.Embedding(c.Vocab, c.Embed);
        latent_proj = nn.Linear(c.Latent, c.Hidden);
        token_proj = nn.Linear(c.Embed, c.Hidden);
        if (c.Positions == PositionEncoding.Sinusoidal) pos_enc = new SinusoidalPositionalEncoding(1e5);
        block = new TransformerBlock(c.Block(causal: true), c.Kernel);
        proj_out = nn.Linear(c.Hidden, c.Vocab);
        RegisterComponents();
    }

    public TransformerBlock Block => block;

    /// <summary>Teacher forcing: z (B, L, latent), tokens (B, L) -> logits (B, L, V) for tokens[:, t] given z[:, :t+1], tokens[:, :t].</summary>
    public override Tensor forward(Tensor z, Tensor tokens)
    {
        if (z.dim() != 3 || tokens.dim() != 2 || z.shape[0] != tokens.shape[0] || z.shape[1] != tokens.shape[1])
            throw new ArgumentException($"decoder expects z (B, L, latent) and tokens (B, L) of one batch and length, got ({string.Join(", ", z.shape)}) and ({string.Join(", ", tokens.shape)})");
        using var scope = NewDisposeScope();
        var previous = tokens.roll(1, 1).index_put_(tensor((long)TargetLetterTask.Underscore), TensorIndex.Colon, TensorIndex.Single(0)); // (B, L)
        var h = latent_proj.forward(z) + token_proj.forward(token_emb.forward(previous)); // (B, L, H)
        h = block.forward(Positions.Add(pos_enc, h));
        return proj_out.forward(h).MoveToOuterDisposeScope(); // (B, L, V)
    }

    /// <summary>One position with the KV cache: z_t (B, latent), previous token (B) at position cache.Length -> logits (B, V).</summary>
    public Tensor Step(Tensor zt, Tensor previousToken, KvCache cache)
    {
        using var scope = NewDisposeScope();
        long offset = cache.Length;
        var h = (latent_proj.forward(zt) + token_proj.forward(token_emb.forward(previousToken))).unsqueeze(1); // (B, 1, H)
        h = block.Forward(Positions.Add(pos_enc, h, offset), cache);
        return proj_out.forward(h).squeeze(1).MoveToOuterDisposeScope(); // (B, V)
    }
}

/// <summary>Upstream's Predictor (built, never called by the loss): positions -> Linear -> SiLU -> Linear.</summary>
public sealed class LatentPredictor : nn.Module<Tensor, Tensor>
{
    readonly SinusoidalPositionalEncoding pos_enc = new(1e5);
    readonly Sequential net;

    public LatentPredictor(int latent, int hidden, string name = "predictor") : base(name)
    {
        net = nn.Sequential(nn.Linear(latent, hidden), nn.SiLU(), nn.Linear(hidden, latent));
        RegisterComponents();
    }

    public override Tensor forward(Tensor z) => net.forward(pos_enc.forward(z));
}
