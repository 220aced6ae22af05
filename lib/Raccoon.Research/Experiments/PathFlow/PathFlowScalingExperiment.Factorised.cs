using System.Globalization;
using System.Runtime.InteropServices;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Models.PathFlow;
using Raccoon.Research.Views;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.PathFlow;

public sealed partial class PathFlowScalingExperiment
{
    /// <summary>V2-10's sizes. Every factor model, and the unfactorised baseline (upstream's model taking all D
    /// dimensions at once, "your code" in the document), is a path flow with latent 8, hidden 32, 4 couplings, a 16-wide
    /// time embedding and the posterior queried at normalised time; each trained by Adam (1e-3) on the full batch of
    /// <see cref="Paths"/> lifted Lorenz paths (T = 31) for <see cref="Steps"/> steps, its held-out ELBO taken
    /// <see cref="Evaluations"/> times (one fixed draw, the same noise each time). <see cref="BaselineDims"/>: where the
    /// unfactorised model's cost per step and peak memory are followed past D = 1,000, to see whether and where it stops.</summary>
    public sealed record FactorisedSizes(int Steps, int Paths, int Evaluations, int TimingRepeats, int[] BaselineDims)
    {
        public const int Factors1000 = 10, Blocks = 3, HeldOutDraws = 1;
        public const double LearningRate = 1e-3;

        public static PathFlowConfig Factor { get; } = new(LatentDim: 8, Hidden: 32, Couplings: 4, TimeDim: 16, NormalisedPosteriorTime: true);

        public static FactorisedSizes For(Profile profile) => profile switch
        {
            Profile.Quick => new(Steps: 8, Paths: 8, Evaluations: 4, TimingRepeats: 3, BaselineDims: [1000, 3000]),
            Profile.Standard => new(Steps: 40, Paths: 16, Evaluations: 8, TimingRepeats: 6, BaselineDims: [1000, 3000, 10000]),
            // Reference: standard's data, models and timings, trained until V2-10's plateau test (held-out ELBO per dimension
            // within 0.01 nats over 3 evaluations) passes, evaluated every 20 steps, capped at 1,000 steps (decided
            // 2026-12-07 before its run; at standard the D = 1,000 model still gained 20.7 nats per dimension at step 40).
            Profile.Reference => new(Steps: 1000, Paths: 16, Evaluations: 50, TimingRepeats: 6, BaselineDims: [1000, 3000, 10000]),
            _ => new(Steps: 400, Paths: 64, Evaluations: 20, TimingRepeats: 12, BaselineDims: [1000, 3000, 10000, 30000]),
        };

        public int EvaluateEvery => Math.Max(1, Steps / Evaluations);
    }

