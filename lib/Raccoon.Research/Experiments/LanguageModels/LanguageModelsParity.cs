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
/// RustGPT is Rust, not PyTorch: the step here is the PyTorch equivalent of its train_batch (<see cref="Recipe"/>): the
/// loss, its gradient at the logits clipped by RustGPT's default adaptive clip (threshold 0.01 on the gradient's RMS;
/// its centralisation is a no-op for softmax cross-entropy), backward, and Adam at the pre-training rate 5e-4 with
/// RustGPT's betas and eps (PyTorch's defaults); no clip of the parameters' gradients. Inference is one step of its
/// greedy decoding: the forward pass, softmax of the last position, argmax.
/// </summary>
public static class LanguageModelsParity
{
    const int N = 1024, Batch = 1;
    /// <summary>The function check: the document's configuration (maximum length 80) on batch 2 of 16 tokens.</summary>
    public const int CheckBatch = 2, CheckLength = 16;

    static LanguageModelConfig Config => LanguageModelConfig.Document with { MaxLength = N };

    static readonly string Size = $"batch {Batch} of {N} tokens (maximum length {N}; the cost experiment's longest n); training on {N} tokens, {N - 1} predictions";

    /// <summary>RustGPT's training step (commit 69aa104) in PyTorch terms, which both models take.</summary>
    public static readonly StepRecipe Recipe = new(ParityOptimizer.Adam, 5e-4, LogitClip: 0.01, Inference: InferenceReadout.LastPositionSoftmaxArgmax,
        Source: "src/llm.rs:309-384 (train_batch: softmax 339, loss 341, logit gradient 344, clip 346-349, backward 351-371, per-layer Adam 374-381), 147-149 and 159-161 (default clipper), 200-266 (greedy decoding: forward, softmax of the last row, argmax); src/gradient_clipping.rs:29-38 (threshold 0.01, centralisation, AGC), 52-80; src/adam.rs:14-35; src/main.rs:103 (rate 5e-4)");

    public static IReadOnlyList<ParityCase> Cases { get; } =
    [
        new("language-models/transformer", "004", "Transformer", Size, Arguments(),
            () => Build(new TransformerLanguageModel(Config), Batch, N), Recipe,
            Flops: LanguageModelCost.Forward(Config, N, transformer: true).Flops, Bound: "matmul",
            Check: Check(() => new TransformerLanguageModel(LanguageModelConfig.Document))),
        new("language-models/hypermixer", "004", "HyperMixer", Size, Arguments(),
            () => Build(new HyperMixerLanguageModel(Config, HyperMixerVariant.Upstream), Batch, N), Recipe,
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
            new Dictionary<string, Tensor> { ["tokens"] = tokens, ["train_tokens"] = trainTokens })
        {
            Scored = () =>
            {
                long t = trainTokens.shape[1];
                var logits = model.forward(trainTokens.narrow(1, 0, t - 1));            // (B, T-1, V)
                var flat = logits.reshape(-1, logits.shape[2]);                          // (n, V)
                var targets = trainTokens.narrow(1, 1, t - 1).reshape(-1);               // (n)
                return (nn.functional.cross_entropy(flat, targets), flat, targets);
            },
        };
    }
}
