namespace Raccoon.Research.Training;

/// <summary>One epoch of a supervised phase. Train loss and accuracy average the applied steps; the
/// validation figures are null without a validation set.</summary>
public sealed record EpochRecord(
    int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy,
    double LearningRate, int Steps, int SkippedSteps, double Seconds);

/// <summary>A step whose loss or gradient was not finite: not applied, counted, and kept here with the reason.</summary>
public sealed record SkippedStep(int Step, int Epoch, string Reason);

/// <summary>What a supervised phase did: per-epoch records, the loss of every step (NaN for a skipped one),
/// the skipped steps, and where early stopping ended it.</summary>
public sealed record TrainingHistory(
    IReadOnlyList<EpochRecord> Epochs,
    IReadOnlyList<double> StepLosses,
    IReadOnlyList<SkippedStep> Skipped,
    int AppliedSteps,
    bool StoppedEarly,
    int? BestEpoch,
    double? BestValidationLoss,
    bool RestoredBest,
    double Seconds)
{
    public int SkippedSteps => Skipped.Count;
    public int TotalSteps => AppliedSteps + SkippedSteps;
    public IReadOnlyList<double> TrainLosses => Epochs.Select(e => e.TrainLoss).ToList();
    public IReadOnlyList<double?> ValidationLosses => Epochs.Select(e => e.ValidationLoss).ToList();
    /// <summary>Mean wall time of an epoch, in seconds.</summary>
    public double SecondsPerEpoch => Epochs.Count == 0 ? double.NaN : Epochs.Average(e => e.Seconds);

    /// <summary>The validation loss per epoch as a trace for the ledger's convergence test; null without a validation set.</summary>
    public Ledger.HeldOutTrace? ValidationTrace(string name)
    {
        var epochs = Epochs.Where(e => e.ValidationLoss is double v && double.IsFinite(v)).ToList();
        if (epochs.Count == 0) return null;
        return new Ledger.HeldOutTrace(name, "validation loss", false, epochs.Select(e => (double)e.Epoch).ToList(),
            epochs.Select(e => e.ValidationLoss!.Value).ToList(), StoppedEarly ? $"early stopping after epoch {Epochs.Count}" : $"epoch cap {Epochs.Count}");
    }
}

/// <summary>Progress of a training or continual phase, for a progress bar or <c>ExperimentContext.Report</c>.</summary>
public sealed record TrainingProgress(string Phase, int Epoch, int Step, int? TotalSteps, double? Loss, double? ValidationLoss, double? Accuracy)
{
    public double? Fraction => TotalSteps is int n && n > 0 ? Math.Min(1.0, (double)Step / n) : null;

    public string Status =>
        $"{Phase}: epoch {Epoch}, step {Step}{(TotalSteps is int n ? $"/{n}" : "")}" +
        (Loss is double l ? $", loss {l:F4}" : "") +
        (ValidationLoss is double v ? $", val loss {v:F4}" : "") +
        (Accuracy is double a ? $", acc {a:F3}" : "");
}
