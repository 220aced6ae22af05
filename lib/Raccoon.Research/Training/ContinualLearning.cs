using Raccoon.Research.Blocks.Memory;
using System.Diagnostics;
using Raccoon.Research.Data;
using Raccoon.Research.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Training;

/// <summary>How the continual phase runs; the defaults are upstream's continuous_learning_phase and continuous_update.</summary>
public sealed record ContinualOptions
{
    /// <summary>Stream samples seen per update (upstream: 1).</summary>
    public int StreamBatch { get; init; } = 1;
    /// <summary>Samples replayed from memory with each new batch (upstream: 16).</summary>
    public int ReplayBatch { get; init; } = 16;
    /// <summary>No update until the memory holds this many samples (upstream: 32).</summary>
    public int MinMemory { get; init; } = 32;
    /// <summary>Upstream updates with plain SGD at the model's adaptation rate, 1e-4, without momentum or clipping.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;
    public double LearningRate { get; init; } = 1e-4;
    public double? ClipNorm { get; init; }
    /// <summary>Upstream keeps the model in eval mode for the whole phase, updates included.</summary>
    public bool UpdateInTrainMode { get; init; }
    /// <summary>Upstream shuffles the drift stream (so the drift is not in time order); the default keeps the order so the drift happens at its index.</summary>
    public bool ShuffleStream { get; init; }
    /// <summary>Index of the stream where the class prior drifts, to split the online accuracy; null: no split.</summary>
    public int? DriftPoint { get; init; }
    /// <summary>Window of the rolling online accuracy (upstream reports the last 100).</summary>
    public int Window { get; init; } = 100;
    public int EvalBatchSize { get; init; } = 256;
    public int Seed { get; init; } = 1;
}

/// <summary>
/// What the continual phase did. Accuracies on the pre-drift test set before and after the phase give
/// the forgetting (before minus after); the online (prequential) accuracy scores each stream sample
/// before the model updates on it.
/// </summary>
public sealed record ContinualResult(
    Evaluation PreDriftBefore, Evaluation PreDriftAfter,
    Evaluation? PostDriftBefore, Evaluation? PostDriftAfter,
    double OnlineAccuracy, double? OnlineAccuracyBeforeDrift, double? OnlineAccuracyAfterDrift,
    IReadOnlyList<double> RollingAccuracy,
    int Updates, int SkippedUpdates, int MemoryCount, double Seconds)
{
    /// <summary>Accuracy lost on the pre-drift test set (positive: forgotten).</summary>
    public double Forgetting => PreDriftBefore.Accuracy - PreDriftAfter.Accuracy;
}

/// <summary>The online phase under concept drift, as upstream's continuous_learning_phase: for each stream
/// batch, predict, store it in the replay memory with its predictive entropy, and once the memory is full
/// enough take one step on the new batch mixed with a replayed draw.</summary>
public static class ContinualLearning
{
    public static ContinualResult Run(
        ISequenceClassifier model, IReplayMemory memory, SequenceDataset stream,
        SequenceDataset preDriftTest, SequenceDataset? postDriftTest, ContinualOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        var module = Trainer.AsModule(model);
        if (options.StreamBatch < 1 || options.ReplayBatch < 0 || options.MinMemory < 0 || options.Window < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "stream batch and window must be at least 1, replay batch and min memory at least 0");
        Trainer.CheckData(model, stream, "stream");
        Trainer.CheckData(model, preDriftTest, "pre-drift test");
        if (postDriftTest is not null) Trainer.CheckData(model, postDriftTest, "post-drift test");

        var preBefore = Evaluator.Evaluate(model, preDriftTest, options.EvalBatchSize);
        var postBefore = postDriftTest is null ? null : Evaluator.Evaluate(model, postDriftTest, options.EvalBatchSize);

        torch.random.manual_seed(options.Seed);
        var rng = new Random(options.Seed);
        var parameters = module.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = Trainer.CreateOptimizer(parameters, new TrainingOptions
        {
            Optimizer = options.Optimizer, LearningRate = options.LearningRate, WeightDecay = 0, Seed = options.Seed,
        });
        var order = Enumerable.Range(0, stream.Count).ToArray();
        if (options.ShuffleStream) rng.Shuffle(order);

        var correctAt = new List<(int Index, bool Correct)>(stream.Count);
        var rolling = new List<double>(stream.Count);
        int updates = 0, skippedUpdates = 0, windowCorrect = 0;
        bool wasTraining = module.training;
        var clock = Stopwatch.StartNew();
        try
        {
            for (int start = 0; start < order.Length; start += options.StreamBatch)
            {
                cancel.ThrowIfCancellationRequested();
                var indices = order[start..Math.Min(start + options.StreamBatch, order.Length)];
                using var scope = NewDisposeScope();
                var (tokens, labels) = stream.Batch(indices);

                module.eval();
                double priority;
                using (no_grad())
                {
                    var logits = model.Logits(tokens);
                    var predicted = logits.argmax(1).data<long>().ToArray();
                    for (int b = 0; b < indices.Length; b++)
                    {
                        bool ok = predicted[b] == stream.Label(indices[b]);
                        correctAt.Add((indices[b], ok));
                        windowCorrect += ok ? 1 : 0;
                        if (correctAt.Count > options.Window && correctAt[^(options.Window + 1)].Correct) windowCorrect--;
                        rolling.Add((double)windowCorrect / Math.Min(correctAt.Count, options.Window));
                    }
                    var probs = logits.softmax(1);
                    priority = (-(probs * (probs + 1e-10).log()).sum(1)).mean().ToDouble();
                }
                var fresh = indices.Select(i => stream[i]).ToList();
                memory.Add(fresh, priority);

                if (memory.Count >= options.MinMemory)
                {
                    var replay = options.ReplayBatch > 0 ? memory.Sample(options.ReplayBatch) : [];
                    var (mixedTokens, mixedLabels) = SequenceDataset.Batch([.. fresh, .. replay]);
                    module.train(options.UpdateInTrainMode);
                    var outcome = Trainer.Step(model, parameters, optimizer, mixedTokens, mixedLabels, options.ClipNorm);
                    if (outcome.SkipReason is null) updates++; else skippedUpdates++;
                }
                if ((start / options.StreamBatch) % 50 == 0)
                    progress?.Report(new TrainingProgress("continual", 0, correctAt.Count, stream.Count, null, null, rolling[^1]));
            }
        }
        finally
        {
            module.train(wasTraining);
        }
        double seconds = clock.Elapsed.TotalSeconds;

        var preAfter = Evaluator.Evaluate(model, preDriftTest, options.EvalBatchSize);
        var postAfter = postDriftTest is null ? null : Evaluator.Evaluate(model, postDriftTest, options.EvalBatchSize);
        double? Online(Func<int, bool> which)
        {
            var hits = correctAt.Where(c => which(c.Index)).ToList();
            return hits.Count == 0 ? null : hits.Count(c => c.Correct) / (double)hits.Count;
        }
        return new ContinualResult(preBefore, preAfter, postBefore, postAfter,
            Online(_ => true)!.Value,
            options.DriftPoint is int d ? Online(i => i < d) : null,
            options.DriftPoint is int d2 ? Online(i => i >= d2) : null,
            rolling, updates, skippedUpdates, memory.Count, seconds);
    }
}
