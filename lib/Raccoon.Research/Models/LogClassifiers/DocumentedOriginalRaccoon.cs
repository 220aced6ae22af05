using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Embeddings;
using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Blocks.Flows;
using Raccoon.Research.Blocks.Heads;
using Raccoon.Research.Blocks.Sde;
using Raccoon.Research.Blocks.Statistics;
using Raccoon.Research.Blocks.Memory;
using TorchSharp;
using TorchSharp.Modules;
using TransformerEncoder = Raccoon.Research.Blocks.Encoders.TransformerEncoder;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.LogClassifiers;

/// <summary>Configuration of the "Original" Raccoon as document 000 draws it.</summary>
public sealed record DocumentedOriginalConfig(
    int VocabularySize,
    int Classes,
    int ModelDim = 64,
    int Heads = 4,
    int Blocks = 4,
    int FfnHidden = 256,
    int LatentDim = 32,
    int DriftHidden = 64,
    int DriftDepth = 11,
    int OdeSteps = 3,
    double OdeStart = 0.0,
    double OdeEnd = 1.0,
    int FlowLayers = 4,
    int FlowHidden = 64,
    int FlowHiddenLayers = 3,
    int TimeDim = 32,
    double FlowTime = 0.5,
    int HeadHidden = 64,
    double EppsPulleyWeight = 0.01,
    int EppsPulleySlices = 64,
    int MemorySize = 5000,
    double AdaptationRate = 1e-4,
    AttentionKernel Kernel = AttentionKernel.Fused,
    int ReplaySeed = 0)
{
    /// <summary>The document's figures with the choices listed on <see cref="DocumentedOriginalRaccoon"/>,
    /// on the upstream 40-symbol log vocabulary and 4 classes.</summary>
    public static DocumentedOriginalConfig Documented { get; } = new(VocabularySize: 40, Classes: 4);
}

/// <summary>
/// The "Original Raccoon" as document 000 describes it (it is not the upstream RaccoonLogClassifier):
/// embedding -> 4 pre-LN transformer blocks (4 heads of size 16) -> mean over positions -> projection to a
/// 32-d latent -> 11-layer Linear-LayerNorm-SiLU drift integrated by Euler -> four time-conditioned coupling
/// layers -> Linear-ReLU-Linear head.
/// Where the document is silent or contradicts itself, these choices were made:
/// 1. Vocabulary: the upstream log task's 40 symbols; the document's 15K embedding figure fits no vocabulary of this task.
/// 2. Width: d = 64 = 4 heads x 16 for embedding and transformer (the document also writes embed = 32 in its FLOP count).
/// 3. Positions: the fixed sinusoidal encoding of upstream's pico-style encoder (no parameters); the document names none.
/// 4. Transformer block: pre-LN, attention without biases and with an output projection, ReLU FFN of 4d = 256
///    (the document's FFN is 32 -> 128 -> 32, i.e. 4x), no final LayerNorm (as upstream's encoder blocks).
/// 5. Pooling: mean over positions before the projection Linear(64 -> 32) (the document says only "dense projection").
/// 6. Drift: 11 x (Linear -> LayerNorm -> SiLU) on [z, t] (33 -> 64 -> ... -> 64), then Linear(64 -> 32) as the
///    document's "Layer 12"; upstream PriorODE's initialisation (Xavier-uniform, orthogonal output), no extra LayerNorm.
/// 7. Integration: 3 Euler steps on t in [0, 1] (the document says both n_steps = seq_len and 3 steps; its
///    timeline and FLOP count use 3); the final state goes on.
/// 8. Couplings: upstream's affine coupling with the multi-frequency time embedding (32) at t = 0.5, alternating
///    masks; the conditioner reads the 16 kept coordinates plus the time features (48 inputs) through three hidden
///    layers of 64 and an output of 64 (scale and shift), as the document's layer list.
/// 9. Head: Linear(32 -> 64) -> ReLU -> Linear(64 -> classes), the hidden width of both upstream models.
/// 10. Objective: cross-entropy + 0.01 x sliced Epps-Pulley on the flow output (upstream's normality term and
///     weight); no KL, since this encoder is deterministic. The document gives no loss.
/// 11. Replay: upstream's priority memory with the document's 5000 samples (the continual phase applies upstream's online update).
/// 12. Inference runs the whole path (it is deterministic: there is no sampling and no noise).
/// </summary>
public sealed class DocumentedOriginalRaccoon : nn.Module, IRaccoonModel
{
    readonly Embedding embedding;
    readonly SinusoidalPositionalEncoding positions;
    readonly TransformerEncoder encoder;
    readonly Linear projection;
    readonly NeuralOdeDrift drift;
    readonly TimeConditionedCouplingFlow flow;
    readonly Sequential head;
    readonly SlicedEppsPulley latent_test;
    readonly PriorityReplay replay;

