using Raccoon.Research.Blocks.Memory;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.Raccoon;

/// <summary>
/// The online step of upstream's continuous_update, shared by the three builds: once the memory holds at
/// least <see cref="Threshold"/> items, join the new batch with <see cref="ReplayBatch"/> replayed items and
/// take one plain SGD step (no momentum) at the adaptation rate. A non-finite loss or gradient skips the step.
/// </summary>
public sealed class ReplayAdaptation(nn.Module model, double learningRate)
{
    public const int Threshold = 32;
    public const int ReplayBatch = 16;

    SGD? optimizer; // created on first use, as upstream does

    public double LearningRate => learningRate;

    /// <summary>Mean predictive entropy of the logits: upstream's replay score (uncertain samples are kept longer).</summary>
    public static double MeanEntropy(Tensor logits)
    {
        using var scope = NewDisposeScope();
        var p = logits.softmax(1);
        return (-(p * (p + 1e-10).log()).sum(1)).mean().item<float>();
    }

    public static LabelledSequence[] Split(Tensor tokens, Tensor labels)
    {
        var rows = new LabelledSequence[tokens.shape[0]];
        var ids = tokens.to_type(ScalarType.Int64).cpu().data<long>().ToArray();
        var ys = labels.cpu().data<long>().ToArray();
        long t = tokens.shape[1];
        for (int i = 0; i < rows.Length; i++) rows[i] = new LabelledSequence(ids.AsSpan(checked((int)(i * t)), (int)t).ToArray(), ys[i]);
        return rows;
    }

    public static (Tensor Tokens, Tensor Labels) Join(IReadOnlyList<LabelledSequence> items, Device device)
    {
        int t = items[0].Tokens.Length;
        if (items.Any(i => i.Tokens.Length != t)) throw new ArgumentException("replayed sequences differ in length; the memory holds one sequence length only");
        var flat = items.SelectMany(i => i.Tokens).ToArray();
        return (tensor(flat, [items.Count, t], device: device), tensor(items.Select(i => i.Label).ToArray(), device: device));
    }

    public ContinualStep Step(double score, int memoryCount, Func<int, IReadOnlyList<LabelledSequence>> sample,
        Tensor tokens, Tensor labels, Func<Tensor, Tensor, Tensor> objective)
    {
        if (memoryCount < Threshold) return new ContinualStep(score, false, false, double.NaN);
        using var scope = NewDisposeScope();
        var (replayTokens, replayLabels) = Join(sample(ReplayBatch), tokens.device);
        var allTokens = cat([tokens, replayTokens], 0);
        var allLabels = cat([labels, replayLabels], 0);
        optimizer ??= optim.SGD(model.parameters(), learningRate, momentum: 0.0);
        optimizer.zero_grad();
        var loss = objective(allTokens, allLabels);
        double value = loss.item<float>();
        if (!double.IsFinite(value)) { optimizer.zero_grad(); return new ContinualStep(score, true, true, value); }
        loss.backward();
        bool finite = model.parameters().All(p => p.grad is null || p.grad.isfinite().all().item<bool>());
        if (!finite) { optimizer.zero_grad(); return new ContinualStep(score, true, true, value); }
        optimizer.step();
        return new ContinualStep(score, true, false, value);
    }
}
