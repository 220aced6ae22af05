using Raccoon.Research.Measurements.Parity;
using Raccoon.Research.Models.LogClassifiers;
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
/// steps are many small kernels, not one kind.
/// </summary>
public static class LogClassifiersParity
{
    const int Batch = LogClassifiersBuilds.Batch, Length = LogClassifiersBuilds.SequenceLength;

    static readonly string Size = $"batch {Batch} of {Length}-token sequences (the speed experiment's batch)";

    public static IReadOnlyList<ParityCase> Cases { get; } =
    [
        new("log-classifiers/original-upstream", "000", "Original (upstream)", Size,
            Arguments(RaccoonLogClassifierConfig.Upstream.VocabularySize, RaccoonLogClassifierConfig.Upstream.Classes),
            () => Build(new RaccoonLogClassifier(RaccoonLogClassifierConfig.Upstream)),
            Flops: LogClassifiersCost.Upstream(RaccoonLogClassifierConfig.Upstream, Batch, Length).Flops),
        new("log-classifiers/simple-upstream", "000", "Alternative", Size,
            Arguments(SimpleRaccoonConfig.Upstream.VocabularySize, SimpleRaccoonConfig.Upstream.Classes),
            () => Build(new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream)),
            Flops: LogClassifiersCost.Alternative(SimpleRaccoonConfig.Upstream, Batch, Length).Flops),
    ];

    static Dictionary<string, object> Arguments(int vocabulary, int classes) => new()
    {
        ["vocabulary"] = vocabulary, ["classes"] = classes, ["batch"] = Batch, ["length"] = Length,
    };

    static ParityModel Build(IRaccoonModel model)
    {
        var tokens = randint(0, model.VocabularySize, [Batch, Length], dtype: ScalarType.Int64);
        var labels = randint(0, model.Classes, [Batch], dtype: ScalarType.Int64);
        var built = new ParityModel(model.Module, () => model.Logits(tokens), () => model.Objective(tokens, labels).Loss);
        built.Held.Add(tokens);
        built.Held.Add(labels);
        return built;
    }
}
