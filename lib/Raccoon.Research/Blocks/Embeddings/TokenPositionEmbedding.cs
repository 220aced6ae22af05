using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Embeddings;

/// <summary>Token embedding (V x D) plus learned absolute positions (L x D), summed. Rejects token
/// ids outside the vocabulary and sequences longer than L with errors that say so.</summary>
public sealed class TokenPositionEmbedding : nn.Module<Tensor, Tensor>
{
    readonly Embedding tokens;
    readonly Parameter positions;

    public int VocabularySize { get; }
    public int MaxLength { get; }
    public int Dim { get; }

    public TokenPositionEmbedding(int vocabularySize, int maxLength, int dim, string name = "embeddings") : base(name)
    {
        if (vocabularySize < 1 || maxLength < 1 || dim < 1)
            throw new ArgumentException($"embedding sizes must be positive: vocabulary {vocabularySize}, length {maxLength}, dim {dim}");
        VocabularySize = vocabularySize;
        MaxLength = maxLength;
        Dim = dim;
        tokens = nn.Embedding(vocabularySize, dim);
        positions = nn.Parameter(zeros(maxLength, dim));
        RegisterComponents();
    }

    public Embedding Tokens => tokens;
    public Parameter Positions => positions;

    public override Tensor forward(Tensor ids) // (B, T) int64 -> (B, T, D)
    {
        if (ids.dim() != 2)
            throw new ArgumentException($"embeddings expect token ids of shape (batch, time), got ({string.Join(", ", ids.shape)})");
        if (ids.dtype != ScalarType.Int64)
            throw new ArgumentException($"token ids must be int64, got {ids.dtype}");
        long t = ids.shape[1];
        if (ids.shape[0] == 0 || t == 0)
            throw new ArgumentException($"empty batch of token ids ({string.Join(", ", ids.shape)})");
        if (t > MaxLength)
            throw new ArgumentException($"sequence of {t} tokens exceeds the maximum length {MaxLength}");
        long min = ids.min().item<long>(), max = ids.max().item<long>();
        if (min < 0 || max >= VocabularySize)
            throw new ArgumentException($"token id {(min < 0 ? min : max)} is outside the vocabulary [0, {VocabularySize})");
        using var scope = NewDisposeScope();
        return (tokens.forward(ids) + positions.narrow(0, 0, t)).MoveToOuterDisposeScope(); // (B, T, D)
    }
}
