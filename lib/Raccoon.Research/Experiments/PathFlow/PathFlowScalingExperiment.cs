using Raccoon.Research.Training;
using System.Globalization;
using System.Diagnostics;
using Raccoon.Research.Blocks.Flows;
using Raccoon.Research.Blocks.Sde;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Models.PathFlow;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.PathFlow;

/// <summary>V2-02 (global vs windowed posterior attention, time and memory vs T), V2-04 (multi-scale vs flat flow
/// cost vs D), V2-05 (the base-trajectory cache: speedup and when it is wrong), V2-10 (factorised model, cost and
/// ELBO vs D up to 1000), V2-11 (speech scale: 80-dim input, 256-dim latent, T = 10,000).</summary>
public sealed partial class PathFlowScalingExperiment : IExperiment
{
    public string Name => "path-flow-scaling";
    public string Title => "Variational path flow: attention, flow, cache and dimension scaling";
    public IReadOnlyList<string> Claims => ["V2-02", "V2-04", "V2-05", "V2-10", "V2-11"];

    /// <summary>Sizes per profile, the one record the experiment and the cost plan read: V2-05's timed repeats, then each
    /// section's own record, whose values sit beside its code (V2-02/V2-11 <see cref="AttentionSizes"/>, V2-04
    /// <see cref="FlowSizes"/>, V2-10 <see cref="FactorisedSizes"/>).</summary>
    public sealed record Sizes(int Repeats, AttentionSizes Attention, FlowSizes Flow, FactorisedSizes Factorised)
    {
        public static Sizes Of(Profile profile, int repeats) =>
            new(repeats, AttentionSizes.For(profile), FlowSizes.For(profile), FactorisedSizes.For(profile));
    }

    public static ProfileSizes<Sizes> Profiles { get; } = new(
        Quick: Sizes.Of(Profile.Quick, repeats: 3),
        Standard: Sizes.Of(Profile.Standard, repeats: 7),
        Full: Sizes.Of(Profile.Full, repeats: 15),
        // Reference: standard's sections, V2-10's training to its plateau (FactorisedSizes.For(Profile.Reference)).
        Reference: Sizes.Of(Profile.Reference, repeats: 7));

    public object? SizesAt(Profile profile) => Profiles.For(profile);

    public ExperimentResult Run(ExperimentContext context)
    {
        manual_seed(context.Seed);
        using var scope = NewDisposeScope();
        var tables = new List<Table>(); var figures = new List<Figure>();
        var m = new List<Measurement>();
        var sizes = Profiles.For(context.Profile);
        var timing = new TimingOptions(Warmup: 1, Repeats: sizes.Repeats);

        // ---- V2-02 and V2-11: the posterior attention alone vs T, and the speech-scale step (PathFlowScalingExperiment.Attention.cs).
        m.AddRange(PosteriorAttentionScaling(context, sizes.Attention, tables, figures));

        // ---- V2-04: flat RealNVP vs RealNVP's multi-scale architecture, forward + log-det time vs D, and held-out likelihood.
        m.Add(FlowCost(context, sizes.Flow, tables, figures));

        // ---- V2-05: the base-trajectory cache.
        context.Report(Name, "base-trajectory cache");
        var cacheModel = new PathFlowModel(); cacheModel.eval();
        var d1 = LorenzPaths.Generate(32, new Generator(21));
        var d2 = LorenzPaths.Generate(32, new Generator(22));
        using var cache = new BaseTrajectoryCache();
        using (no_grad()) cache.Elbo(cacheModel, d1.Xs, d1.Ts, new Generator(1)); // fill
        var cacheCmp = Timing.Compare("uncached ELBO", () => { using var ng = no_grad(); cacheModel.Elbo(d1.Xs, d1.Ts, new Generator(1)); },
            "cached ELBO (hit)", () => { using var ng = no_grad(); cache.Elbo(cacheModel, d1.Xs, d1.Ts, new Generator(1)); }, timing);
        double same, wrong, right;
        using (no_grad())
        {
            same = (cache.Elbo(cacheModel, d1.Xs, d1.Ts, new Generator(1)) - cacheModel.Elbo(d1.Xs, d1.Ts, new Generator(1))).abs().max().item<float>();
            wrong = cache.Elbo(cacheModel, d2.Xs, d2.Ts, new Generator(1)).mean().item<float>();
            right = cacheModel.Elbo(d2.Xs, d2.Ts, new Generator(1)).mean().item<float>();
        }
        var (cacheSpeedup, cacheInterval) = Intervals.Speedup(cacheCmp);
        m.Add(Measurement.Number("V2-05", cacheSpeedup,
            $"Cache hit vs recomputation of the ELBO (32 Lorenz paths, T = 121, upstream sizes, no gradients): {cacheCmp.Baseline.Median * 1e3:0.0} ms vs {cacheCmp.Candidate.Median * 1e3:0.0} ms, {cacheSpeedup:0.0}x; " +
            $"on the same x the cached ELBO equals the recomputed one (max difference {same:G2}). The key (x.shape, t.min, t.max) ignores x's values: a second batch of the same shape gets the first batch's posterior, " +
            $"ELBO {wrong:0.0} instead of {right:0.0}. Correct only for the same x with unchanged parameters (repeated inference); in training (the same full batch every step, parameters moving) every hit is stale.",
            evidence: "BaseTrajectoryCache.Elbo vs PathFlowModel.Elbo", interval: cacheInterval, kind: FigureKind.Timing));

        // ---- V2-10: the factorised model up to D = 1,000 against the unfactorised path flow (PathFlowScalingExperiment.Factorised.cs).
        m.Add(Factorised(context, sizes.Factorised, tables, figures));

        return new ExperimentResult(m, figures, tables);
    }

