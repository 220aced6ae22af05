using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Training;

/// <summary>
/// TorchSharp's Adam and AdamW, with the same update computed from Scalars this code holds for the whole step.
/// TorchSharp 0.107's own step converts each coefficient (beta1, 1 - beta1, the step size ...) to a Scalar implicitly and
/// keeps no reference to it while libtorch reads it; a garbage collection that finalizes the Scalar meanwhile makes
/// libtorch read freed memory and throw from c10/core/Scalar.h (seen in a standard run, in addcdiv_; TorchSharp pull
/// requests #1434 and #1496, open, dispose those Scalars). Here every Scalar of a step is a local disposed at its end, so
/// it is alive through every native call that reads it. The arithmetic is TorchSharp's, in its order, so the weights
/// after a step are bit-identical to TorchSharp's (OptimizersTests), and the state (and so a checkpoint) is TorchSharp's.
/// </summary>
public static class Optimizers
{
    public static TorchSharp.Modules.Adam Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double weightDecay = 0) =>
        new HeldScalar.Adam(parameters, lr, weightDecay);

    public static TorchSharp.Modules.AdamW AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double weightDecay = 0) =>
        new HeldScalar.AdamW(parameters, lr, weightDecay);

    /// <summary>
    /// PyTorch's <c>zero_grad(set_to_none=True)</c> (its default since 2.0), which TorchSharp 0.107's zero_grad lacks: each
    /// parameter's gradient is dropped rather than filled with zeros, so the next backward writes fresh gradients instead
    /// of adding them to zeros (one kernel less per parameter). The gradients come out the same; an optimizer then skips a
    /// parameter that got no gradient, as PyTorch's does.
    /// </summary>
    public static void ClearGradients(IEnumerable<Parameter> parameters)
    {
        foreach (var p in parameters)
            if (p.grad is { } g)
            {
                p.grad = null;
                g.Dispose();
            }
    }
}

/// <summary>The held-Scalar optimizers, named as TorchSharp names its own because a checkpoint records its optimizer's type
/// name and refuses another: checkpoints written with TorchSharp's Adam or AdamW resume here, and these load there.</summary>
static class HeldScalar
{
    internal sealed class Adam(IEnumerable<Parameter> parameters, double lr, double weightDecay)
        : TorchSharp.Modules.Adam(parameters, lr, weight_decay: weightDecay)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var o = (Options)group.Options;
            foreach (var param in group.Parameters)
            {
                var state = (State)_state[param.Handle];
                var grad = param.grad;
                if (grad is null) continue;
                if (o.maximize!.Value) grad = -grad;
                state.step += 1;
                if (o.weight_decay!.Value != 0)
                {
                    using Scalar decay = o.weight_decay.Value;
                    grad = grad.add(param, alpha: decay);
                }
                var max = state.max_exp_avg_sq;
                Update(param, grad, grad.conj(), state.exp_avg, state.exp_avg_sq, ref max, state.step, o.beta1!.Value, o.beta2!.Value, o.eps!.Value,
                    o.LearningRate!.Value, o.amsgrad!.Value);
                state.max_exp_avg_sq = max;
            }
        }, closure);
    }

    internal sealed class AdamW(IEnumerable<Parameter> parameters, double lr, double weightDecay)
        : TorchSharp.Modules.AdamW(parameters, lr, weight_decay: weightDecay)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var o = (Options)group.Options;
            foreach (var param in group.Parameters)
            {
                var state = (State)_state[param.Handle];
                var grad = param.grad;
                if (grad is null) continue;
                if (o.maximize!.Value) grad = -grad;
                state.step += 1;
                using (Scalar decay = 1 - o.LearningRate!.Value * o.weight_decay!.Value) param.mul_(decay);
                var max = state.max_exp_avg_sq;
                Update(param, grad, grad, state.exp_avg, state.exp_avg_sq, ref max, state.step, o.beta1!.Value, o.beta2!.Value, o.eps!.Value,
                    o.LearningRate.Value, o.amsgrad!.Value);
                state.max_exp_avg_sq = max;
            }
        }, closure);
    }

    /// <summary>The shared part of both steps, as TorchSharp writes it: the moving averages, the bias-corrected
    /// denominator and the parameter update, each coefficient a held Scalar.</summary>
    static void Update(Tensor param, Tensor grad, Tensor gradConj, Tensor avg, Tensor avgSq, ref Tensor? maxAvgSq,
        long step, double beta1, double beta2, double eps, double lr, bool amsgrad)
    {
        double correction1 = 1 - Math.Pow(beta1, step), correction2 = 1 - Math.Pow(beta2, step);
        using Scalar b1 = beta1, oneMinusB1 = 1 - beta1, b2 = beta2, oneMinusB2 = 1 - beta2,
            rootCorrection2 = Math.Sqrt(correction2), epsilon = eps, stepSize = -(lr / correction1);
        avg.mul_(b1).add_(grad, alpha: oneMinusB1);
        avgSq.mul_(b2).addcmul_(grad, gradConj, value: oneMinusB2);
        Tensor denom;
        if (amsgrad)
        {
            var previous = maxAvgSq!;
            maxAvgSq = torch.maximum(previous, avgSq).DetachFromDisposeScope();
            previous.Dispose();
            denom = (maxAvgSq.sqrt() / rootCorrection2).add_(epsilon);
        }
        else
        {
            denom = (avgSq.sqrt() / rootCorrection2).add_(epsilon);
        }
        param.addcdiv_(avg, denom, value: stepSize);
    }
}
