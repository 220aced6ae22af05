using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.LanguageModels;

/// <summary>
/// Next-token objectives and greedy generation for a <see cref="LanguageModel"/>. Two losses on the
/// same sequences: teacher-forced (one pass, every position predicts the next token: what training
/// minimises) and prefix-by-prefix (the model sees only tokens 0..j when it predicts token j+1: what
/// generation achieves). They agree for a causal model and differ for one that reads the future.
/// </summary>
public static class NextToken
{
    /// <summary>Mean cross-entropy of predicting tokens[:, 1:] from tokens[:, :-1] in one pass. tokens: (B, T), T >= 2.</summary>
    public static Tensor TeacherForcedLoss(LanguageModel model, Tensor tokens)
    {
        CheckSequences(tokens);
        using var scope = NewDisposeScope();
        long t = tokens.shape[1];
        var inputs = tokens.narrow(1, 0, t - 1);                 // (B, T-1)
        var targets = tokens.narrow(1, 1, t - 1);                // (B, T-1)
        var logits = model.forward(inputs);                      // (B, T-1, V)
        var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), targets.reshape(-1));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Mean cross-entropy when token j+1 is predicted from the prefix 0..j alone, as in generation.</summary>
    public static double PrefixLoss(LanguageModel model, Tensor tokens)
    {
        CheckSequences(tokens);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long t = tokens.shape[1];
        double sum = 0;
        for (long j = 1; j < t; j++)
        {
            var logits = model.forward(tokens.narrow(1, 0, j)).select(1, j - 1); // (B, V): last position of the prefix
            sum += nn.functional.cross_entropy(logits, tokens.select(1, j)).item<float>();
        }
        return sum / (t - 1);
    }

    /// <summary>Greedy continuation of <paramref name="prompt"/> until <paramref name="endToken"/> or the model's maximum length.</summary>
    public static IReadOnlyList<long> Greedy(LanguageModel model, IReadOnlyList<long> prompt, long endToken, int? maxNewTokens = null)
    {
        if (prompt.Count == 0) throw new ArgumentException("generation needs a non-empty prompt");
        using var noGrad = no_grad();
        var ids = prompt.ToList();
        var generated = new List<long>();
        int limit = maxNewTokens ?? model.Config.MaxLength;
        while (generated.Count < limit && ids.Count < model.Config.MaxLength)
        {
            using var scope = NewDisposeScope();
            var logits = model.forward(tensor(ids.ToArray(), [1, ids.Count])); // (1, T, V)
            long next = logits[0, -1].argmax().item<long>();
            ids.Add(next);
            generated.Add(next);
            if (next == endToken) break;
        }
        return generated;
    }

    static void CheckSequences(Tensor tokens)
    {
        if (tokens.dim() != 2 || tokens.shape[1] < 2)
            throw new ArgumentException($"next-token losses need token ids (batch, time >= 2), got ({string.Join(", ", tokens.shape)})");
    }
}