    /// <summary>V2-04's sizes. The flat flow is upstream 002's prior flow (TimeCondRealNVP: hidden 128, 6 couplings, a
    /// 64-wide time embedding with frequencies to 16, scales bounded by 1.5 tanh); the multi-scale flow has the same
    /// couplings arranged as the document's three levels (widths D, D/2, D/4), two per scale, so both put six couplings on
    /// their deepest path. Likelihood: both trained by Adam on the same time-conditioned vectors (lifted Lorenz paths at
    /// <paramref name="LikelihoodDim"/>, each time point one sample), the same batches in the same order.</summary>
    public sealed record FlowSizes(int[] Dims, int Batch, int Repeats, double FitFrom, int LikelihoodDim, int TrainPaths, int HeldOutPaths,
        int Steps, int Evaluations)
    {
        public const int Hidden = 128, Couplings = 6, TimeDim = 64, Scales = 3, CouplingsPerScale = 2, Blocks = 3;
        public const double ScaleRange = 1.5, MaxFrequency = 16, LearningRate = 1e-3;

        public static FlowSizes For(Profile profile) => profile switch
        {
            Profile.Quick => new([16, 64, 256, 1024], Batch: 256, Repeats: 3, FitFrom: 256, LikelihoodDim: 64, TrainPaths: 16, HeldOutPaths: 8, Steps: 30, Evaluations: 3),
            Profile.Standard or Profile.Reference => new([16, 64, 256, 1024, 4096], Batch: 256, Repeats: 15, FitFrom: 256, LikelihoodDim: 256, TrainPaths: 64, HeldOutPaths: 32, Steps: 150, Evaluations: 10),
            _ => new([16, 64, 256, 1024, 4096, 16384], Batch: 256, Repeats: 21, FitFrom: 256, LikelihoodDim: 1024, TrainPaths: 256, HeldOutPaths: 64, Steps: 2000, Evaluations: 20),
        };

        public TimeConditionedCouplingFlow Flat(int dim) => new(dim, Hidden, Couplings, TimeDim, hiddenLayers: 2, scaleRange: ScaleRange,
            maxFrequency: MaxFrequency, bound: ScaleBound.Tanh, name: "flat_flow");

        public MultiScaleCouplingFlow MultiScale(int dim) => new(dim, Hidden, Scales, CouplingsPerScale, TimeDim, hiddenLayers: 2,
            scaleRange: ScaleRange, maxFrequency: MaxFrequency, bound: ScaleBound.Tanh);
    }

