using Raccoon.Research.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.Parity;

/// <summary>The optimizer upstream's training loop builds.</summary>
public enum ParityOptimizer { Adam, AdamW }

/// <summary>What upstream does with the model's output at inference, after the forward pass.</summary>
public enum InferenceReadout
{
    /// <summary>Nothing: the output is the result (an encoder pass, sampled paths).</summary>
    Output,
    /// <summary>argmax over dim 1 (a classifier's test evaluation).</summary>
    Argmax,
    /// <summary>softmax over dim 1, then argmax of the logits over dim 1 (an inference engine's predict).</summary>
    SoftmaxArgmax,
    /// <summary>softmax over dim 1, then its top 5 (a top-k prediction script).</summary>
    SoftmaxTop5,
    /// <summary>softmax of the last position's logits, then argmax: one step of greedy decoding.</summary>
    LastPositionSoftmaxArgmax,
}

/// <summary>What upstream computes from the training forward pass each step besides the loss (all read as numbers).</summary>
public enum TrainingReadout
{
    /// <summary>The loss, read as a number (every upstream loop logs it).</summary>
    Loss,
    /// <summary>The loss and the batch's argmax accuracy.</summary>
    LossAndAccuracy,
    /// <summary>The loss and top-1 and top-5 accuracy (topk(5) of the logits).</summary>
    LossAndTop5,
}

