namespace Raccoon.Research.Training;

/// <summary>One epoch of a supervised phase. Train loss and accuracy average the applied steps; the
/// validation figures are null without a validation set.</summary>
public sealed record EpochRecord(
    int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy,
    double LearningRate, int Steps, int SkippedSteps, double Seconds);

/// <summary>A step whose loss or gradient was not finite: not applied, counted, and kept here with the reason.</summary>
public sealed record SkippedStep(int Step, int Epoch, string Reason);

/// <summary>What a supervised phase did: per-epoch records, the loss of every step (NaN for a skipped one),
/// the skipped steps, and what ended it: early stopping (<see cref="StoppedEarly"/>), the claims' plateau test
/// (<see cref="StoppedAtPlateau"/>, at the epoch where it first passed) or else the cap.</summary>
public sealed record TrainingHistory(
    IReadOnlyList<EpochRecord> Epochs,
    IReadOnlyList<double> StepLosses,
    IReadOnlyList<SkippedStep> Skipped,
    int AppliedSteps,
    bool StoppedEarly,
    int? BestEpoch,
    double? BestValidationLoss,
    bool RestoredBest,
    double Seconds,
    bool StoppedAtPlateau = false)
{
    public int SkippedSteps => Skipped.Count;
    public int TotalSteps => AppliedSteps + SkippedSteps;
    public IReadOnlyList<double> TrainLosses => Epochs.Select(e => e.TrainLoss).ToList();
    public IReadOnlyList<double?> ValidationLosses => Epochs.Select(e => e.ValidationLoss).ToList();
    /// <summary>Mean wall time of an epoch, in seconds.</summary>
    public double SecondsPerEpoch => Epochs.Count == 0 ? double.NaN : Epochs.Average(e => e.Seconds);

    /// <summary>Why the phase ended, in words: "plateau at epoch 14", "early stopping after epoch 20" or "cap of 40 epochs".</summary>
    public string StoppedBecause => StoppedAtPlateau ? Ledger.PlateauStop.Because(true, Epochs.Count, "epoch")
        : StoppedEarly ? $"early stopping after epoch {Epochs.Count}"
        : Ledger.PlateauStop.Because(false, Epochs.Count, "epoch");

    /// <summary>The validation loss per epoch as a trace for the ledger's convergence test; null without a validation set.</summary>
    public Ledger.HeldOutTrace? ValidationTrace(string name) => TraceOf(Epochs, name, StoppedBecause);

    /// <summary>The validation loss of <paramref name="epochs"/> as a trace (the one the trainer's plateau stop reads); null without one.</summary>
    internal static Ledger.HeldOutTrace? TraceOf(IReadOnlyList<EpochRecord> epochs, string name, string stoppedBecause)
    {
        var valid = epochs.Where(e => e.ValidationLoss is double v && double.IsFinite(v)).ToList();
        if (valid.Count == 0) return null;
        return new Ledger.HeldOutTrace(name, "validation loss", false, valid.Select(e => (double)e.Epoch).ToList(),
            valid.Select(e => e.ValidationLoss!.Value).ToList(), stoppedBecause);
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
