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
            Flops: LogClassifiersCost.Upstream(RaccoonLogClassifierConfig.Upstream, Batch, Length).Flops,
            Check: Check(RaccoonLogClassifierConfig.Upstream.VocabularySize, RaccoonLogClassifierConfig.Upstream.Classes,
                () => new RaccoonLogClassifier(RaccoonLogClassifierConfig.Upstream)),
            Names: RaccoonLogClassifier.PyTorchNames),
        new("log-classifiers/simple-upstream", "000", "Alternative", Size,
            Arguments(SimpleRaccoonConfig.Upstream.VocabularySize, SimpleRaccoonConfig.Upstream.Classes),
            () => Build(new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream), Batch, Length),
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
            new Dictionary<string, Tensor> { ["tokens"] = tokens, ["labels"] = labels });
    }
}