    /// <summary>Model kind in checkpoints (<see cref="ModelRegistry"/>).</summary>
    public const string Kind = "documented-original-raccoon";

    public DocumentedOriginalConfig Config { get; }

    public DocumentedOriginalRaccoon(DocumentedOriginalConfig config, string name = "documented_original_raccoon") : base(name)
    {
        Config = config;
        embedding = nn.Embedding(config.VocabularySize, config.ModelDim);
        positions = new SinusoidalPositionalEncoding();
        encoder = new TransformerEncoder(new TransformerEncoderConfig(config.ModelDim, config.Heads, config.Blocks, config.FfnHidden), config.Kernel);
        projection = nn.Linear(config.ModelDim, config.LatentDim);
        drift = new NeuralOdeDrift(config.LatentDim, config.DriftHidden, config.DriftDepth);
        flow = new TimeConditionedCouplingFlow(config.LatentDim, config.FlowHidden, config.FlowLayers, config.TimeDim,
            config.FlowHiddenLayers, input: CouplingInput.KeptOnly);
        head = MlpHead.Create(config.LatentDim, config.HeadHidden, config.Classes, HeadActivation.ReLU);
        latent_test = new SlicedEppsPulley(config.EppsPulleySlices, tMax: 5.0, points: 17);
        replay = new PriorityReplay(config.MemorySize, config.ReplaySeed);
        RegisterComponents();
    }

    public int VocabularySize => Config.VocabularySize;
    public int Classes => Config.Classes;
    public nn.Module Module => this;

    public Embedding Embedding => embedding;
    public TransformerEncoder Encoder => encoder;
    public Linear Projection => projection;
    public NeuralOdeDrift Dynamics => drift;
    public TimeConditionedCouplingFlow Flow => flow;
    public Sequential Head => head;
    public PriorityReplay Memory => replay;
    public IReplayMemory Replay => replay;
    public double AdaptationRate => Config.AdaptationRate;

    public IReadOnlyList<ModelComponent> Components =>
    [
        new(RaccoonStage.Embedding, embedding), new(RaccoonStage.Encoder, encoder), new(RaccoonStage.Projection, projection),
        new(RaccoonStage.Dynamics, drift), new(RaccoonStage.Flow, flow), new(RaccoonStage.Head, head),
    ];

    /// <summary>tokens (B, T) -> normalised latent (B, L) and the flow's log-det (B).</summary>
    public (Tensor Z, Tensor LogDet) Latent(Tensor tokens, StageObserver? onStage = null)
    {
        var x = positions.forward(embedding.forward(tokens)); // (B, T, D)
        onStage?.Invoke(RaccoonStage.Embedding);
        var h = encoder.forward(x);                           // (B, T, D)
        onStage?.Invoke(RaccoonStage.Encoder);
        var z0 = projection.forward(h.mean([1]));             // (B, L)
        onStage?.Invoke(RaccoonStage.Projection);
        var path = Euler.Solve(drift.forward, z0, Config.OdeStart, Config.OdeEnd, Config.OdeSteps); // (B, steps + 1, L)
        var zT = path[.., -1];                                // (B, L)
        onStage?.Invoke(RaccoonStage.Dynamics);
        var t = full(zT.shape[0], 1, Config.FlowTime, dtype: zT.dtype, device: zT.device); // (B, 1)
        var (z, logDet) = flow.Forward(zT, t);
        onStage?.Invoke(RaccoonStage.Flow);
        return (z, logDet);
    }

    public Tensor Logits(Tensor tokens) => Logits(tokens, null);

    public Tensor Logits(Tensor tokens, StageObserver? onStage)
    {
        TokenChecks.Tokens(tokens, VocabularySize, "DocumentedOriginalRaccoon");
        var (z, _) = Latent(tokens, onStage);
        var logits = head.forward(z); // (B, C)
        onStage?.Invoke(RaccoonStage.Head);
        return logits;
    }

    public (Tensor Loss, Tensor Logits) Objective(Tensor tokens, Tensor labels) => Objective(tokens, labels, null);

    public (Tensor Loss, Tensor Logits) Objective(Tensor tokens, Tensor labels, StageObserver? onStage)
    {
        TokenChecks.Tokens(tokens, VocabularySize, "DocumentedOriginalRaccoon");
        TokenChecks.Labels(labels, tokens.shape[0], Classes, "DocumentedOriginalRaccoon");
        var (z, _) = Latent(tokens, onStage);
        var logits = head.forward(z); // (B, C)
        onStage?.Invoke(RaccoonStage.Head);
        var loss = nn.functional.cross_entropy(logits, labels);
        if (Config.EppsPulleyWeight != 0) loss = loss + Config.EppsPulleyWeight * latent_test.forward(z.unsqueeze(0)); // (1, B, L)
        onStage?.Invoke(RaccoonStage.Loss);
        return (loss, logits);
    }

}