    /// <summary>V2-10: the factorised model (the document's ThousandDimensionRaccoon) at D = 3, 100 and 1,000 (10 x 100 with
    /// the weak coupling), against the unfactorised path flow at D = 1,000 on the same data with the same steps: cost of a
    /// training step (interleaved, in blocks), peak memory, held-out ELBO per dimension with its trace; then the
    /// unfactorised model's cost and memory past 1,000 dimensions, up to the largest D tried or the first that fails.</summary>
    Measurement Factorised(ExperimentContext context, FactorisedSizes sizes, List<Table> tables, List<Figure> figures)
    {
        var data = new Dictionary<int, (PathData Train, PathData Held)>();
        (PathData Train, PathData Held) Data(int D) => data.TryGetValue(D, out var d) ? d
            : data[D] = LiftedLorenzPaths.GenerateSplit(D, sizes.Paths, sizes.Paths, new Generator((ulong)(31 + D))); // one draw, split: the same maps and mixing

        var rows = new List<IReadOnlyList<string>>();
        var runs = new Dictionary<string, (nn.Module Model, IPathElboModel Elbo, int D, PathFlowCurve Curve)>();
        var stop = context.StopFor("V2-10");
        void Train<TModel>(string key, string label, int D, TModel model) where TModel : nn.Module, IPathElboModel
        {
            context.Report(Name, $"V2-10: training the {label} at D = {D}");
            var (train, held) = Data(D);
            var curve = PathFlowTraining.Train(model, train, held, sizes.Steps, seed: 6, recordEvery: sizes.EvaluateEvery, learningRate: FactorisedSizes.LearningRate,
                resume: context.TrainingResume(Name, $"{key}.training"), evaluateEvery: sizes.EvaluateEvery, heldOutDraws: FactorisedSizes.HeldOutDraws,
                stopWhen: c => stop.Reached(HeldOutPerDimension("in training", c, D)));
            runs[key] = (model, model, D, curve);
            rows.Add([$"{D:N0}", label, $"{model.parameters().Sum(p => p.numel()):N0}", $"{curve.SecondsPerStep * 1e3:0}",
                $"{curve.HeldOutBefore / D:0.000}", $"{curve.HeldOutAfter / D:0.000}"]);
        }
        foreach (var (key, D, F, couple) in new[] { ("factorised-D3", 3, 1, false), ("factorised-D100", 100, 1, true),
            ("factorised-D1000", 1000, FactorisedSizes.Factors1000, true), ("factorised-D1000-uncoupled", 1000, FactorisedSizes.Factors1000, false) })
        {
            manual_seed(context.Seed);
            var model = new FactorisedPathFlow(D, F, FactorisedSizes.Factor with { LatentDim = D == 3 ? 4 : FactorisedSizes.Factor.LatentDim }, couple: couple);
            Train(key, $"factorised, {F} factor{(F > 1 ? "s" : "")}{(couple ? " + coupling" : "")}", D, model);
        }
        manual_seed(context.Seed);
        Train("unfactorised-D1000", "unfactorised (one path flow over all 1,000)", 1000, new PathFlowModel(FactorisedSizes.Factor with { DataDim = 1000 }));

        // One training step's forward and backward, the gradients zeroed first (the weights do not move).
        Action Step(string key)
        {
            var (model, elbo, D, _) = runs[key];
            var (train, _) = Data(D);
            return () => { model.zero_grad(); elbo.Loss(train.Xs, train.Ts, new Generator(7)).backward(); };
        }
        context.Report(Name, "V2-10: peak memory of a training step at D = 1,000");
        long? PeakBytes(string key) { var step = Step(key); return Memory.PeakResidentGrowth(() => { using var sc = NewDisposeScope(); step(); }); }
        long? factorisedPeak = PeakBytes("factorised-D1000"), unfactorisedPeak = PeakBytes("unfactorised-D1000");
        context.Report(Name, $"V2-10: timing training steps interleaved, {FactorisedSizes.Blocks} blocks");
        var options = new TimingOptions(Warmup: 1, Repeats: sizes.TimingRepeats);
        var cmps = Timing.CompareInBlocks(
        [
            new Timing.Pair("factorised D = 1,000", Step("factorised-D1000"), "factorised D = 100", Step("factorised-D100"), options),
            new Timing.Pair("unfactorised D = 1,000", Step("unfactorised-D1000"), "factorised D = 1,000", Step("factorised-D1000"), options),
        ], FactorisedSizes.Blocks);
        var (growth, growthInterval) = Intervals.Speedup(cmps[0]);
        var (costRatio, costInterval) = Intervals.Speedup(cmps[1]);

        // The unfactorised model past 1,000 dimensions: cost and memory of one step on random data of the same shape
        // (cost does not depend on the values), until the largest D tried or the first D that fails.
        var scanRows = new List<IReadOnlyList<string>>();
        var scanD = new List<double>(); var scanS = new List<double>(); var scanMb = new List<double>();
        string? stopped = null;
        var ts = Data(1000).Train.Ts;
        foreach (int D in sizes.BaselineDims)
        {
            context.Report(Name, $"V2-10: unfactorised path flow, one training step at D = {D:N0}");
            using var sc = NewDisposeScope();
            try
            {
                manual_seed(context.Seed);
                var model = new PathFlowModel(FactorisedSizes.Factor with { DataDim = D });
                var x = randn(new long[] { sizes.Paths, ts.shape[1], D }, generator: new Generator((ulong)D));
                void Call() { model.zero_grad(); model.Loss(x, ts, new Generator(7)).backward(); }
                long? peak = Memory.PeakResidentGrowth(() => { using var s2 = NewDisposeScope(); Call(); });
                var r = Timing.Measure($"unfactorised D={D}", Call, new TimingOptions(Warmup: 1, Repeats: 3));
                scanD.Add(D); scanS.Add(r.Median); if (peak is long p) scanMb.Add(p / 1048576.0);
                scanRows.Add([$"{D:N0}", $"{model.ParameterCount:N0}", $"{r.Median * 1e3:0}", peak is long q ? $"{q / 1048576.0:0}" : "n/a"]);
            }
            catch (Exception e) when (e is ExternalException or OutOfMemoryException)
            {
                stopped = $"D = {D:N0}: {e.Message.Split('\n')[0]}";
                scanRows.Add([$"{D:N0}", "-", "failed", e.Message.Split('\n')[0]]);
                break;
            }
        }
        double scanExponent = scanD.Count >= 2 ? PowerLaw.Exponent(scanD, scanS) : double.NaN;
        double memoryExponent = scanMb.Count >= 2 && scanMb.All(v => v > 0) ? PowerLaw.Exponent(scanD.Take(scanMb.Count).ToList(), scanMb) : double.NaN;

        var f1000 = runs["factorised-D1000"].Curve; var u1000 = runs["unfactorised-D1000"].Curve;
        double PerDim(PathFlowCurve c, int D) => c.HeldOutAfter / D;
        double gain = (f1000.HeldOutAfter - f1000.HeldOutBefore) / 1000;
        double fElbo = PerDim(f1000, 1000), uElbo = PerDim(u1000, 1000);
        string Mib(long? b) => b is long v ? $"{v / 1048576.0:0}" : "n/a";
        tables.Add(new Table($"Factorised path flow and the unfactorised baseline: cost and held-out ELBO per dimension vs D ({sizes.Steps} Adam steps, {sizes.Paths} paths, T = 31)",
            ["D", "model", "parameters", "ms per step (training loop)", "held-out ELBO/dim before", "after"], rows).Named("factorised-vs-d"));
        tables.Add(new Table($"The unfactorised path flow past 1,000 dimensions: one training step (forward + backward, {sizes.Paths} paths, T = 31, random data)",
            ["D", "parameters", "ms (median of 3)", "peak RSS growth MiB"], scanRows).Named("unfactorised-vs-d"));
        figures.Add(PathFlowCharts.Lines("Held-out ELBO per dimension during training, D = 1,000", "Adam step", "nats / dim", false, false,
            ("factorised (10 x 100 + coupling)", f1000.EvaluatedAt.Select(s => (double)s).ToList(), f1000.HeldOut.Select(v => v / 1000).ToList()),
            ("unfactorised", u1000.EvaluatedAt.Select(s => (double)s).ToList(), u1000.HeldOut.Select(v => v / 1000).ToList())).Named("factorised-elbo-curve"));

        double uncoupled = runs["factorised-D1000-uncoupled"].Curve.SecondsPerStep;
        string perStep = string.Join(" / ", new[] { "factorised-D3", "factorised-D100", "factorised-D1000" }.Select(k => $"{runs[k].Curve.SecondsPerStep * 1e3:0}"));
        string scanText = scanD.Count == 0 ? "it failed at once"
            : $"one step at D = {string.Join(" / ", scanD.Select(d => d.ToString("N0", CultureInfo.InvariantCulture)))}: {string.Join(" / ", scanS.Select(s => (s * 1e3).ToString("0", CultureInfo.InvariantCulture)))} ms" +
              (scanMb.Count > 0 ? $", peak +{string.Join(" / ", scanMb.Select(v => v.ToString("0", CultureInfo.InvariantCulture)))} MiB" : "") +
              (double.IsFinite(scanExponent) ? $" (time ~ D^{scanExponent:0.00}{(double.IsFinite(memoryExponent) ? $", memory ~ D^{memoryExponent:0.00}" : "")})" : "") +
              (stopped is null ? $"; it ran at every D tried, so where it stops lies beyond D = {scanD[^1]:N0}" : $"; it stopped at {stopped}");
        var traces = new[] { ("factorised D = 1,000", f1000), ("unfactorised D = 1,000", u1000) }.Select(t => HeldOutPerDimension(t.Item1, t.Item2, 1000, sizes.Steps)).ToList();
        return Measurement.Of("V2-10",
            $"Factorised (1, 1, 10 factors of a path flow, weak coupling u = (I + 0.1 W) x with its log-det) at D = 3 / 100 / 1,000: {perStep} ms per training step in the training loop; " +
            $"a step's forward and backward timed interleaved, D = 1,000 over D = 100: {growth:0.0}x {growthInterval} (10 factors alone without the coupling {uncoupled * 1e3:0} ms per step in the loop, so the coupling's D x D log-determinant costs the rest). " +
            $"The unfactorised path flow (upstream's model over all 1,000 dimensions at once, the same sizes as one factor) on the same data, trained {PlateauStop.TrainedFor(traces, sizes.Steps, "step")} (the factorised and unfactorised D = 1,000 models): its step costs {costRatio:0.00}x {costInterval} the factorised one's, " +
            $"peak memory of a step +{Mib(unfactorisedPeak)} MiB vs +{Mib(factorisedPeak)} MiB; held-out ELBO per dimension after training {uElbo:0.000} unfactorised vs {fElbo:0.000} factorised " +
            $"(factorised gained {gain:+0.000;-0.000;0.000} nats/dim). Past 1,000 dimensions the unfactorised model's {scanText}. " +
            $"Data: per group of 100, a stochastic Lorenz path through a fixed random 3 -> 100 map, all coordinates mixed by 0.1 x M / sqrt(D), + 0.05 noise; training and held-out paths are one draw, split.",
            [
                new Quantity("heldOutElboGainPerDim1000", gain, "nats/dim"),
                new Quantity("stepTimeGrowth100To1000", growth, "x (factorised step time at D = 1,000 over D = 100)", growthInterval, Samples: sizes.TimingRepeats, Design: Sampling.Interleaved),
                new Quantity("unfactorisedOverFactorisedStepTime1000", costRatio, "x (unfactorised step time over factorised at D = 1,000)", costInterval, Samples: sizes.TimingRepeats, Design: Sampling.Interleaved),
                new Quantity("factorisedHeldOutElboPerDim1000", fElbo, "nats/dim"),
                new Quantity("unfactorisedHeldOutElboPerDim1000", uElbo, "nats/dim"),
                new Quantity("factorisedMinusUnfactorisedElboPerDim1000", fElbo - uElbo, "nats/dim"),
                new Quantity("factorisedPeakMiB1000", (factorisedPeak ?? 0) / 1048576.0, "MiB (peak RSS growth of a step, measured)"),
                new Quantity("unfactorisedPeakMiB1000", (unfactorisedPeak ?? 0) / 1048576.0, "MiB (peak RSS growth of a step, measured)"),
                new Quantity("unfactorisedLargestDimRun", scanD.Count == 0 ? 0 : scanD[^1], "dimensions", Censored: stopped is null ? Censor.Above : Censor.None),
                .. (double.IsFinite(scanExponent)
                    ? [new Quantity("unfactorisedStepTimeExponent", scanExponent, $"log-log slope of step time over D = {string.Join(", ", scanD.Select(d => d.ToString("0", CultureInfo.InvariantCulture)))}")]
                    : Array.Empty<Quantity>()),
            ],
            evidence: "PathFlowTraining.Train of FactorisedPathFlow and PathFlowModel(DataDim 1000) on LiftedLorenzPaths; Timing.CompareInBlocks of a step's forward + backward; Memory.PeakResidentGrowth",
            kind: FigureKind.Timing, traces: traces);
    }

    /// <summary>A run's held-out ELBO per dimension at its evaluations: V2-10's trace, the one its plateau stop reads in training.</summary>
    static HeldOutTrace HeldOutPerDimension(string name, PathFlowCurve curve, int dims, int cap = 0) => new(name, "held-out ELBO per dimension (nats)", true,
        curve.EvaluatedAt.Select(s => (double)s).ToList(), curve.HeldOut.Select(v => v / dims).ToList(), curve.StoppedBecause(cap));
}
