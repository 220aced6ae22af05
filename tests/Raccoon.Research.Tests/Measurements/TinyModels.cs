using Raccoon.Research.Blocks.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Measurements;

/// <summary>A pre-norm transformer block (attention + 4x MLP), small enough to count by hand.</summary>
sealed class TinyBlock : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm ln1;
    readonly SelfAttention attn;
    readonly LayerNorm ln2;
    readonly Sequential mlp;

    public TinyBlock(int d, int heads, bool causal = true) : base(nameof(TinyBlock))
    {
        ln1 = nn.LayerNorm(d);
        attn = new SelfAttention(new SelfAttentionConfig(d, heads, causal));
        ln2 = nn.LayerNorm(d);
        mlp = nn.Sequential(("fc", nn.Linear(d, 4 * d)), ("act", nn.GELU()), ("proj", nn.Linear(4 * d, d)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // (B, T, D)
    {
        var attended = x + attn.forward(ln1.forward(x));
        return attended + mlp.forward(ln2.forward(attended));
    }
}

/// <summary>Token embedding, blocks, a final norm and a head whose weight is the embedding's (tied).</summary>
sealed class TinyLanguageModel : nn.Module<Tensor, Tensor>
{
    readonly Embedding tok;
    readonly ModuleList<TinyBlock> blocks;
    readonly LayerNorm norm;
    readonly Linear head;

    public TinyLanguageModel(int vocab, int d, int heads, int layers, bool tie) : base(nameof(TinyLanguageModel))
    {
        tok = nn.Embedding(vocab, d);
        blocks = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => new TinyBlock(d, heads)).ToArray());
        norm = nn.LayerNorm(d);
        head = nn.Linear(d, vocab, hasBias: false);
        if (tie) head.weight = tok.weight!;
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens) // (B, T) -> (B, T, V)
    {
        var h = tok.forward(tokens);
        foreach (var b in blocks) h = b.forward(h);
        return head.forward(norm.forward(h));
    }
}
