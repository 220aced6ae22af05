using System.Diagnostics;
using Raccoon.Research.Data;
using Raccoon.Research.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Training;

/// <summary>
/// The supervised phase for any <see cref="ISequenceClassifier"/> that is also a TorchSharp module:
/// seeded shuffled batches, the model's own objective, AdamW/Adam/SGD, gradient-norm clipping, and a
/// step whose loss or gradient norm is not finite skipped (never applied) and counted. With a
/// validation set: per-epoch validation loss and accuracy, early stopping, best-weights restore and
/// an optional plateau schedule, as upstream's train_alternative_raccoon.
/// </summary>
public static class Trainer
{
    public static TrainingHistory Fit(
        ISequenceClassifier model, SequenceDataset train, SequenceDataset? validation, TrainingOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        var module = AsModule(model);
        options.Validate();
        CheckData(model, train, "training");
        if (validation is not null) CheckData(model, validation, "validation");
        if (options.Patience is not null && validation is null)
            throw new ArgumentException("early stopping (Patience) needs a validation set");
        if (options.StopAt is { Active: true } && validation is null)
            throw new ArgumentException("stopping at the plateau (StopAt) needs a validation set: the plateau test reads the validation loss");
        if (BatchPlan.BatchesPerEpoch(train.Count, options.BatchSize, options.DropLast) == 0)
            throw new ArgumentException($"{train.Count} training samples make no full batch of {options.BatchSize}: lower the batch size or keep the last batch");

        torch.random.manual_seed(options.Seed);
        var rng = new Random(options.Seed);
        var parameters = module.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = CreateOptimizer(parameters, options);
        var plateau = options.Plateau is { } p && validation is not null
            ? optim.lr_scheduler.ReduceLROnPlateau(optimizer, "min", p.Factor, p.Patience) : null;

        var resume = options.Resume;
        string phase = TrainerState.PhaseOf(options, train.Count, validation?.Count);
        var state = new TrainerState { Phase = phase };
        Dictionary<string, Tensor>? best = null;
        if (resume is not null && File.Exists(resume.Path))
        {
            // The plateau schedule is replayed on the recorded validation losses (it holds no state a file keeps);
            // the optimizer state loaded after it holds the same learning rate.
            foreach (var e in PhaseCheckpoint.Read<TrainerState>(resume.Path, phase, out _).Epochs)
                if (e.ValidationLoss is double v) plateau?.step(v);
            state = PhaseCheckpoint.Resume<TrainerState>(resume, module, optimizer, phase)!;
            best = state.ReadBest(resume, module);
            // The batch order of the epochs already run is drawn again, so the rest of the run draws as uninterrupted.
            for (int e = 1; e < state.Epoch; e++)
                using (var order = BatchPlan.Shuffled(train.Count, options.BatchSize, rng, options.DropLast).GetEnumerator()) order.MoveNext();
        }

        int? totalSteps = options.MaxSteps ?? (options.Epochs == int.MaxValue ? null
            : options.Epochs * BatchPlan.BatchesPerEpoch(train.Count, options.BatchSize, options.DropLast));
        var clock = Stopwatch.StartNew();
        var sinceSave = Stopwatch.StartNew();
        void Save()
        {
            state.Seconds += clock.Elapsed.TotalSeconds;
            clock.Restart();
            state.Save(resume!, module, optimizer, best);
            sinceSave.Restart();
        }

        try
        {
            while (!state.Finished && state.Epoch <= options.Epochs && !state.StoppedEarly && !state.StoppedAtPlateau)
            {
                if (options.MaxSteps is int max && state.StepLosses.Count >= max) break;
                int epoch = state.Epoch;
                var epochClock = Stopwatch.StartNew();
                module.train();
                var batches = BatchPlan.Shuffled(train.Count, options.BatchSize, rng, options.DropLast).ToList();
                for (int b = state.BatchInEpoch; b < batches.Count; b++)
                {
                    if (options.MaxSteps is int m && state.StepLosses.Count >= m) break;
                    cancel.ThrowIfCancellationRequested();
                    var indices = batches[b];
                    int step = state.StepLosses.Count + 1;
                    using (var scope = NewDisposeScope())
                    {
                        var (tokens, labels) = train.Batch(indices);
                        var outcome = Step(model, parameters, optimizer, tokens, labels, options.ClipNorm);
                        if (outcome.SkipReason is string reason)
                        {
                            state.Skipped.Add(new SkippedStep(step, epoch, reason));
                            state.StepLosses.Add(double.NaN);
                            state.EpochSkipped++;
                        }
                        else
                        {
                            state.StepLosses.Add(outcome.Loss);
                            state.EpochLossSum += outcome.Loss * indices.Length;
                            state.EpochCorrectSum += outcome.Correct;
                            state.EpochSamples += indices.Length;
                            state.EpochApplied++;
                            state.Applied++;
                            if (step % 10 == 0)
                                progress?.Report(new TrainingProgress("train", epoch, step, totalSteps, outcome.Loss, null, null));
                        }
                    }
                    state.BatchInEpoch = b + 1;
                    if (resume is not null && (step % resume.EverySteps == 0 || sinceSave.Elapsed.TotalSeconds >= resume.EverySeconds))
                    {
                        state.EpochSeconds += epochClock.Elapsed.TotalSeconds;
                        epochClock.Restart();
                        Save();
                    }
                }
                if (state.EpochApplied + state.EpochSkipped == 0) break;

                double? valLoss = null, valAcc = null;
                if (validation is not null)
                {
                    var eval = Evaluator.Evaluate(model, validation, options.EvalBatchSize);
                    valLoss = eval.Loss;
                    valAcc = eval.Accuracy;
                    if (eval.Loss < state.BestLoss)
                    {
                        state.BestLoss = eval.Loss;
                        state.BestEpoch = epoch;
                        if (options.RestoreBest) { DisposeAll(best); best = Snapshot(module); }
                    }
                    plateau?.step(eval.Loss);
                    if (options.Patience is int patience)
                    {
                        // Upstream's EarlyStoppingCallback: an improvement must beat the best by min_delta.
                        if (eval.Loss < state.EarlyStopBest - options.MinDelta) { state.EarlyStopBest = eval.Loss; state.SinceImprovement = 0; }
                        else if (++state.SinceImprovement >= patience) state.StoppedEarly = true;
                    }
                }
                int samples = state.EpochSamples;
                var record = new EpochRecord(epoch,
                    samples == 0 ? double.NaN : state.EpochLossSum / samples,
                    samples == 0 ? double.NaN : state.EpochCorrectSum / samples,
                    valLoss, valAcc, CurrentLearningRate(optimizer), state.EpochApplied, state.EpochSkipped,
                    state.EpochSeconds + epochClock.Elapsed.TotalSeconds);
                state.Epochs.Add(record);
                // The claims' plateau test on the validation losses so far: the first epoch where it passes ends the phase.
                if (options.StopAt is { Active: true } stop && !state.StoppedEarly
                    && (options.MinSteps is not int least || state.StepLosses.Count >= least)
                    && TrainingHistory.TraceOf(state.Epochs, "validation", "in training") is { } trace && stop.Reached(trace))
                    state.StoppedAtPlateau = true;
                (state.Epoch, state.BatchInEpoch) = (epoch + 1, 0);
                (state.EpochLossSum, state.EpochCorrectSum, state.EpochSamples, state.EpochApplied, state.EpochSkipped, state.EpochSeconds) = (0, 0, 0, 0, 0, 0);
                progress?.Report(new TrainingProgress("train", epoch, state.StepLosses.Count, totalSteps, record.TrainLoss, valLoss, valAcc));
                if (resume is not null) Save();
            }
            if (!state.Finished)
            {
                if (best is not null && state.BestEpoch != state.Epochs.Count)
                {
                    Restore(module, best);
                    state.Restored = true;
                }
                state.Finished = true;
                if (resume is not null) Save();
            }
        }
        finally
        {
            DisposeAll(best);
        }
        return new TrainingHistory(state.Epochs, state.StepLosses, state.Skipped, state.Applied, state.StoppedEarly, state.BestEpoch,
            state.BestEpoch is null ? null : state.BestLoss, state.Restored, state.Seconds + clock.Elapsed.TotalSeconds, state.StoppedAtPlateau);
    }