/// <summary>What one step of a parity case does around the model, as upstream's own code does it; declared once per
/// case (<see cref="ParityCase.Recipe"/>), run here by the C# benchmark and sent in the build request to serve.py, which
/// runs the same recipe and echoes it back (<see cref="PyTorchPeer.Build"/> compares).
/// Training step: zero_grad, forward (the loss, and the logits where the readout or the logit clip needs them), the
/// readout, [<see cref="Guards"/>], backward, [<see cref="LogitClip"/>], [clip to <see cref="ClipNorm"/>], optimizer step.
/// Inference: eval mode, no_grad, the forward pass, then <see cref="Inference"/>.</summary>
/// <param name="Optimizer">Upstream's optimizer, with <paramref name="LearningRate"/> and <paramref name="WeightDecay"/>
/// (betas 0.9, 0.999 and eps 1e-8 everywhere upstream).</param>
/// <param name="ClipNorm">clip_grad_norm_ over all parameters to this total norm, or null for none.</param>
/// <param name="Guards">Upstream's NaN guards: isnan/isinf of the loss (read as a boolean), then isnan/isinf of every
/// gradient and its norm read as a number, before clipping.</param>
/// <param name="LogitClip">RustGPT's clip of the gradient at the logits (adaptive gradient clipping, threshold this):
/// the logits' gradient g is scaled by min(1, threshold / (|g| / sqrt(numel))); its gradient centralisation is a no-op
/// for softmax cross-entropy (each row of softmax - one-hot sums to zero). The scale is applied to the loss before
/// backward, which scales every parameter's gradient the same way. Null: none.</param>
/// <param name="Source">Where upstream's step is, as file:line, for the reader.</param>
public sealed record StepRecipe(
    ParityOptimizer Optimizer, double LearningRate, double WeightDecay = 0, double? ClipNorm = null, bool Guards = false,
    TrainingReadout Training = TrainingReadout.Loss, double? LogitClip = null, InferenceReadout Inference = InferenceReadout.Output,
    string Source = "")
{
    /// <summary>Whether the training step needs the logits and targets of the loss (<see cref="ParityModel.Scored"/>).</summary>
    public bool NeedsLogits => Training != TrainingReadout.Loss || LogitClip is not null;

    public void Validate()
    {
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "a positive learning rate");
        if (WeightDecay < 0) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "a non-negative weight decay");
        if (ClipNorm is double c && !(c > 0)) throw new ArgumentOutOfRangeException(nameof(ClipNorm), c, "a positive clip norm or none");
        if (LogitClip is double l && !(l > 0)) throw new ArgumentOutOfRangeException(nameof(LogitClip), l, "a positive threshold or none");
        if (Source.Length == 0) throw new ArgumentException("a recipe names where upstream's step is", nameof(Source));
    }

    /// <summary>The recipe as serve.py reads it (and echoes it): snake-case names, enums as lower-case words.</summary>
    public IReadOnlyDictionary<string, object?> ToWire() => new Dictionary<string, object?>
    {
        ["optimizer"] = Optimizer.ToString().ToLowerInvariant(), ["lr"] = LearningRate, ["weight_decay"] = WeightDecay,
        ["clip_norm"] = ClipNorm, ["guards"] = Guards, ["training"] = Snake(Training), ["logit_clip"] = LogitClip,
        ["inference"] = Snake(Inference),
    };

    static string Snake(Enum value) => IO.ParameterNames.SnakeCase.ToPyTorch(value.ToString())!; // LossAndTop5 -> loss_and_top5

    public optim.Optimizer MakeOptimizer(IEnumerable<TorchSharp.Modules.Parameter> parameters) => Optimizer switch
    {
        ParityOptimizer.Adam => Optimizers.Adam(parameters, LearningRate, WeightDecay),
        ParityOptimizer.AdamW => Optimizers.AdamW(parameters, LearningRate, WeightDecay),
        _ => throw new ArgumentException($"unknown optimizer {Optimizer}"),
    };

    /// <summary>The inference call: the forward pass, then the readout (called in eval mode; opens no_grad itself).</summary>
    public Tensor InferenceStep(ParityModel model)
    {
        using var noGrad = no_grad();
        var output = model.Inference();
        switch (Inference)
        {
            case InferenceReadout.Output: return output;
            case InferenceReadout.Argmax: return output.argmax(1);
            case InferenceReadout.SoftmaxArgmax:
                _ = output.softmax(1); // upstream returns the probabilities beside the predictions
                return output.argmax(1);
            case InferenceReadout.SoftmaxTop5: return output.softmax(1).topk(5, dim: 1).indexes;
            case InferenceReadout.LastPositionSoftmaxArgmax: return output.select(1, -1).softmax(-1).argmax(-1); // (B, T, V) -> (B)
            default: throw new ArgumentException($"unknown readout {Inference}");
        }
    }

    /// <summary>Everything of a training step up to the optimizer step: the loss and its readout, the guards, backward and
    /// the clips. Returns the loss as a number and the total gradient norm before <see cref="ClipNorm"/>'s clip (NaN when
    /// there is no clip).</summary>
    public (double Loss, double NormBeforeClip) Backward(ParityModel model)
    {
        Optimizers.ClearGradients(model.Module.parameters()); // zero_grad(set_to_none=True), as serve.py and upstream's PyTorch 2 clear them
        Tensor loss;
        double read;
        if (NeedsLogits)
        {
            var scored = model.Scored ?? throw new InvalidOperationException("the recipe reads the logits, but the case gives no scored loss");
            var (value, logits, targets) = scored();
            loss = value;
            read = loss.item<float>();
            using (no_grad())
            {
                if (Training == TrainingReadout.LossAndAccuracy)
                    _ = logits.argmax(1).eq(targets).to(ScalarType.Float32).mean().item<float>();
                else if (Training == TrainingReadout.LossAndTop5)
                {
                    var correct = logits.topk(5, dim: 1).indexes.t().eq(targets.view(1, -1)); // (5, B)
                    _ = correct.narrow(0, 0, 1).sum().item<long>();
                    _ = correct.sum().item<long>();
                }
            }
            if (LogitClip is double threshold)
                loss = loss * LogitScale(logits, targets, threshold);
        }
        else
        {
            loss = model.Loss();
            read = loss.item<float>();
        }
        if (Guards)
            _ = loss.isnan().any().item<bool>() || loss.isinf().any().item<bool>();
        loss.backward();
        if (Guards)
            foreach (var p in model.Module.parameters())
                if (p.grad is { } g)
                {
                    _ = g.isnan().any().item<bool>() || g.isinf().any().item<bool>();
                    _ = g.norm().item<float>();
                }
        double norm = ClipNorm is double c ? nn.utils.clip_grad_norm_(model.Module.parameters(), c) : double.NaN;
        return (read, norm);
    }

    /// <summary>One training step as upstream takes it (called in train mode).</summary>
    public (double Loss, double NormBeforeClip) TrainingStep(ParityModel model, optim.Optimizer optimizer)
    {
        var result = Backward(model);
        optimizer.step();
        return result;
    }

    /// <summary>RustGPT's adaptive clip of the logits' gradient, as a detached scale: the gradient of a mean cross-entropy
    /// over n rows is (softmax - one-hot) / n; it is scaled by min(1, threshold / (|g| / sqrt(numel))).</summary>
    public static Tensor LogitScale(Tensor logits, Tensor targets, double threshold)
    {
        using var noGrad = no_grad();
        var flat = logits.detach().reshape(-1, logits.shape[^1]);                     // (n, V)
        long n = flat.shape[0];
        var g = (flat.softmax(1) - nn.functional.one_hot(targets.reshape(-1), flat.shape[1]).to(flat.dtype)) / n;
        var rms = g.norm() / Math.Sqrt(g.numel());
        return (threshold / rms).clamp_max(1.0);
    }
}
