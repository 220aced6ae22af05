using Raccoon.Research.Measurements.Parity;
using Raccoon.Research.Models.LanguageModels;
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

    static LanguageModelConfig Config => LanguageModelConfig.Document with { MaxLength = N };

    static readonly string Size = $"batch {Batch} of {N} tokens (maximum length {N}; the cost experiment's longest n); training on {N} tokens, {N - 1} predictions";

    public static IReadOnlyList<ParityCase> Cases { get; } =
    [
        new("language-models/transformer", "004", "Transformer", Size, Arguments(),
            () => Build(new TransformerLanguageModel(Config)),
            Flops: LanguageModelCost.Forward(Config, N, transformer: true).Flops, Bound: "matmul"),
        new("language-models/hypermixer", "004", "HyperMixer", Size, Arguments(),
            () => Build(new HyperMixerLanguageModel(Config, HyperMixerVariant.Upstream)),
            Flops: LanguageModelCost.Forward(Config, N, transformer: false).Flops, Bound: "matmul"),
    ];

    static Dictionary<string, object> Arguments()
    {
        var c = Config;
        return new()
        {
            ["vocabulary"] = c.VocabularySize, ["max_length"] = c.MaxLength, ["model_dim"] = c.ModelDim, ["hidden_dim"] = c.HiddenDim,
            ["layers"] = c.Layers, ["batch"] = Batch, ["length"] = N, ["train_length"] = N,
        };
    }

    static ParityModel Build(LanguageModel model)
    {
        var tokens = randint(0, model.Config.VocabularySize, [Batch, N], dtype: ScalarType.Int64);
        var trainTokens = randint(0, model.Config.VocabularySize, [Batch, N], dtype: ScalarType.Int64);
        var built = new ParityModel(model, () => model.forward(tokens), () => NextToken.TeacherForcedLoss(model, trainTokens));
        built.Held.Add(tokens);
        built.Held.Add(trainTokens);
        return built;
    }
}