    /// <summary>What one step did: its loss and correct count, or why it was skipped.</summary>
    public readonly record struct StepOutcome(double Loss, int Correct, double GradNorm, string? SkipReason);

    /// <summary>
    /// One optimisation step on a batch: zero the gradients, the model's objective, backward, the global
    /// gradient norm (clipped to <paramref name="clipNorm"/> when given), then the update — unless the
    /// loss or the gradient norm is not finite, in which case nothing is applied. Run it inside a dispose scope.
    /// </summary>
    public static StepOutcome Step(ISequenceClassifier model, IReadOnlyList<Parameter> parameters, optim.Optimizer optimizer,
        Tensor tokens, Tensor labels, double? clipNorm)
    {
        optimizer.zero_grad();
        var (loss, logits) = model.Objective(tokens, labels);
        if (loss.numel() != 1)
            throw new InvalidOperationException($"{model.GetType().Name}.Objective returned a loss of shape ({string.Join(", ", loss.shape)}), not a scalar");
        double value = loss.ToDouble();
        int correct = (int)logits.detach().argmax(1).eq(labels).sum().ToInt64();
        if (!double.IsFinite(value)) return new StepOutcome(value, correct, double.NaN, $"loss is {value}");
        loss.backward();
        double norm = nn.utils.clip_grad_norm_(parameters, clipNorm ?? double.PositiveInfinity);
        if (!double.IsFinite(norm))
        {
            optimizer.zero_grad();
            return new StepOutcome(value, correct, norm, $"gradient norm is {norm}");
        }
        optimizer.step();
        return new StepOutcome(value, correct, norm, null);
    }