    /// <summary>V2-04: the flat RealNVP against RealNVP's multi-scale architecture at the same D, forward (z and log-det)
    /// timed interleaved in blocks as D grows, each one's cost exponent, and both flows' held-out log-likelihood.</summary>
    static Measurement FlowCost(ExperimentContext context, FlowSizes sizes, List<Table> tables, List<Figure> figures)
    {
        const string Name = "path-flow-scaling";
        var dims = sizes.Dims;
        var pairs = new List<Timing.Pair>(); var parameters = new List<(long Flat, long Multi)>();
        var options = new TimingOptions(Warmup: 1, Repeats: sizes.Repeats);
        foreach (int D in dims)
        {
            manual_seed(context.Seed);
            var flat = sizes.Flat(D); var multi = sizes.MultiScale(D);
            var x = randn(sizes.Batch, D); var t = rand(sizes.Batch, 1);
            parameters.Add((flat.parameters().Sum(p => p.numel()), multi.parameters().Sum(p => p.numel())));
            pairs.Add(new Timing.Pair($"flat D={D}", () => { using var ng = no_grad(); flat.Forward(x, t); },
                $"multi-scale D={D}", () => { using var ng = no_grad(); multi.Forward(x, t); }, options));
        }
        context.Report(Name, $"flat vs multi-scale flow, D = {dims[0]}..{dims[^1]}, {FlowSizes.Blocks} blocks");
        var cmps = Timing.CompareInBlocks(pairs, FlowSizes.Blocks);
        var flatS = cmps.Select(c => c.Baseline.Median).ToList(); var multiS = cmps.Select(c => c.Candidate.Median).ToList();
        var speedups = cmps.Select(Intervals.Speedup).ToList();
        var ds = dims.Select(d => (double)d).ToList();

        // The exponent of each flow over D >= FitFrom, and its interval: the range of the same fit to each block's medians.
        (double Value, MeasuredInterval Interval) Exponent(Func<TimingComparison, TimingResult> side)
        {
            double all = PowerLaw.Exponent(ds, cmps.Select(c => side(c).Median).ToList(), sizes.FitFrom);
            var perBlock = Enumerable.Range(0, FlowSizes.Blocks).Select(b => PowerLaw.Exponent(ds, cmps.Select(c =>
            {
                var seconds = side(c).Seconds;
                int from = seconds.Count * b / FlowSizes.Blocks, to = seconds.Count * (b + 1) / FlowSizes.Blocks;
                return SampleStatistics.Of(seconds.Skip(from).Take(to - from).ToList()).Median;
            }).ToList(), sizes.FitFrom)).Append(all).ToList();
            return (all, Intervals.Range(perBlock));
        }
        var flatExp = Exponent(c => c.Baseline); var multiExp = Exponent(c => c.Candidate);

        var rows = dims.Select((D, i) => (IReadOnlyList<string>)[$"{D:N0}", $"{parameters[i].Flat:N0}", $"{parameters[i].Multi:N0}",
            $"{flatS[i] * 1e3:0.00}", $"{multiS[i] * 1e3:0.00}", $"{speedups[i].Ratio:0.00} {speedups[i].Interval}"]).ToList();
        tables.Add(new Table($"Flat RealNVP (upstream's prior flow, 6 couplings) vs the multi-scale flow ({FlowSizes.Scales} scales x {FlowSizes.CouplingsPerScale} couplings, half factored out per scale): " +
            $"forward with log-det, batch {sizes.Batch}, hidden {FlowSizes.Hidden}, interleaved in {FlowSizes.Blocks} blocks of {sizes.Repeats} rounds in all",
            ["D", "flat parameters", "multi-scale parameters", "flat ms", "multi-scale ms", "flat / multi-scale [interval]"], rows).Named("flows-vs-d"));
        figures.Add(PathFlowCharts.Lines("Flow forward + log-det time vs D", "D", "seconds", true, true,
            ("flat RealNVP", ds, flatS), ($"multi-scale ({FlowSizes.Scales} scales)", ds, multiS)).Named("flows-time-vs-d"));

        // Held-out log-likelihood: the same data, batches and steps for both.
        context.Report(Name, $"flat vs multi-scale flow, likelihood at D = {sizes.LikelihoodDim}");
        var (train, held) = LiftedLorenzPaths.GenerateSplit(sizes.LikelihoodDim, sizes.TrainPaths, sizes.HeldOutPaths, new Generator(41));
        (Tensor X, Tensor T) Samples(PathData d) =>
            (d.Xs.reshape(-1, sizes.LikelihoodDim), (d.Ts / d.Ts.max()).reshape(-1, 1)); // every (path, time) one sample: (N, D), time in [0, 1] (N, 1)
        var (trainX, trainT) = Samples(train); var (heldX, heldT) = Samples(held);
        var curves = new List<(string Name, List<double> Steps, List<double> Values, double Seconds)>();
        foreach (var (label, make) in new (string, Func<int, Flow>)[] { ("flat", sizes.Flat), ("multi-scale", sizes.MultiScale) })
        {
            manual_seed(context.Seed);
            var flow = make(sizes.LikelihoodDim);
            StartAsIdentity(flow);
            var opt = Optimizers.Adam(flow.parameters(), FlowSizes.LearningRate);
            var order = new Generator(42); // the same batches in the same order for both flows
            var steps = new List<double>(); var values = new List<double>();
            double Held() { using var ng = no_grad(); return LogLikelihoodPerDim(flow, heldX, heldT); }
            steps.Add(0); values.Add(Held());
            var evaluateAt = Enumerable.Range(1, sizes.Evaluations).Select(i => sizes.Steps * i / sizes.Evaluations).ToHashSet();
            var clock = Stopwatch.StartNew();
            for (int s = 1; s <= sizes.Steps; s++)
            {
                using (var sc = NewDisposeScope())
                {
                    var idx = randint(trainX.shape[0], sizes.Batch, generator: order);
                    opt.zero_grad();
                    var loss = -LogLikelihood(flow, trainX.index_select(0, idx), trainT.index_select(0, idx)).mean();
                    loss.backward(); opt.step();
                }
                if (evaluateAt.Contains(s)) { clock.Stop(); steps.Add(s); values.Add(Held()); clock.Start(); }
            }
            if (!double.IsFinite(values[^1])) throw new InvalidOperationException($"V2-04: the {label} flow's held-out log-likelihood is {values[^1]}");
            curves.Add((label, steps, values, clock.Elapsed.TotalSeconds / sizes.Steps));
        }
        var (flatLl, multiLl) = (curves[0].Values[^1], curves[1].Values[^1]);
        tables.Add(new Table($"Held-out log-likelihood (nats per dimension) at D = {sizes.LikelihoodDim}: {sizes.TrainPaths} training paths, {sizes.HeldOutPaths} held out, " +
            $"T = {train.Times} each, batch {sizes.Batch}, Adam {FlowSizes.LearningRate}, couplings started as the identity",
            ["step", "flat", "multi-scale"], curves[0].Steps.Select((st, i) => (IReadOnlyList<string>)[$"{st:0}", $"{curves[0].Values[i]:0.000}", $"{curves[1].Values[i]:0.000}"]).ToList()).Named("flows-likelihood"));
        figures.Add(PathFlowCharts.Lines($"Held-out log-likelihood per dimension, D = {sizes.LikelihoodDim}", "Adam step", "nats / dim", false, false,
            curves.Select(c => (c.Name, (IReadOnlyList<double>)c.Steps, (IReadOnlyList<double>)c.Values)).ToArray()).Named("flows-likelihood-curve"));

        var (speedup, speedupInterval) = speedups[^1];
        int D1 = dims[^1];
        string fitRange = $"D = {sizes.FitFrom:N0}..{D1:N0}";
        // With a fixed hidden width a coupling's cost is O(width x hidden): the share of the flat flow's width-proportional work.
        double widthShare = (double)MultiScaleCouplingFlow.ScaleWidths(D1, FlowSizes.Scales).Sum() * FlowSizes.CouplingsPerScale / (FlowSizes.Couplings * D1);
        return Measurement.Of("V2-04",
            $"Forward with log-det at D = {D1:N0} (batch {sizes.Batch}): flat RealNVP {flatS[^1] * 1e3:0.0} ms, multi-scale flow {multiS[^1] * 1e3:0.0} ms: {speedup:0.00}x {speedupInterval}. " +
            $"Cost exponent over {fitRange}: flat D^{flatExp.Value:0.00} {flatExp.Interval}, multi-scale D^{multiExp.Value:0.00} {multiExp.Interval}. " +
            $"With the hidden width fixed ({FlowSizes.Hidden}) a coupling costs O(width x hidden), so neither flow is O(D^2); the multi-scale flow's couplings run at widths " +
            $"summing to {widthShare:0.00} of the flat flow's ({string.Join(", ", MultiScaleCouplingFlow.ScaleWidths(D1, FlowSizes.Scales).Select(w => $"{w:N0}"))}, {FlowSizes.CouplingsPerScale} couplings each, against {FlowSizes.Couplings} at {D1:N0}). " +
            $"Held-out log-likelihood at D = {sizes.LikelihoodDim} after {sizes.Steps} Adam steps on the same data: flat {flatLl:0.000}, multi-scale {multiLl:0.000} nats/dim " +
            $"({curves[0].Seconds * 1e3:0} vs {curves[1].Seconds * 1e3:0} ms per training step).",
            [
                new Quantity("flowSpeedup", speedup, $"x (flat time / multi-scale time at D = {D1})", speedupInterval, Samples: sizes.Repeats, Design: Sampling.Interleaved),
                new Quantity("multiScaleExponent", multiExp.Value, $"log-log slope over {fitRange}", multiExp.Interval, Samples: FlowSizes.Blocks),
                new Quantity("flatExponent", flatExp.Value, $"log-log slope over {fitRange}", flatExp.Interval, Samples: FlowSizes.Blocks),
                new Quantity("flatHeldOutLogLikelihood", flatLl, "nats/dim"),
                new Quantity("multiScaleHeldOutLogLikelihood", multiLl, "nats/dim"),
                new Quantity("multiScaleParameters", parameters[^1].Multi, "parameters"),
                new Quantity("flatParameters", parameters[^1].Flat, "parameters"),
            ],
            evidence: "Timing.CompareInBlocks of TimeConditionedCouplingFlow vs MultiScaleCouplingFlow forward (z and log-det), PowerLaw.Exponent; both trained by Adam on LiftedLorenzPaths.GenerateSplit",
            kind: FigureKind.Timing,
            traces: curves.Select(c => new HeldOutTrace(c.Name + " flow", "held-out log-likelihood (nats/dim)", true, c.Steps, c.Values, $"{sizes.Steps} steps, the profile's budget")).ToList());
    }

    /// <summary>log p(x | t) = log N(z; 0, I) + log|det dz/dx| per sample: x (N, D), t (N, 1) -> (N).</summary>
    public static Tensor LogLikelihood(Flow flow, Tensor x, Tensor t)
    {
        var (z, logDet) = flow.Forward(x, t);
        return OuGrid.DiagonalGaussianLogProb(z, zeros_like(z), ones_like(z)) + logDet;
    }

    /// <summary>The mean of <see cref="LogLikelihood"/> over the samples, per dimension.</summary>
    public static double LogLikelihoodPerDim(Flow flow, Tensor x, Tensor t) =>
        LogLikelihood(flow, x, t).mean().item<float>() / x.shape[1];

    /// <summary>Every coupling's last layer zeroed, as upstream 002 starts its flows: the identity at step 0.</summary>
    static void StartAsIdentity(Flow flow)
    {
        using var ng = no_grad();
        foreach (var coupling in flow.modules().OfType<AffineCoupling>())
        {
            var last = coupling.Conditioner.children().OfType<TorchSharp.Modules.Linear>().Last();
            nn.init.zeros_(last.weight); nn.init.zeros_(last.bias!);
        }
    }
}
