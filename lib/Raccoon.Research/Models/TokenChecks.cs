using static TorchSharp.torch;

namespace Raccoon.Research.Models;

/// <summary>The input checks every <see cref="ISequenceClassifier"/> makes, with messages that name the problem.</summary>
public static class TokenChecks
{
    /// <summary>Throws unless <paramref name="tokens"/> is a non-empty (B, T) int64 tensor of ids in [0, vocabularySize).</summary>
    public static void Tokens(Tensor tokens, int vocabularySize, string model)
    {
        if (tokens.dim() != 2)
            throw new ArgumentException($"{model} expects tokens of shape (batch, time), got ({string.Join(", ", tokens.shape)})");
        if (tokens.dtype != ScalarType.Int64)
            throw new ArgumentException($"{model} expects int64 token ids, got {tokens.dtype}" +
                (tokens.is_floating_point() && tokens.numel() > 0 && tokens.isnan().any().item<bool>() ? " holding NaN (token ids are whole numbers)" : ""));
        if (tokens.shape[0] == 0 || tokens.shape[1] == 0)
            throw new ArgumentException($"{model} got an empty batch ({string.Join(", ", tokens.shape)})");
        var (lo, hi) = tokens.aminmax(); // one pass, one native call: this check runs on every forward pass
        long min, max;
        using (lo) using (hi) { min = lo.item<long>(); max = hi.item<long>(); }
        if (min < 0 || max >= vocabularySize)
            throw new ArgumentException($"{model}: token id {(min < 0 ? min : max)} is outside the vocabulary [0, {vocabularySize})");
    }

    /// <summary>Throws unless <paramref name="labels"/> is (B) int64 with ids in [0, classes) and B matches the tokens.</summary>
    public static void Labels(Tensor labels, long batch, int classes, string model)
    {
        if (labels.dim() != 1 || labels.shape[0] != batch)
            throw new ArgumentException($"{model} expects labels of shape ({batch}), got ({string.Join(", ", labels.shape)})");
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"{model} expects int64 labels, got {labels.dtype}");
        long min = labels.min().item<long>(), max = labels.max().item<long>();
        if (min < 0 || max >= classes)
            throw new ArgumentException($"{model}: label {(min < 0 ? min : max)} is outside the classes [0, {classes})");
    }
}
