using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Models.GlyphCnn;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.GlyphCnn;

/// <summary>
/// Document 003's parity cases: the three phase-2 CNNs at the speed experiment's batch of 256 glyphs
/// (benchmarks/pytorch/glyph_cnn.py is the PyTorch side). Inference is one forward pass on fixed random ids;
/// the loss is GlyphCnnTrainer's objective in its class-weighted phase: 2% token-id dropout, then label-smoothed
/// cross-entropy with inverse-frequency class weights (here of the batch's own random labels). The step is upstream's
/// train_phase2 loop (<see cref="Recipe"/>): backward, clip 1.0, AdamW step with the variant's config (at batch 256, the
/// base of its learning-rate scaling, the config's own rate), zero_grad, then the loss and top-1/top-5 accuracy read.
/// One micro-batch is one optimizer step here; upstream accumulates 4 micro-batches of 1024 per step. Inference is
/// infer_chain.py's: the forward pass, softmax, top 5. The learning-rate schedule is not part of a step.
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
        Recipe(config),
        Flops: ForwardFlops(config),
        Bound: "convolution",
        Check: new ParityCheck($"the {config.Variant} variant on {CheckBatch} glyphs",
            new Dictionary<string, object> { ["variant"] = config.Variant.ToLowerInvariant(), ["batch"] = CheckBatch, ["classes"] = config.Classes },
            () => Build(config, CheckBatch)));

    /// <summary>train_phase2's step with the variant's optimizer settings (configs/phase2.yaml, phase2_light.yaml, phase2_tiny.yaml),
    /// the learning rate as GlyphTrainingOptions.ForVariant scales it to batch 256.</summary>
    public static StepRecipe Recipe(GlyphCnnConfig config)
    {
        var options = GlyphTrainingOptions.ForVariant(config, epochs: 1, batchSize: Batch, seed: 1);
        string yaml = config.Variant switch { "Full" => "phase2.yaml:88-94", "Light" => "phase2_light.yaml:132-138", _ => "phase2_tiny.yaml:126-132" };
        return new StepRecipe(ParityOptimizer.AdamW, options.LearningRate, WeightDecay: options.WeightDecay, ClipNorm: options.GradClip,
            Training: TrainingReadout.LossAndTop5, Inference: InferenceReadout.SoftmaxTop5,
            Source: $"train/train_phase2.py:1244-1296 (token dropout 1246-1250, forward 1252-1267, backward 1271, clip 1273-1276, step 1281, zero_grad 1282, loss and accuracy_topk(1, 5) read 1286-1289); build_optimizer 620-632; configs/{yaml}; scripts/infer_chain.py:521-538 (softmax, topk 5)");
    }

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
        (Tensor Loss, Tensor Logits, Tensor Targets) Scored()
        {
            var dropped = grids.masked_fill(rand(grids.shape) < options.TokenDropout, 0);
            var logits = model.forward(dropped);                                         // (B, classes)
            return (nn.functional.cross_entropy(logits, labels, weights, label_smoothing: options.LabelSmoothing), logits, labels);
        }
        return new ParityModel(model, () => model.forward(grids), () => Scored().Loss,
            new Dictionary<string, Tensor> { ["grids"] = grids, ["labels"] = labels, ["weights"] = weights }) { Scored = Scored };
    }
}
