using Raccoon.Research.Measurements;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.LatentOde;

/// <summary>What a training run saw: the loss and the gradient norm (before clipping) at every step, and whether it diverged.</summary>
public sealed record TrainingTrace(IReadOnlyList<double> Losses, IReadOnlyList<double> GradientNorms, bool NonFinite)
{
    /// <summary>Diverged: a non-finite loss or gradient, or a final loss (mean of the last 5 steps) no lower than the first.</summary>
    public bool Diverged => NonFinite || Losses.Count == 0 || Losses.TakeLast(Math.Min(5, Losses.Count)).Average() >= Losses[0];

    /// <summary>The first step (1-based) whose loss is at most <paramref name="target"/>; null when never reached.</summary>
    public int? StepsTo(double target) { int i = Losses.ToList().FindIndex(l => l <= target); return i < 0 ? null : i + 1; }

    /// <summary>Coefficient of variation of the gradient norm over the run (std / mean).</summary>
    public double GradientNormVariation
    {
        get
        {
            var g = GradientNorms.Where(double.IsFinite).ToArray();
            if (g.Length < 2) return double.NaN;
            double m = g.Average();
            return Math.Sqrt(g.Sum(v => (v - m) * (v - m)) / (g.Length - 1)) / m;
        }
    }
}

/// <summary>Upstream's optimiser for both the latent ODE model and the block stacks: AdamW(1e-3, weight decay 1e-5),
/// gradient norm clipped to 1.0, and a step with a non-finite gradient skipped (upstream's train_ode does the same).</summary>
public static class LatentOdeTraining
{
    public static TrainingTrace Train(nn.Module model, Func<Tensor> loss, int steps, double lr = 1e-3, CancellationToken cancel = default)
    {
        if (steps < 1) throw new ArgumentException($"training needs at least one step, got {steps}");
        var parameters = model.parameters().ToList();
        using var optimizer = optim.AdamW(parameters, lr, weight_decay: 1e-5);
        var losses = new List<double>(); var norms = new List<double>();
        bool nonFinite = false;
        model.train();
        for (int s = 0; s < steps; s++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var l = loss();
            double value = l.item<float>();
            losses.Add(value);
            if (!double.IsFinite(value)) { nonFinite = true; break; }
            l.backward();
            double norm = nn.utils.clip_grad_norm_(parameters, 1.0);
            norms.Add(norm);
            if (!double.IsFinite(norm)) { nonFinite = true; continue; } // upstream skips the update
            optimizer.step();
        }
        return new TrainingTrace(losses, norms, nonFinite);
    }

    /// <summary>Upstream's warm-up of the Epps-Pulley weight: 0.0005 -> 0.05 linearly over the first 10,000 steps.</summary>
    public static double EppsPulleyWeight(int step) => step < 10_000 ? 0.0005 + step / 10_000.0 * (0.05 - 0.0005) : 0.05;
}
