using Raccoon.Research.Blocks.Memory;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.LogClassifiers;

/// <summary>Called after each stage of a forward pass with the stage's name (see <see cref="RaccoonStage"/>),
/// so a measurement can time components on the real path (CPU kernels run synchronously).</summary>
public delegate void StageObserver(string stage);

/// <summary>Names of the stages and components of the Raccoon builds, in forward order.</summary>
public static class RaccoonStage
{
    public const string Embedding = "embedding";
    public const string Encoder = "encoder";
    public const string Projection = "projection";
    public const string Dynamics = "dynamics";
    public const string Flow = "flow";
    public const string Head = "head";
    public const string Prior = "prior";
    public const string Loss = "loss";
}

/// <summary>A named part of a model; its parameter count is what the document's tables compare.</summary>
public sealed record ModelComponent(string Name, nn.Module Module)
{
    public long Parameters => Module.parameters().Sum(p => p.numel());
}

/// <summary>Which layers the inference path (<see cref="ISequenceClassifier.Logits"/>) runs.</summary>
public enum InferencePath
{
    /// <summary>What the upstream evaluation code runs: it skips layers the training objective uses
    /// (RaccoonLogClassifier: encoder, sampled latent, head; SimpleRaccoon: encoder, head).</summary>
    Upstream,
    /// <summary>Every layer of the training path in evaluation form.</summary>
    Full,
}

/// <summary>What the Raccoon experiments need from each of the three builds.</summary>
public interface IRaccoonModel : ISequenceClassifier
{
    /// <summary>The model as a TorchSharp module (parameters, train/eval, save/load).</summary>
    nn.Module Module { get; }

    /// <summary>Components in forward order; their parameter counts sum to the model's.</summary>
    IReadOnlyList<ModelComponent> Components { get; }

    Tensor Logits(Tensor tokens, StageObserver? onStage);

    (Tensor Loss, Tensor Logits) Objective(Tensor tokens, Tensor labels, StageObserver? onStage);

    /// <summary>The model's own replay memory for the continual phase (<see cref="ContinualLearning"/>), empty at start.</summary>
    IReplayMemory Replay { get; }

    /// <summary>Plain SGD rate of upstream's online update (the continual phase's learning rate).</summary>
    double AdaptationRate { get; }
}
