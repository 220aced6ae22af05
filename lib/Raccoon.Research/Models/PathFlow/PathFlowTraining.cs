using Raccoon.Research.Measurements;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.PathFlow;

/// <summary>ELBO per path after each recorded step; the held-out ELBO before and after; resident memory at the first and last recorded step.</summary>
public sealed record PathFlowCurve(IReadOnlyList<int> Steps, IReadOnlyList<double> TrainElbo, double HeldOutBefore, double HeldOutAfter,
    double SecondsPerStep, long? ResidentFirstBytes, long? ResidentLastBytes, long LiveTensorGrowth)
{
    public long? ResidentGrowthBytes => ResidentFirstBytes is long a && ResidentLastBytes is long b ? b - a : null;
}

/// <summary>Upstream's training: Adam (lr 1e-3), the full batch every step, no clipping, loss = -mean ELBO.</summary>
public static class PathFlowTraining
{
    /// <summary>Mean ELBO per path over <paramref name="draws"/> reparameterised draws from a fixed seed (no gradients).</summary>
    public static double HeldOutElbo(PathFlowModel model, PathData data, int draws = 4, long seed = 1234)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var g = new Generator((ulong)seed);
        double sum = 0;
        for (int i = 0; i < draws; i++) sum += model.Elbo(data.Xs, data.Ts, g).mean().item<float>();
        double elbo = sum / draws;
        if (!double.IsFinite(elbo)) throw new InvalidOperationException($"held-out ELBO is {elbo}");
        return elbo;
    }

    public static PathFlowCurve Train(PathFlowModel model, PathData train, PathData heldOut, int steps, long seed, int recordEvery = 1,
        double learningRate = 1e-3, Action<int>? onStep = null)
    {
        if (steps < 1) throw new ArgumentException($"training needs at least one step, got {steps}");
        double before = HeldOutElbo(model, heldOut);
        var optimizer = optim.Adam(model.parameters(), learningRate);
        var g = new Generator((ulong)seed);
        var recorded = new List<int>(); var elbo = new List<double>();
        long? firstRss = null, lastRss = null;
        long liveStart = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int step = 1; step <= steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = model.Loss(train.Xs, train.Ts, g);
            loss.backward();
            optimizer.step();
            double value = -loss.item<float>();
            if (!double.IsFinite(value)) throw new InvalidOperationException($"the ELBO became {value} at step {step}");
            if (step == 1) { liveStart = LiveTensors.Count; }
            if (step % recordEvery == 0 || step == steps || step == 1)
            {
                recorded.Add(step); elbo.Add(value);
                var rss = ProcessMemory.Read().ResidentBytes;
                if (step == 1) firstRss = rss; else lastRss = rss;
            }
            onStep?.Invoke(step);
        }
        double perStep = clock.Elapsed.TotalSeconds / steps;
        long liveGrowth = LiveTensors.Count - liveStart;
        double after = HeldOutElbo(model, heldOut);
        return new PathFlowCurve(recorded, elbo, before, after, perStep, firstRss, lastRss ?? firstRss, liveGrowth);
    }
}
