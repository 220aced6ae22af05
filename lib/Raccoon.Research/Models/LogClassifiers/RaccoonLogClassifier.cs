using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Blocks.Flows;
using Raccoon.Research.Blocks.Heads;
using Raccoon.Research.Blocks.Sde;
using Raccoon.Research.Blocks.Statistics;
using Raccoon.Research.Blocks.Memory;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.LogClassifiers;

/// <summary>Configuration of the upstream RaccoonLogClassifier.</summary>
public sealed record RaccoonLogClassifierConfig(
    int VocabularySize,
    int Classes,
    int LatentDim = 32,
    int HiddenDim = 64,
    int EmbedDim = 32,
    int MemorySize = 5000,
    double AdaptationRate = 1e-4,
    int FlowLayers = 4,
    int TimeDim = 32,
    double SigmaMin = 1e-4,
    double SigmaMax = 1.0,
    double SdeHorizon = 0.1,
    int SdeTimePoints = 3,
    double FlowTime = 0.5,
    double ClassWeight = 1.0,
    double KlWeight = 0.1,
    double EppsPulleyWeight = 0.01,
    int EppsPulleySlices = 64,
    InferencePath Inference = InferencePath.Upstream,
    int ReplaySeed = 0)
{
    /// <summary>What upstream's main builds: the 40-symbol log vocabulary, 4 classes, latent 32, hidden 64,
    /// embedding 32, memory 2000 (main's value; the constructor default is 5000), adaptation rate 1e-4,
    /// loss weights (1, 0.1, 0.01).</summary>
    public static RaccoonLogClassifierConfig Upstream { get; } = new(VocabularySize: 40, Classes: 4, MemorySize: 2000);
}

/// <summary>The terms of the RaccoonLogClassifier objective.</summary>
public sealed record RaccoonLossTerms(Tensor Loss, Tensor Classification, Tensor Kl, Tensor EppsPulley, Tensor Logits);

/// <summary>
/// Upstream's RaccoonLogClassifier (latent_drift_trajectory.py), composed from the shared blocks:
/// embedding -> mean-pooled MLP encoder with mean and log-variance heads -> reparameterised sample ->
/// SDE (drift + clamped log-diffusion nets) by Euler-Maruyama over three time points on [0, 0.1], final
/// state -> four time-conditioned affine couplings at t = 0.5 -> head (Linear-SiLU-Linear).
/// Objective: CE + 0.1 KL(q || learnable prior) + 0.01 sliced Epps-Pulley(flow output).
/// Upstream behaviours kept on purpose: the flow's log-det is computed but not in the loss; the KL is a
/// mean over coordinates, clamped at 0; upstream's evaluation (and so <see cref="InferencePath.Upstream"/>)
/// classifies the sampled encoder latent directly, skipping the SDE and the flow the head was trained on.
/// Not kept: upstream's forward swaps a non-finite loss for a constant 1e6; here it is returned as is so the
/// trainer can skip and count the step. An empty batch is an error here, not a zero loss.
/// </summary>
public sealed class RaccoonLogClassifier : nn.Module, IRaccoonModel
{
    readonly Embedding embedding;
    readonly MeanPooledMlpEncoder encoder;
    readonly NeuralSdeDynamics dynamics;
    readonly TimeConditionedCouplingFlow flow;
    readonly Sequential head;
    readonly LearnableGaussianPrior prior;
    readonly SlicedEppsPulley latent_test;
    readonly PriorityReplay replay;
    readonly double[] sdeTimes;

    /// <summary>Model kind in checkpoints (<see cref="ModelRegistry"/>).</summary>
    public const string Kind = "raccoon-log-classifier";

    /// <summary>Upstream's state names: this port's camelCase fields (timeEmbedding) in snake_case.</summary>
    public static IO.ParameterNames PyTorchNames => IO.ParameterNames.SnakeCase;

    public RaccoonLogClassifierConfig Config { get; }

    public RaccoonLogClassifier(RaccoonLogClassifierConfig config, string name = "raccoon_log_classifier") : base(name)
    {
        Config = config;
        embedding = nn.Embedding(config.VocabularySize, config.EmbedDim);
        encoder = new MeanPooledMlpEncoder(config.EmbedDim, config.HiddenDim, config.LatentDim);
        dynamics = new NeuralSdeDynamics(config.LatentDim, config.HiddenDim, config.SigmaMin, config.SigmaMax);
        flow = new TimeConditionedCouplingFlow(config.LatentDim, config.HiddenDim, config.FlowLayers, config.TimeDim);
        head = MlpHead.Create(config.LatentDim, config.HiddenDim, config.Classes, HeadActivation.SiLU);
        prior = new LearnableGaussianPrior(config.LatentDim);
        latent_test = new SlicedEppsPulley(config.EppsPulleySlices, tMax: 5.0, points: 17);
        replay = new PriorityReplay(config.MemorySize, config.ReplaySeed);
        sdeTimes = EulerMaruyama.Grid(0.0, config.SdeHorizon, config.SdeTimePoints);
        RegisterComponents();
    }

