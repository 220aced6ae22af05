using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.IO;
using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Models.LatentOde;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.LatentOde;

/// <summary>
/// Document 001's parity cases (benchmarks/pytorch/latent_ode.py is the PyTorch side). The latent ODE model,
/// upstream and modern configuration: inference is the encoder (the model's forward) at the cost experiment's
/// seq 512, batch 8 (T1-06); the loss is the whole model's (reconstruction + 0.05 x sliced Epps-Pulley of z and
/// of the ODE's predictions + ODE matching, as LatentOdeTraining is given it) on batch 8 x 67 tokens, the training
/// task's length and T1-08's quick batch. The block stacks are BlockStackLanguageModel as the extrapolation
/// experiment (T1-02) builds it per position encoding: vocabulary 30, 2 causal blocks of width 64, 4 heads, FFN 128,
/// fused kernel, batch 32 x 35 tokens (body 32), next-token loss from position 2. Tokens are uniform random ids.
/// The training step is train_ode's (<see cref="Recipe"/>): AdamW (1e-3, weight decay 1e-5), zero_grad, backward, its NaN
/// guards, clip 1.0, step, the loss read. The block stacks are this project's experiment, with no loop upstream: they take
/// the same step, document 001's only one. Inference stays the encoder pass the cost experiment times: upstream's only
/// inference is sample_sequences_ode (an ODE rollout that reruns the decoder per token), which this benchmark does not time.
/// </summary>
public static class LatentOdeParity
{
    public const int Batch = 8, Seq = 512, LossBatch = 8, LossSeq = 67;
    public const int StackBatch = 32, StackSeq = 35, StackFrom = 2;
    /// <summary>The function check's sizes: the same configurations on batch 2 of 8 tokens.</summary>
    public const int CheckBatch = 2, CheckSeq = 8;

    /// <summary>train_ode's step, which every case of document 001 takes.</summary>
    public static readonly StepRecipe Recipe = new(ParityOptimizer.AdamW, 1e-3, WeightDecay: 1e-5, ClipNorm: 1.0, Guards: true,
        Source: "latent_drift_trajectory.py:860-915 (train_ode: AdamW 867, forward 894, zero_grad 896, backward 897, gradient scan 899-907, clip 914, step 915, loss read 918); forward's loss guard 786; upstream's inference, sample_sequences_ode 804-850, is not timed");

    public static IReadOnlyList<ParityCase> Cases { get; } =
    [
        LatentOde("upstream", "Upstream latent ODE model", LatentOdeConfig.Upstream),
        LatentOde("modern", "Modern latent ODE model (RoPE, fused attention and QKV, SwiGLU)", LatentOdeConfig.Modern),
        BlockStack(PositionEncoding.Sinusoidal),
        BlockStack(PositionEncoding.Rope),
        BlockStack(PositionEncoding.Alibi),
    ];

    static ParityCase LatentOde(string key, string name, LatentOdeConfig config, ParameterNames? names = null) => new(
        $"latent-ode/{key}", "001", name,
        $"inference: encoder on batch {Batch} x {Seq} tokens; training: the whole model's loss on batch {LossBatch} x {LossSeq} tokens " +
        $"(at seq {Seq} a step takes many seconds on 2 cores, mostly the {config.Slices}-slice Epps-Pulley term; T1-08 at standard uses batch 32 x {LossSeq})",
        LatentOdeArguments(Batch, Seq, LossBatch, LossSeq), () => BuildLatentOde(config, Batch, Seq, LossBatch, LossSeq), Recipe,
        Check: new ParityCheck($"the {key} configuration; encoder and loss on batch {CheckBatch} x {CheckSeq} tokens",
            LatentOdeArguments(CheckBatch, CheckSeq, CheckBatch, CheckSeq), () => BuildLatentOde(config, CheckBatch, CheckSeq, CheckBatch, CheckSeq)),
        Names: names);

    static Dictionary<string, object> LatentOdeArguments(int batch, int seq, int lossBatch, int lossSeq) =>
        new() { ["batch"] = batch, ["seq"] = seq, ["loss_batch"] = lossBatch, ["loss_seq"] = lossSeq, ["ep_weight"] = 0.05 };

    static ParityModel BuildLatentOde(LatentOdeConfig config, int batch, int seq, int lossBatch, int lossSeq)
    {
        var model = new DeterministicLatentOde(config);
        var tokens = randint(0, config.Vocab, [batch, seq], dtype: ScalarType.Int64);               // (B, L)
        var lossTokens = randint(0, config.Vocab, [lossBatch, lossSeq], dtype: ScalarType.Int64);   // (B', L')
        return new ParityModel(model, () => model.forward(tokens), () => model.Loss(lossTokens, 0.05).Total,
            new Dictionary<string, Tensor> { ["tokens"] = tokens, ["loss_tokens"] = lossTokens });
    }

    static ParityCase BlockStack(PositionEncoding positions, ParameterNames? names = null) => new(
        $"latent-ode/block-stack-{positions.ToString().ToLowerInvariant()}", "001", $"Block stack, {positions} positions",
        $"batch {StackBatch} x {StackSeq} tokens, 2 causal blocks of width 64",
        StackArguments(StackBatch, StackSeq), () => BuildStack(positions, StackBatch, StackSeq), Recipe,
        Check: new ParityCheck($"2 causal blocks of width 64 on batch {CheckBatch} x {CheckSeq} tokens", StackArguments(CheckBatch, CheckSeq),
            () => BuildStack(positions, CheckBatch, CheckSeq)),
        Names: names);

    static Dictionary<string, object> StackArguments(int batch, int seq) =>
        new() { ["batch"] = batch, ["seq"] = seq, ["from"] = StackFrom, ["depth"] = 2, ["dim"] = 64, ["heads"] = 4, ["ffn_hidden"] = 128 };

    static ParityModel BuildStack(PositionEncoding positions, int batch, int seq)
    {
        var model = new BlockStackLanguageModel(TargetLetterTask.Alphabet.Length, 2, new TransformerBlockConfig(64, 4, 128), positions);
        var tokens = randint(0, TargetLetterTask.Alphabet.Length, [batch, seq], dtype: ScalarType.Int64); // (B, T)
        return new ParityModel(model, () => model.forward(tokens), () => model.Loss(tokens, from: StackFrom),
            new Dictionary<string, Tensor> { ["tokens"] = tokens });
    }
}
