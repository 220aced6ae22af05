using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Models.LogClassifiers;
using Raccoon.Research.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.LogClassifiers;

/// <summary>
/// Document 000's models in the parity benchmark (PyTorch side: benchmarks/pytorch/log_classifiers.py):
/// the two upstream builds in their upstream configurations (76,740 and 12,470 parameters), at the speed
/// experiment's batch of 32 sequences of 50 tokens. Inference is the upstream inference path
/// (<see cref="IRaccoonModel.Logits(Tensor)"/>); the loss is the training objective
/// (<see cref="IRaccoonModel.Objective(Tensor, Tensor)"/>). Flops: the library's analytic count of the
/// training-path forward pass (<see cref="LogClassifiersCost"/>: embedding, encoder, dynamics, flow, head);
/// the upstream inference path runs only the embedding, encoder and head. No Bound: at these sizes the
/// steps are many small kernels, not one kind. The function check runs the same upstream configurations on
/// batch <see cref="CheckBatch"/> of <see cref="CheckLength"/> tokens.
/// The steps are upstream's (<see cref="StepRecipe"/>). Original: train_raccoon_classifier's AdamW (1e-3, weight decay 1e-5),
/// zero_grad, backward, its NaN guards (forward's isnan/isinf of the loss; every gradient scanned and its norm read),
/// clip 1.0, step, with the forward's argmax accuracy read; inference is its test evaluation (encode, sample, classify,
/// argmax). Alternative: train_alternative_raccoon's Adam (1e-3), zero_grad, backward, clip 1.0, step, with the
/// forward's argmax accuracy read; inference is InferenceEngine.predict (encode, classify, softmax, argmax): upstream's
/// inference runs no flow and no SDE, whatever the "encode, flow, classify" says.
/// </summary>
public static class LogClassifiersParity
{
    const int Batch = LogClassifiersBuilds.Batch, Length = LogClassifiersBuilds.SequenceLength;
    public const int CheckBatch = 2, CheckLength = 8;

    static readonly string Size = $"batch {Batch} of {Length}-token sequences (the speed experiment's batch)";

    public static IReadOnlyList<ParityCase> Cases { get; } =
    [
        new("log-classifiers/original-upstream", "000", "Original (upstream)", Size,
            Arguments(RaccoonLogClassifierConfig.Upstream.VocabularySize, RaccoonLogClassifierConfig.Upstream.Classes),
            () => Build(new RaccoonLogClassifier(RaccoonLogClassifierConfig.Upstream), Batch, Length),
            new StepRecipe(ParityOptimizer.AdamW, 1e-3, WeightDecay: 1e-5, ClipNorm: 1.0, Guards: true, Training: TrainingReadout.LossAndAccuracy,
                Inference: InferenceReadout.Argmax,
                Source: "latent_drift_trajectory.py:1623-1672 (train_raccoon_classifier: AdamW 1633, zero_grad 1653, backward 1654, gradient scan 1656-1664, clip 1671, step 1672); forward's loss guard 1535, accuracy 1542-1544; test evaluation 1833-1847"),
            Flops: LogClassifiersCost.Upstream(RaccoonLogClassifierConfig.Upstream, Batch, Length).Flops,
            Check: Check(RaccoonLogClassifierConfig.Upstream.VocabularySize, RaccoonLogClassifierConfig.Upstream.Classes,
                () => new RaccoonLogClassifier(RaccoonLogClassifierConfig.Upstream)),
            Names: RaccoonLogClassifier.PyTorchNames),
        new("log-classifiers/simple-upstream", "000", "Alternative", Size,
            Arguments(SimpleRaccoonConfig.Upstream.VocabularySize, SimpleRaccoonConfig.Upstream.Classes),
            () => Build(new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream), Batch, Length),
            new StepRecipe(ParityOptimizer.Adam, 1e-3, ClipNorm: 1.0, Training: TrainingReadout.LossAndAccuracy, Inference: InferenceReadout.SoftmaxArgmax,
                Source: "raccoon_alternative.py:735-789 (train_alternative_raccoon: Adam 759, forward 780, zero_grad 782, backward 783, clip 784, step 785, accuracy read 788); forward's accuracy 461-463; InferenceEngine.predict 490-506 (encode, classify, softmax, argmax; no flow)"),
            Flops: LogClassifiersCost.Alternative(SimpleRaccoonConfig.Upstream, Batch, Length).Flops,
            Check: Check(SimpleRaccoonConfig.Upstream.VocabularySize, SimpleRaccoonConfig.Upstream.Classes,
                () => new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream)),
            Names: SimpleRaccoonModel.PyTorchNames),
    ];

    static Dictionary<string, object> Arguments(int vocabulary, int classes, int batch = Batch, int length = Length) => new()
    {
        ["vocabulary"] = vocabulary, ["classes"] = classes, ["batch"] = batch, ["length"] = length,
    };

    static ParityCheck Check(int vocabulary, int classes, Func<IRaccoonModel> make) =>
        new($"the upstream configuration on batch {CheckBatch} of {CheckLength}-token sequences",
            Arguments(vocabulary, classes, CheckBatch, CheckLength), () => Build(make(), CheckBatch, CheckLength));

    static ParityModel Build(IRaccoonModel model, int batch, int length)
    {
        var tokens = randint(0, model.VocabularySize, [batch, length], dtype: ScalarType.Int64); // (B, T)
        var labels = randint(0, model.Classes, [batch], dtype: ScalarType.Int64);               // (B)
        return new ParityModel(model.Module, () => model.Logits(tokens), () => model.Objective(tokens, labels).Loss,
            new Dictionary<string, Tensor> { ["tokens"] = tokens, ["labels"] = labels })
        {
            Scored = () =>
            {
                var (loss, logits) = model.Objective(tokens, labels);
                return (loss, logits, labels);
            },
        };
    }
}
