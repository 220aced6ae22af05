using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Models.GlyphCnn;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.GlyphCnn;

/// <summary>
/// Document 003's parity cases: the three phase-2 CNNs at the speed experiment's batch of 256 glyphs
/// (benchmarks/pytorch/glyph_cnn.py is the PyTorch side). Inference is one forward pass on fixed random ids;
/// the loss is GlyphCnnTrainer's objective in its class-weighted phase: 2% token-id dropout, then label-smoothed
/// cross-entropy with inverse-frequency class weights (here of the batch's own random labels). The trainer's
/// AdamW, schedule and gradient clipping are not part of the benchmark's step (Adam, no clipping, on both sides).
/// </summary>
public static class GlyphCnnParity
{
    public const int Batch = GlyphCnnSpeedExperiment.Batch;
    /// <summary>The function check: the same variant on 2 glyphs.</summary>
    public const int CheckBatch = 2;

    public static IReadOnlyList<ParityCase> Cases { get; } =
        GlyphCnnConfig.Variants().Select(c => Case(c)).ToList();

    static ParityCase Case(GlyphCnnConfig config) => new(
        $"glyph-cnn/{config.Variant.ToLowerInvariant()}", "003", config.Variant,
        $"batch {Batch} of 16x16 grids of primitive ids, {config.Classes} classes (the speed experiment's batch; a training step at it takes seconds on 2 cores, Full the longest)",
        new Dictionary<string, object> { ["variant"] = config.Variant.ToLowerInvariant(), ["batch"] = Batch, ["classes"] = config.Classes },
        () => Build(config, Batch),
        Flops: ForwardFlops(config),
        Bound: "convolution",
        Check: new ParityCheck($"the {config.Variant} variant on {CheckBatch} glyphs",
            new Dictionary<string, object> { ["variant"] = config.Variant.ToLowerInvariant(), ["batch"] = CheckBatch, ["classes"] = config.Classes },
            () => Build(config, CheckBatch)));

    /// <summary>GlyphCnnClassifier.Operations(batch) of a model built only to count (it reads nothing but the config), disposed at once.</summary>
    static double ForwardFlops(GlyphCnnConfig config)
    {
        using var model = new GlyphCnnClassifier(config);
        return model.Operations(Batch).Flops;
    }

    static ParityModel Build(GlyphCnnConfig config, int batch)
    {
        var options = GlyphTrainingOptions.ForVariant(config, epochs: 1, batchSize: batch, seed: 1);
        var model = new GlyphCnnClassifier(config);
        var grids = randint(0, GlyphCnnConfig.Vocabulary, [batch, GlyphCnnConfig.GridSize, GlyphCnnConfig.GridSize], dtype: ScalarType.Int64); // (B, 16, 16)
        var labels = randint(0, config.Classes, [batch], dtype: ScalarType.Int64); // (B)
        var weights = GlyphCnnTrainer.ClassWeights(labels.data<long>().Select(l => (int)l).ToList(), config.Classes, options.ClassWeightAlpha); // (classes)
        var parity = new ParityModel(model,
            () => model.forward(grids),
            () =>
            {
                var dropped = grids.masked_fill(rand(grids.shape) < options.TokenDropout, 0);
                return nn.functional.cross_entropy(model.forward(dropped), labels, weights, label_smoothing: options.LabelSmoothing);
            },
            new Dictionary<string, Tensor> { ["grids"] = grids, ["labels"] = labels, ["weights"] = weights });
        return parity;
    }
}
