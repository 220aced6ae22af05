using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Models.LanguageModels;
using Raccoon.Research.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.LanguageModels;

/// <summary>
/// Document 004's models in the parity benchmark (PyTorch side: benchmarks/pytorch/language_models.py):
/// RustGPT's Transformer (fused attention kernel, the library's default) and HyperMixer (upstream, non-causal
/// token mixing) at the longest sequence the cost experiment times, n = 1024, batch 1 as RustGPT runs, with
/// the maximum length raised to n as that experiment raises it (which grows the HyperMixer's hypernetworks to
/// 13.6M parameters). Inference is one forward pass on 1024 tokens; the loss is the teacher-forced next-token
/// cross entropy (<see cref="NextToken.TeacherForcedLoss"/>) on 1024 tokens (1023 predictions), as the cost
/// experiment's training step uses where n + 1 would exceed the maximum length. Flops:
/// <see cref="LanguageModelCost.Forward"/> at n = 1024, nearly all in matrix products.
/// </summary>
public static class LanguageModelsParity
{
    const int N = 1024, Batch = 1;
    /// <summary>The function check: the document's configuration (maximum length 80) on batch 2 of 16 tokens.</summary>
    public const int CheckBatch = 2, CheckLength = 16;

    static LanguageModelConfig Config => LanguageModelConfig.Document with { MaxLength = N };

    static readonly string Size = $"batch {Batch} of {N} tokens (maximum length {N}; the cost experiment's longest n); training on {N} tokens, {N - 1} predictions";

    public static IReadOnlyList<ParityCase> Cases { get; } =
    [
        new("language-models/transformer", "004", "Transformer", Size, Arguments(),
            () => Build(new TransformerLanguageModel(Config), Batch, N),
            Flops: LanguageModelCost.Forward(Config, N, transformer: true).Flops, Bound: "matmul",
            Check: Check(() => new TransformerLanguageModel(LanguageModelConfig.Document))),
        new("language-models/hypermixer", "004", "HyperMixer", Size, Arguments(),
            () => Build(new HyperMixerLanguageModel(Config, HyperMixerVariant.Upstream), Batch, N),
            Flops: LanguageModelCost.Forward(Config, N, transformer: false).Flops, Bound: "matmul",
            Check: Check(() => new HyperMixerLanguageModel(LanguageModelConfig.Document, HyperMixerVariant.Upstream)),
            Names: HyperMixerLanguageModel.PyTorchNames),
    ];

    static Dictionary<string, object> Arguments() => Arguments(Config, Batch, N);

    static Dictionary<string, object> Arguments(LanguageModelConfig c, int batch, int length) => new()
    {
        ["vocabulary"] = c.VocabularySize, ["max_length"] = c.MaxLength, ["model_dim"] = c.ModelDim, ["hidden_dim"] = c.HiddenDim,
        ["layers"] = c.Layers, ["batch"] = batch, ["length"] = length, ["train_length"] = length,
    };

    static ParityCheck Check(Func<LanguageModel> make) =>
        new($"the document's configuration (maximum length {LanguageModelConfig.Document.MaxLength}) on batch {CheckBatch} of {CheckLength} tokens",
            Arguments(LanguageModelConfig.Document, CheckBatch, CheckLength), () => Build(make(), CheckBatch, CheckLength));

    static ParityModel Build(LanguageModel model, int batch, int length)
    {
        var tokens = randint(0, model.Config.VocabularySize, [batch, length], dtype: ScalarType.Int64);      // (B, T)
        var trainTokens = randint(0, model.Config.VocabularySize, [batch, length], dtype: ScalarType.Int64); // (B, T)
        return new ParityModel(model, () => model.forward(tokens), () => NextToken.TeacherForcedLoss(model, trainTokens),
            new Dictionary<string, Tensor> { ["tokens"] = tokens, ["train_tokens"] = trainTokens });
    }
}