    public int VocabularySize => Config.VocabularySize;
    public int Classes => Config.Classes;
    public nn.Module Module => this;

    public Embedding Embedding => embedding;
    public MeanPooledMlpEncoder Encoder => encoder;
    public NeuralSdeDynamics Dynamics => dynamics;
    public TimeConditionedCouplingFlow Flow => flow;
    public Sequential Head => head;
    public LearnableGaussianPrior Prior => prior;
    public SlicedEppsPulley LatentTest => latent_test;
    public PriorityReplay Memory => replay;
    public IReplayMemory Replay => replay;
    public double AdaptationRate => Config.AdaptationRate;

    public IReadOnlyList<ModelComponent> Components =>
    [
        new(RaccoonStage.Embedding, embedding), new(RaccoonStage.Encoder, encoder), new(RaccoonStage.Dynamics, dynamics),
        new(RaccoonStage.Flow, flow), new(RaccoonStage.Head, head), new(RaccoonStage.Prior, prior),
    ];

    /// <summary>tokens (B, T) -> Gaussian over the latent: mean, log-variance (B, L).</summary>
    public (Tensor Mean, Tensor LogVar) Encode(Tensor tokens, StageObserver? onStage = null)
    {
        var embedded = embedding.forward(tokens); // (B, T, E)
        onStage?.Invoke(RaccoonStage.Embedding);
        var (mean, logvar) = encoder.forward(embedded); // (B, L) each
        return (mean, logvar);
    }

    /// <summary>Reparameterised sample mean + exp(logvar / 2) * eps.</summary>
    public static Tensor SampleLatent(Tensor mean, Tensor logvar) => mean + randn_like(mean) * (0.5 * logvar).exp();

    /// <summary>The training path from a latent sample: SDE final state, then the flow at t = FlowTime.</summary>
    public (Tensor Z, Tensor LogDet) Evolve(Tensor z, StageObserver? onStage = null)
    {
        var path = EulerMaruyama.Solve(dynamics, z, sdeTimes); // (B, 3, L)
        var zT = path[.., -1];                                 // (B, L)
        onStage?.Invoke(RaccoonStage.Dynamics);
        var t = full(z.shape[0], 1, Config.FlowTime, dtype: z.dtype, device: z.device); // (B, 1)
        var (zFlow, logDet) = flow.Forward(zT, t);
        onStage?.Invoke(RaccoonStage.Flow);
        return (zFlow, logDet);
    }

    public Tensor Logits(Tensor tokens) => Logits(tokens, null);

    public Tensor Logits(Tensor tokens, StageObserver? onStage)
    {
        TokenChecks.Tokens(tokens, VocabularySize, "RaccoonLogClassifier");
        var (mean, logvar) = Encode(tokens, onStage);
        var z = SampleLatent(mean, logvar);
        onStage?.Invoke(RaccoonStage.Encoder);
        if (Config.Inference == InferencePath.Full) z = Evolve(z, onStage).Z;
        var logits = head.forward(z); // (B, C)
        onStage?.Invoke(RaccoonStage.Head);
        return logits;
    }

    public (Tensor Loss, Tensor Logits) Objective(Tensor tokens, Tensor labels) => Objective(tokens, labels, null);

    public (Tensor Loss, Tensor Logits) Objective(Tensor tokens, Tensor labels, StageObserver? onStage)
    {
        var terms = Terms(tokens, labels, onStage);
        return (terms.Loss, terms.Logits);
    }

    /// <summary>The objective and each of its terms, as upstream's forward computes them.</summary>
    public RaccoonLossTerms Terms(Tensor tokens, Tensor labels, StageObserver? onStage = null)
    {
        TokenChecks.Tokens(tokens, VocabularySize, "RaccoonLogClassifier");
        TokenChecks.Labels(labels, tokens.shape[0], Classes, "RaccoonLogClassifier");
        var (mean, logvar) = Encode(tokens, onStage);
        var z = SampleLatent(mean, logvar); // (B, L)
        onStage?.Invoke(RaccoonStage.Encoder);
        var (zFlow, _) = Evolve(z, onStage); // upstream does not use the log-det
        var logits = head.forward(zFlow);    // (B, C)
        onStage?.Invoke(RaccoonStage.Head);
        var classification = nn.functional.cross_entropy(logits, labels);
        var kl = prior.Kl(mean, logvar);
        var ep = latent_test.forward(zFlow.unsqueeze(0)); // (1, B, L): the batch is the sample
        var loss = Config.ClassWeight * classification + Config.KlWeight * kl + Config.EppsPulleyWeight * ep;
        onStage?.Invoke(RaccoonStage.Loss);
        return new RaccoonLossTerms(loss, classification, kl, ep, logits);
    }

}
