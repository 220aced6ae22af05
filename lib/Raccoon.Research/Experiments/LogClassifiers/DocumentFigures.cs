namespace Raccoon.Research.Experiments.LogClassifiers;

/// <summary>
/// The figures document 000 states, each once, with where it says them, so that experiments compare the
/// measurements with the very numbers the document gives and R0-12 checks the document against itself.
/// </summary>
public static class DocumentFigures
{
    // Parameters (architecture diagrams and the memory section).
    public const double OriginalParameters = 850_000;          // "Total Parameters: ~850K"
    public const double OriginalWeightParameters = 710_000;    // memory section: "Total weights: 710K params"
    public const double AlternativeParameters = 27_000;        // "Total Parameters: ~27K"
    public const double ParameterRatio = 31;                   // "31x smaller"
    public static IReadOnlyList<(string Component, double Original, double Alternative)> Components { get; } =
    [
        ("embedding", 15_000, 15_000),
        ("encoder", 240_000, 8_000),       // 4 transformer blocks ~60K each / CNN 3K + 3K + 1.5K + 0.5K
        ("projection", 3_000, 0),
        ("dynamics", 350_000, 2),          // 11-layer drift net / OU theta, sigma
        ("flow", 100_000, 256),            // 4 coupling layers ~25K each / 4 affine layers x 2 x 32
        ("head", 4_000, 4_000),
    ];

    // Latency (diagrams, deployment table, summary table).
    public const double OriginalLatencyDiagramMs = 80;         // "Latency: ~80ms per batch (CPU)"
    public const double OriginalLatencySummaryMs = 100;        // summary / deployment: 100 ms
    public const double AlternativeLatencyDiagramMs = 1.6;     // "~1.6ms per batch (CPU)"
    public const double AlternativeLatencySummaryMs = 2;       // summary / deployment: 2 ms

    // Forward timelines (batch 32).
    public static IReadOnlyList<(string Stage, double Original, double Alternative)> ForwardTimelineMs { get; } =
    [
        ("embedding", 0.1, 0.1), ("encoder", 12.0, 0.3), ("dynamics", 8.0, 0.05), ("flow", 4.0, 0.1),
        ("head", 0.5, 0.15), ("loss", 0.4, 0.3), ("other", 0, 0.5),
    ];
    public const double OriginalForwardMs = 25.0, OriginalBackwardMs = 50.0, OriginalTrainBatchMs = 75;
    public const double AlternativeForwardMs = 1.5, AlternativeBackwardMs = 3.0, AlternativeTrainBatchMs = 4.5;
    public static IReadOnlyList<double> AlternativeTimelinePercents { get; } = [6.0, 18.0, 3.0, 6.0, 9.0, 18.0, 30.0];

    // Component operation counts.
    public const double TransformerOps = 614.4e6, CnnOps = 12.4e6, EncoderSpeedup = 40;
    public const double DriftOpsPerStep = 900e3, OuOpsPerBatch = 14.4e3, DynamicsSpeedup = 160;
    public const double CouplingOps = 1.92e6, AffineOps = 12.3e3, FlowSpeedup = 40;
    public const int DriftLayersDiagram = 11, DriftLayersFlopSection = 12;
    public const int OdeStepsDiagram = 64, OdeStepsTimeline = 3, SequenceLength = 50;

    // Memory section (bytes as the document writes them: 1 KB = 1000 B, 4 B per parameter).
    public const double OriginalWeightsBytes = 2.84e6, AlternativeWeightsBytes = 109e3;
    public const double OriginalActivationsBytes = 572e3, AlternativeActivationsBytes = 146e3;
    public const double OriginalAdamBytes = 5.68e6, AlternativeAdamBytes = 216e3;
    public const double ReplayBytes = 1.28e6, ReplaySamples = 5000, ReplayBytesPerSample = 256;
    public const double OriginalTotalBytes = 10.4e6, AlternativeTotalBytes = 1.75e6, MemoryReductionPercent = 83;
    public const double OriginalProcessMb = 294, AlternativeProcessMb = 50;
    public const double MemoryRatioConclusion = 5.7;           // "5.7x less memory"

    // Convergence section and summary table.
    public const double OriginalAccuracy = 89, AlternativeAccuracy = 86, AlternativeAccuracySpread = 3;
    public const double OriginalEpochSecondsConvergence = 80;  // "~80 seconds per epoch"
    public const double OriginalTotalMinutesConvergence = 67;  // "~67 minutes for 50 epochs"
    public const double AlternativeEpochMsConvergence = 32;    // "~32ms per epoch"
    public const double AlternativeTotalSecondsConvergence = 26; // "~26 seconds for 50 epochs"
    public const int AlternativeEarlyStopEpoch = 15;
    public const double AlternativeEarlyStopSeconds = 8;       // "Total actual training: ~8 seconds"
    public const double OriginalEpochSecondsSummary = 1.6, AlternativeEpochMsSummary = 32;
    public const double OriginalFullTrainingSecondsSummary = 80, AlternativeFullTrainingSecondsSummary = 1.6;
    public const int DocumentedEpochs = 50, OriginalEpochsNeeded = 500;

    // Frontier figure.
    public const double FrontierOriginalAccuracy = 92, FrontierAlternativeAccuracy = 88;
    public const double FrontierOriginalLatencyMs = 100, FrontierAlternativeLatencyMs = 1;

    // Code section.
    public const double OriginalLines = 850, AlternativeLines = 570;
    public static IReadOnlyList<(string Module, double Original, double Alternative)> Lines { get; } =
    [
        ("Encoder", 80, 40), ("SDE/Dynamics", 120, 30), ("Flow Layers", 150, 80), ("Classifier", 50, 30),
        ("Memory", 100, 40), ("Main model", 200, 150), ("Training loop", 150, 200),
    ];
    public static IReadOnlyList<(string Component, double Original, double Alternative)> Complexity { get; } =
    [
        ("Encoder", 8, 3), ("SDE forward", 5, 2), ("Flow forward", 12, 4), ("Training step", 10, 8),
    ];

    // Deployment table.
    public const double OriginalColdStartMs = 500, AlternativeColdStartMs = 50;
    public const double OriginalFirstInferenceMs = 100, AlternativeFirstInferenceMs = 2;
    public const double OriginalFootprintMb = 10, AlternativeFootprintMb = 1.75;
    public const double OriginalFileBytes = 2.8e6, AlternativeFileBytes = 109e3;
    public const double OriginalCpuRequestsPerSecond = 10, AlternativeCpuRequestsPerSecond = 500;
    public const double OriginalGpuRequestsPerSecond = 100, AlternativeGpuRequestsPerSecond = 1000;
}
