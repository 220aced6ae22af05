using static TorchSharp.torch;

namespace Raccoon.Research.Models;

/// <summary>Checks a classifier's inputs and names the problem: shape, dtype, empty batch, id outside the vocabulary.</summary>
public static class SequenceInput
{
    /// <summary>tokens must be (B, T) int64 with B, T > 0 and every id in [0, vocabularySize).</summary>
    public static void ValidateTokens(Tensor tokens, int vocabularySize)
    {
        if (tokens.dim() != 2)
            throw new ArgumentException($"tokens must be a (batch, time) tensor, got shape ({string.Join(", ", tokens.shape)})", nameof(tokens));
        if (tokens.dtype != ScalarType.Int64)
            throw new ArgumentException($"tokens must be int64 token ids, got {tokens.dtype}", nameof(tokens));
        if (tokens.shape[0] == 0)
            throw new ArgumentException("empty batch: tokens has no rows", nameof(tokens));
        if (tokens.shape[1] == 0)
            throw new ArgumentException("tokens has rows of length 0", nameof(tokens));
        long min = tokens.min().item<long>(), max = tokens.max().item<long>();
        if (min < 0 || max >= vocabularySize)
        {
            long bad = min < 0 ? min : max;
            throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {bad} is outside the vocabulary of size {vocabularySize} (ids 0..{vocabularySize - 1})");
        }
    }

    /// <summary>labels must be (B) int64 matching the batch, each in [0, classes).</summary>
    public static void ValidateLabels(Tensor labels, long batch, int classes)
    {
        if (labels.dim() != 1 || labels.shape[0] != batch)
            throw new ArgumentException($"labels must have shape ({batch}) to match the tokens, got ({string.Join(", ", labels.shape)})", nameof(labels));
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"labels must be int64 class ids, got {labels.dtype}", nameof(labels));
        long min = labels.min().item<long>(), max = labels.max().item<long>();
        if (min < 0 || max >= classes)
            throw new ArgumentOutOfRangeException(nameof(labels), $"label {(min < 0 ? min : max)} is outside the {classes} classes (0..{classes - 1})");
    }
}
