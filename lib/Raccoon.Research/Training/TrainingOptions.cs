namespace Raccoon.Research.Training;

public enum OptimizerKind { AdamW, Adam, Sgd }

/// <summary>Halve (or scale by <see cref="Factor"/>) the learning rate when the validation loss has not improved for <see cref="Patience"/> epochs (torch's ReduceLROnPlateau).</summary>
public sealed record LrPlateau(double Factor = 0.5, int Patience = 3);

/// <summary>
/// Where a supervised phase saves what it needs to resume after being stopped at any point (a crash, a
/// SIGKILL, a preempted job): the weights, the optimizer state, torch's generator, the step, the batch
/// within the epoch and the history so far, written whole every <see cref="EverySteps"/> steps or
/// <see cref="EverySeconds"/> seconds, whichever comes first, and at every epoch's end. A phase started
/// with the same options finds the file and goes on from it; the finished phase leaves it marked finished.
/// </summary>
public sealed record ResumeFile(string Path, int EverySteps = 200, double EverySeconds = 120)
{
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path)) throw new ArgumentException("the resume file needs a path", nameof(Path));
        if (EverySteps < 1) throw new ArgumentOutOfRangeException(nameof(EverySteps), EverySteps, "checkpoint at least every step, not never");
        if (!(EverySeconds > 0)) throw new ArgumentOutOfRangeException(nameof(EverySeconds), EverySeconds, "the wall-time interval must be positive");
    }
}

/// <summary>How a supervised phase runs. The two presets are the upstream training loops' settings.</summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training set (an upper bound when <see cref="MaxSteps"/> or early stopping ends it first).</summary>
    public int Epochs { get; init; } = 50;
    /// <summary>Stop after this many attempted steps (applied or skipped), mid-epoch if need be; null: no limit.</summary>
    public int? MaxSteps { get; init; }
    public int BatchSize { get; init; } = 32;
    /// <summary>Drop a short last batch, as upstream's DataLoader(drop_last=True).</summary>
    public bool DropLast { get; init; } = true;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.AdamW;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 1e-5;
    /// <summary>Clip the global gradient norm to this; null: no clipping.</summary>
    public double? ClipNorm { get; init; } = 1.0;
    /// <summary>Stop when the validation loss has not improved by <see cref="MinDelta"/> for this many epochs; null: never.</summary>
    public int? Patience { get; init; }
    public double MinDelta { get; init; } = 1e-4;
    /// <summary>After early stopping or the last epoch, put back the weights of the epoch with the best validation loss.</summary>
    public bool RestoreBest { get; init; } = true;
    public LrPlateau? Plateau { get; init; }
    public int EvalBatchSize { get; init; } = 256;
    /// <summary>Seeds the batch order and torch's generator (dropout, sampled noise) for the run.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Checkpoint here and resume from it; null: a phase that is stopped starts again from the beginning.</summary>
    public ResumeFile? Resume { get; init; }
    /// <summary>Stop after the first epoch at which the claims' plateau tests all pass on the validation losses so far
    /// (needs a validation set); null or without a rule: run to <see cref="Epochs"/>, <see cref="MaxSteps"/> or early stopping.</summary>
    public Ledger.PlateauStop? StopAt { get; init; }
    /// <summary>The plateau test (<see cref="StopAt"/>) may end the phase only once this many steps are taken: a build
    /// that upstream trains for a fixed length is trained at least that long (null: from the first evaluation).</summary>
    public int? MinSteps { get; init; }

    /// <summary>train_raccoon_classifier: AdamW (lr 1e-3, weight decay 1e-5), clip 1.0, batch 32, 1000 steps, no validation.</summary>
    public static TrainingOptions UpstreamRaccoon { get; } = new()
    {
        Optimizer = OptimizerKind.AdamW, LearningRate = 1e-3, WeightDecay = 1e-5, ClipNorm = 1.0,
        BatchSize = 32, DropLast = true, Epochs = int.MaxValue, MaxSteps = 1000, Patience = null, RestoreBest = false,
    };

    /// <summary>train_alternative_raccoon: Adam (lr 1e-3), clip 1.0, batch 32, at most 50 epochs, early stopping with
    /// patience 10 and min delta 1e-4, ReduceLROnPlateau(0.5, 3). Upstream keeps the last weights, not the best.</summary>
    public static TrainingOptions UpstreamSimpleRaccoon { get; } = new()
    {
        Optimizer = OptimizerKind.Adam, LearningRate = 1e-3, WeightDecay = 0, ClipNorm = 1.0,
        BatchSize = 32, DropLast = true, Epochs = 50, Patience = 10, MinDelta = 1e-4, Plateau = new LrPlateau(0.5, 3),
        RestoreBest = false,
    };

    internal void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "at least one epoch");
        if (MinSteps is < 0) throw new ArgumentOutOfRangeException(nameof(MinSteps), MinSteps, "at least zero steps");
        if (MaxSteps is < 1) throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "at least one step");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be at least 1");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be positive");
        if (ClipNorm is double c && !(c > 0)) throw new ArgumentOutOfRangeException(nameof(ClipNorm), c, "clip norm must be positive");
        if (Patience is < 1) throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "patience must be at least 1");
        if (EvalBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(EvalBatchSize), EvalBatchSize, "batch size must be at least 1");
        Resume?.Validate();
    }
}
