namespace Raccoon.Research.Models.LanguageModels;

/// <summary>Analytic floating-point operations (a multiply-add counts 2) and activation sizes of one sequence of n tokens.</summary>
public sealed record LayerCost(string Layer, int N, double Flops, double ActivationFloats);

/// <summary>
/// Analytic cost of RustGPT's layers for one sequence (batch 1). The document counts only the n^2 d
/// of QK^T for attention and n d^2 for token mixing; these counts add everything the layers compute:
/// the Q/K/V projections, softmax and A V for attention; the mean, the hypernetwork (whose output grows
/// with the maximum length L, not n) and both mixing products for token mixing.
/// </summary>
public static class LanguageModelCost
{
    /// <summary>The document's figures: n^2 d for attention, n d^2 for token mixing.</summary>
    public static (double Attention, double TokenMixing) DocumentOps(int n, int d) => ((double)n * n * d, (double)n * d * d);

    public static LayerCost Attention(LanguageModelConfig c, int n)
    {
        double d = c.ModelDim;
        double projections = 3 * 2 * n * d * d;       // X Wq, X Wk, X Wv
        double scores = 2.0 * n * n * d;              // Q K^T
        double softmax = 3.0 * n * n;                 // exp, sum, divide
        double mix = 2.0 * n * n * d;                 // A V
        double residual = n * d;
        double activations = 4 * n * d + 2.0 * n * n; // Q, K, V, output; scores and weights
        return new("SelfAttention", n, projections + scores + softmax + mix + residual, activations);
    }

    public static LayerCost TokenMixing(LanguageModelConfig c, int n)
    {
        double d = c.ModelDim, h = c.TokenMixHidden, hh = c.HypernetworkHidden;
        double g = 2.0 * c.MaxLength * h + h + c.MaxLength;     // generated numbers: full maximum length, cut afterwards
        double mean = n * d;
        double hyper = 2 * d * hh + hh + 2 * hh * g + g;        // Linear, ReLU, Linear
        double mixing = 2 * n * d * h + d * h + d * h + 2 * d * h * n + d * n; // x^T W1 + b1, ReLU, W2 + b2
        double residual = n * d;
        double activations = d + 2 * hh + g + 2 * d * h + 2 * n * d;
        return new("TokenMixing", n, mean + hyper + mixing + residual, activations);
    }

    public static LayerCost FeedForward(LanguageModelConfig c, int n)
    {
        double d = c.ModelDim, f = c.HiddenDim;
        return new("FeedForward", n, 2 * n * d * f + n * f + n * f + 2 * n * f * d + n * d + n * d, 2 * n * f + 2 * n * d);
    }

    public static LayerCost LayerNorm(LanguageModelConfig c, int n) => new("LayerNorm", n, 8.0 * n * c.ModelDim, 2.0 * n * c.ModelDim);

    /// <summary>Whole forward pass: embeddings, blocks, output projection.</summary>
    public static (double Flops, double ActivationFloats) Forward(LanguageModelConfig c, int n, bool transformer)
    {
        double d = c.ModelDim;
        var block = transformer
            ? new[] { Attention(c, n), LayerNorm(c, n), FeedForward(c, n), LayerNorm(c, n) }
            : new[] { LayerNorm(c, n), TokenMixing(c, n), LayerNorm(c, n), FeedForward(c, n) };
        double flops = n * d + c.Layers * block.Sum(l => l.Flops) + 2 * n * d * c.VocabularySize + n * c.VocabularySize;
        double acts = n * d + c.Layers * block.Sum(l => l.ActivationFloats) + (double)n * c.VocabularySize;
        return (flops, acts);
    }
}
