using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.Raccoon;

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

/// <summary>Outcome of one online (continual) update.</summary>
/// <param name="Score">The replay score given to the new samples.</param>
/// <param name="Updated">False while the memory holds fewer items than the update threshold.</param>
/// <param name="Skipped">True when the loss or a gradient was not finite and the step was not applied.</param>
/// <param name="Loss">The objective on new + replayed samples (NaN when not updated).</param>
public sealed record ContinualStep(double Score, bool Updated, bool Skipped, double Loss);

/// <summary>What the Raccoon experiments need from each of the three builds.</summary>
public interface IRaccoonModel : ISequenceClassifier
{
    /// <summary>The model as a TorchSharp module (parameters, train/eval, save/load).</summary>
    nn.Module Module { get; }

    /// <summary>Components in forward order; their parameter counts sum to the model's.</summary>
    IReadOnlyList<ModelComponent> Components { get; }

    Tensor Logits(Tensor tokens, StageObserver? onStage);

    (Tensor Loss, Tensor Logits) Objective(Tensor tokens, Tensor labels, StageObserver? onStage);

    /// <summary>Items held by the model's replay memory.</summary>
    int ReplayCount { get; }

    /// <summary>Stores the samples in the replay memory and, once it holds enough, takes one small SGD step on
    /// the new samples plus a replayed batch (the continual phase).</summary>
    ContinualStep ContinualUpdate(Tensor tokens, Tensor labels);
}
