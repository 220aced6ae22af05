using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Blocks.Flows;
using Raccoon.Research.Blocks.Heads;
using Raccoon.Research.Blocks.Sde;
using Raccoon.Research.Blocks.Memory;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.LogClassifiers;

/// <summary>Configuration of upstream's SimpleRaccoonModel (the document's "Alternative").</summary>
public sealed record SimpleRaccoonConfig(
    int VocabularySize,
    int Classes,
    int LatentDim = 32,
    int HiddenDim = 64,
    int EmbedDim = 32,
    int MemorySize = 1000,
    int SdeSteps = 3,
    double SdeDt = 0.01,
    double Theta = 0.1,
    double Sigma = 0.1,
    int FlowLayers = 4,
    double Dropout = 0.1,
    double FlowRegWeight = 0.01,
    double AdaptationRate = 1e-4,
    InferencePath Inference = InferencePath.Upstream,
    int ReplaySeed = 0)
{
    /// <summary>Upstream's CNN channels.</summary>
    public IReadOnlyList<int> ConvChannels { get; init; } = [32, 32, 16];

    /// <summary>What upstream's main builds: the 43-symbol realistic-log vocabulary, 4 classes, latent 32,
    /// hidden 64, embedding 32, memory 1000, three OU steps of 0.01.</summary>
    public static SimpleRaccoonConfig Upstream { get; } = new(VocabularySize: 43, Classes: 4);
}

/// <summary>
/// Upstream's SimpleRaccoonModel (raccoon_alternative.py), composed from the shared blocks:
/// embedding (padding id 0) -> Conv1d-BatchNorm-ReLU x3 + global average pool + Linear -> in training
/// mode only, three Ornstein-Uhlenbeck Euler-Maruyama steps (dt 0.01) -> four diagonal affine flows ->
/// head (Linear-ReLU-Dropout(0.1)-Linear). Objective: CE + 0.01 mean |log-det|.
/// Upstream's training calls the SDE when the model is in training mode and its validation does not, so
/// <see cref="Objective"/> applies the SDE iff the module is in training mode. Upstream's test evaluation and
/// inference engine (and so <see cref="InferencePath.Upstream"/>) classify the encoder output directly,
/// skipping the flows the head was trained on; its validation runs the flows (<see cref="InferencePath.Full"/>).
/// Upstream defines the circular buffer but never trains from it; <see cref="Replay"/> offers it to the continual
/// phase, which then applies RaccoonLogClassifier's online update with this buffer (not an upstream procedure).
/// </summary>
public sealed class SimpleRaccoonModel : nn.Module, IRaccoonModel
{
    readonly Embedding embedding;
    readonly ConvEncoder1d encoder;
    readonly OrnsteinUhlenbeck sde;
    readonly FlowSequence flow;
    readonly Sequential head;
    readonly Tensor global_step; // registered but never advanced upstream; kept so the saved state matches
    readonly CircularReplay replay;

    /// <summary>Model kind in checkpoints (<see cref="ModelRegistry"/>).</summary>
    public const string Kind = "simple-raccoon";

    /// <summary>Upstream's state names: its flow is a plain ModuleList (flow.0.scale), this port's a sequence (flow.layers.0.scale).</summary>
    public static IO.ParameterNames PyTorchNames { get; } = new((@"^flow\.layers\.", "flow."));

    public SimpleRaccoonConfig Config { get; }

    public SimpleRaccoonModel(SimpleRaccoonConfig config, string name = "simple_raccoon") : base(name)
    {
        Config = config;
        embedding = nn.Embedding(config.VocabularySize, config.EmbedDim, padding_idx: 0);
        encoder = new ConvEncoder1d(config.EmbedDim, config.ConvChannels, config.LatentDim);
        sde = new OrnsteinUhlenbeck(config.Theta, config.Sigma);
        flow = new FlowSequence(Enumerable.Range(0, config.FlowLayers).Select(_ => (Flow)new DiagonalAffine(config.LatentDim)));
        head = MlpHead.Create(config.LatentDim, config.HiddenDim, config.Classes, HeadActivation.ReLU, config.Dropout);
        global_step = zeros(Array.Empty<long>(), dtype: ScalarType.Int64);
        replay = new CircularReplay(config.MemorySize, config.ReplaySeed);
        RegisterComponents();
    }

    public int VocabularySize => Config.VocabularySize;
    public int Classes => Config.Classes;
    public nn.Module Module => this;

    public Embedding Embedding => embedding;
    public ConvEncoder1d Encoder => encoder;
    public OrnsteinUhlenbeck Dynamics => sde;
    public FlowSequence Flow => flow;
    public Sequential Head => head;
    public CircularReplay Memory => replay;
    public IReplayMemory Replay => replay;
    public double AdaptationRate => Config.AdaptationRate;

    public IReadOnlyList<ModelComponent> Components =>
    [
        new(RaccoonStage.Embedding, embedding), new(RaccoonStage.Encoder, encoder), new(RaccoonStage.Dynamics, sde),
        new(RaccoonStage.Flow, flow), new(RaccoonStage.Head, head),
    ];

    /// <summary>tokens (B, T) -> latent (B, L).</summary>
    public Tensor Encode(Tensor tokens, StageObserver? onStage = null)
    {
        var embedded = embedding.forward(tokens); // (B, T, E)
        onStage?.Invoke(RaccoonStage.Embedding);
        var z = encoder.forward(embedded);        // (B, L)
        onStage?.Invoke(RaccoonStage.Encoder);
        return z;
    }

    public Tensor Logits(Tensor tokens) => Logits(tokens, null);

    public Tensor Logits(Tensor tokens, StageObserver? onStage)
    {
        TokenChecks.Tokens(tokens, VocabularySize, "SimpleRaccoonModel");
        var z = Encode(tokens, onStage);
        if (Config.Inference == InferencePath.Full)
        {
            z = flow.Forward(z).Z;
            onStage?.Invoke(RaccoonStage.Flow);
        }
        var logits = head.forward(z); // (B, C)
        onStage?.Invoke(RaccoonStage.Head);
        return logits;
    }

    public (Tensor Loss, Tensor Logits) Objective(Tensor tokens, Tensor labels) => Objective(tokens, labels, null);

    public (Tensor Loss, Tensor Logits) Objective(Tensor tokens, Tensor labels, StageObserver? onStage)
    {
        TokenChecks.Tokens(tokens, VocabularySize, "SimpleRaccoonModel");
        TokenChecks.Labels(labels, tokens.shape[0], Classes, "SimpleRaccoonModel");
        var z = Encode(tokens, onStage);
        if (training) z = sde.Steps(z, Config.SdeSteps, Config.SdeDt); // upstream: SDE in training only
        onStage?.Invoke(RaccoonStage.Dynamics);
        var (zFlow, logDet) = flow.Forward(z); // (B, L), (B)
        onStage?.Invoke(RaccoonStage.Flow);
        var logits = head.forward(zFlow);      // (B, C)
        onStage?.Invoke(RaccoonStage.Head);
        var loss = nn.functional.cross_entropy(logits, labels) + Config.FlowRegWeight * logDet.abs().mean();
        onStage?.Invoke(RaccoonStage.Loss);
        return (loss, logits);
    }

}