    public static TorchSharp.Modules.OptimizerHelper CreateOptimizer(IEnumerable<Parameter> parameters, TrainingOptions options) => options.Optimizer switch
    {
        OptimizerKind.AdamW => Optimizers.AdamW(parameters, options.LearningRate, options.WeightDecay),
        OptimizerKind.Adam => Optimizers.Adam(parameters, options.LearningRate, options.WeightDecay),
        OptimizerKind.Sgd => optim.SGD(parameters, options.LearningRate, weight_decay: options.WeightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Optimizer, "unknown optimizer"),
    };

    /// <summary>The model as the TorchSharp module it must also be.</summary>
    public static nn.Module AsModule(ISequenceClassifier model) =>
        model as nn.Module ?? throw new ArgumentException($"{model.GetType().Name} is an ISequenceClassifier but not a TorchSharp module: the trainer needs its parameters");

    /// <summary>A detached copy of every parameter and buffer, outside any dispose scope.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module module)
    {
        using var noGrad = no_grad();
        return module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    /// <summary>Copies a <see cref="Snapshot"/> back into the module's parameters and buffers.</summary>
    public static void Restore(nn.Module module, IReadOnlyDictionary<string, Tensor> snapshot)
    {
        using var noGrad = no_grad();
        foreach (var (name, target) in module.state_dict())
            target.copy_(snapshot.TryGetValue(name, out var source) ? source
                : throw new ArgumentException($"the snapshot has no entry '{name}'"));
    }

    internal static double CurrentLearningRate(optim.Optimizer optimizer) =>
        optimizer.ParamGroups.FirstOrDefault()?.LearningRate ?? double.NaN;

    internal static void CheckData(ISequenceClassifier model, SequenceDataset data, string what)
    {
        if (data.VocabularySize > model.VocabularySize)
            throw new ArgumentException($"the {what} set's vocabulary has {data.VocabularySize} symbols, the model's {model.VocabularySize}");
        if (data.Classes != model.Classes)
            throw new ArgumentException($"the {what} set has {data.Classes} classes, the model {model.Classes}");
    }

    static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null) return;
        foreach (var t in tensors.Values) t.Dispose();
    }
}
