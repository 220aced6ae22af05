using System.Globalization;
using Raccoon.Research.Blocks.Flows;
using Raccoon.Research.Experiments;
using Raccoon.Research.Experiments.PathFlow;
using Raccoon.Research.Measurements;
using Raccoon.Research.Models.PathFlow;
using TorchSharp;
using static TorchSharp.torch;
using Scaling = Raccoon.Research.Experiments.PathFlow.PathFlowScalingExperiment;

namespace Raccoon.Research.Planning;

/// <summary>path-flow-scaling's sections, each priced from its own calls timed now at the profile's sizes times the calls
/// the experiment makes (its warm-ups, peak-memory runs and timed rounds), read from the experiment's one sizes record.</summary>
public static partial class UnitCosts
{
    /// <summary>Seconds of one call of <paramref name="call"/> after one warm-up call, each in its own dispose scope.</summary>
    static double CallSeconds(Action call, int threads) =>
        Timing.Measure("plan probe", call, new TimingOptions(Warmup: 1, Repeats: 1, Threads: threads)).Median;

    static IEnumerable<PlanUnit> PathFlowScaling(string name, Profile profile, int threads)
    {
        var sizes = Scaling.Profiles.For(profile);
        yield return AttentionAlone(name, sizes.Attention, threads);
        foreach (var u in WindowElboCost(name, sizes.Attention, threads)) yield return u;
        yield return SpeechScale(name, sizes.Attention, threads);
        foreach (var u in FlowCost(name, sizes.Flow, threads)) yield return u;
        yield return Cache(name, sizes.Repeats, threads);
        foreach (var u in Factorised(name, sizes.Factorised, threads)) yield return u;
    }

    /// <summary>V2-02, the attention alone: per T, one peak-memory call of each form that runs, then each full form against
    /// the window, one warm-up and <c>Repeats</c> rounds of both; the GRU context is made once per T.</summary>
    static PlanUnit AttentionAlone(string name, Scaling.AttentionSizes sizes, int threads)
    {
        var cfg = PathFlowConfig.Upstream with { Hidden = Scaling.AttentionSizes.Hidden, Window = Scaling.AttentionSizes.Window, NormalisedPosteriorTime = true };
        var forms = new[] { PosteriorAttention.Upstream, PosteriorAttention.Global, PosteriorAttention.Windowed };
        manual_seed(1);
        var models = forms.Select(f => new PathFlowModel(cfg with { Attention = f })).ToArray();
        double seconds = 0;
        try
        {
            foreach (int T in sizes.Lengths)
            {
                using var scope = NewDisposeScope();
                var xs = randn(1, T, 3); var q = linspace(0, 1, T).unsqueeze(0);            // (1, T, 3), (1, T)
                Tensor ctx = null!;
                seconds += Once(() => { using var ng = no_grad(); ctx = models[0].Encode(xs); }); // (1, 1 + T, H)
                bool upstream = sizes.UpstreamLengths.Contains(T);
                double Call(int k) => CallSeconds(() => { using var ng = no_grad(); models[k].PosteriorAttend(ctx, q); }, threads);
                double up = upstream ? Call(0) : 0, glob = Call(1), win = Call(2);
                seconds += up + glob + win;                                                  // peak memory, one call each
                int rounds = 1 + sizes.Repeats;                                              // warm-up, then the timed rounds
                seconds += rounds * (glob + win) + (upstream ? rounds * (up + win) : 0);
            }
        }
        finally
        {
            foreach (var m in models) m.Dispose();
        }
        return new PlanUnit(name, "V2-02 attention alone", CostBasis.MeasuredStep, OtherSeconds: seconds,
            Note: string.Create(CultureInfo.InvariantCulture, $"each form's call timed once per T (T = {string.Join(", ", sizes.Lengths)}) x its calls: peak memory, a warm-up, {sizes.Repeats} interleaved rounds"));
    }

    /// <summary>V2-02, the window's ELBO cost: per seed, the model trained with global and with windowed attention
    /// (<c>ElboSteps</c> each), two held-out ELBOs per training and one of the global weights read through the window.</summary>
    static IEnumerable<PlanUnit> WindowElboCost(string name, Scaling.AttentionSizes sizes, int threads)
    {
        var g = new Generator(61);
        var train = LorenzPaths.Generate(sizes.ElboPaths, g, observations: sizes.ElboObservations);
        var held = LorenzPaths.Generate(sizes.ElboPaths, g, observations: sizes.ElboObservations);
        var cfg = PathFlowConfig.Upstream with { Hidden = sizes.ElboHidden, NormalisedPosteriorTime = true, Window = Scaling.AttentionSizes.Window };
        var global = PathFlowStep(cfg with { Attention = PosteriorAttention.Global }, train, held, threads);
        var windowed = PathFlowStep(cfg with { Attention = PosteriorAttention.Windowed }, train, held, threads);
        var shares = new[] { global.Step.Label("global step"), windowed.Step.Label("windowed step"), global.Evaluation.Label("held-out ELBO") }.OfType<string>().ToList();
        var basis = !global.Step.Timed || !windowed.Step.Timed ? CostBasis.NotPriced : shares.Count > 0 ? CostBasis.ScaledShare : CostBasis.MeasuredStep;
        string note = string.Join("; ", shares.Prepend("global and windowed trained in turn: 2 x the steps at their mean step time; 2 held-out ELBOs each and one of the global weights through the window"));
        for (int s = 1; s <= sizes.ElboSeeds; s++)
            yield return new PlanUnit(name, $"V2-02 window ELBO cost seed {s}", basis, 2L * sizes.ElboSteps, (global.Step.Seconds + windowed.Step.Seconds) / 2,
                5, global.Evaluation.Seconds, Note: s == 1 ? note : null, PeakBytes: Math.Max(global.Step.PeakBytes, windowed.Step.PeakBytes));
    }

    /// <summary>V2-11: one speech-scale step of each form at T = 10,000 (peak memory, then interleaved rounds), and
    /// upstream's form at each length under its cap (peak memory, a timed step, the largest against the window).</summary>
    static PlanUnit SpeechScale(string name, Scaling.AttentionSizes sizes, int threads)
    {
        var speech = new PathFlowConfig(DataDim: Scaling.AttentionSizes.SpeechInput, LatentDim: Scaling.AttentionSizes.SpeechLatent, Hidden: Scaling.AttentionSizes.Hidden,
            NormalisedPosteriorTime: true, TMax: Scaling.AttentionSizes.SpeechTMax, Window: Scaling.AttentionSizes.Window);
        var notes = new List<string>();
        long peak = 0;
        double Step(PosteriorAttention form, int T)
        {
            manual_seed(1);
            var cfg = speech with { Attention = form };
            using var model = new PathFlowModel(cfg);
            var memory = PathFlowMemory.TrainingStep(cfg, model.ParameterCount, 1, T);
            peak = Math.Max(peak, memory.PeakBytes());
            if (memory.LargestBatchWithin(ShareProbe.Budget()) < 1)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"{form} at T = {T:N0} not timed: its step needs ~{memory.PeakBytes() / 1e9:0.0} GB, over the probe's budget"));
                return 0;
            }
            var x = randn(1, T, Scaling.AttentionSizes.SpeechInput); var t = linspace(0, Scaling.AttentionSizes.SpeechTMax, T).view(1, T, 1);
            return CallSeconds(() => { model.zero_grad(); model.Loss(x, t, new Generator(3)).backward(); }, threads);
        }
        int T1 = sizes.SpeechLength, rounds = sizes.SpeechRepeats;
        double seconds = (1 + rounds) * (Step(PosteriorAttention.Windowed, T1) + Step(PosteriorAttention.Global, T1));
        var up = sizes.SpeechUpstreamRuns;
        foreach (int T in up)
        {
            double s = Step(PosteriorAttention.Upstream, T);
            seconds += T == up.Max() ? (1 + rounds) * s + (1 + rounds) * Step(PosteriorAttention.Windowed, T) : 2 * s;
        }
        notes.Insert(0, string.Create(CultureInfo.InvariantCulture, $"each step timed once (forward + backward, B = 1) x its calls: peak memory, {rounds} interleaved rounds; upstream's form at T = {string.Join(", ", up)}"));
        return new PlanUnit(name, "V2-11 speech scale", CostBasis.MeasuredStep, OtherSeconds: seconds, Note: string.Join("; ", notes), PeakBytes: peak);
    }

    /// <summary>V2-04: both flows' forward at every D (a warm-up and <c>Repeats</c> rounds), then each flow trained for
    /// <c>Steps</c> on batches of the lifted data with its held-out likelihood taken <c>Evaluations</c> + 1 times.</summary>
    static IEnumerable<PlanUnit> FlowCost(string name, Scaling.FlowSizes sizes, int threads)
    {
        double timing = 0;
        foreach (int D in sizes.Dims)
        {
            using var scope = NewDisposeScope();
            manual_seed(1);
            using var flat = sizes.Flat(D); using var multi = sizes.MultiScale(D);
            var x = randn(sizes.Batch, D); var t = rand(sizes.Batch, 1);
            double f = CallSeconds(() => { using var ng = no_grad(); flat.Forward(x, t); }, threads);
            double m = CallSeconds(() => { using var ng = no_grad(); multi.Forward(x, t); }, threads);
            timing += (1 + sizes.Repeats) * (f + m);
        }
        yield return new PlanUnit(name, "V2-04 flow forward vs D", CostBasis.MeasuredStep, OtherSeconds: timing,
            Note: string.Create(CultureInfo.InvariantCulture, $"each flow's forward timed once per D (D = {string.Join(", ", sizes.Dims)}, batch {sizes.Batch}) x a warm-up and {sizes.Repeats} rounds"));
        // Likelihood: random inputs of the data's shape (N = held-out paths x 121 points of dimension D).
        long heldSamples = (long)sizes.HeldOutPaths * 121;
        foreach (var (label, make) in new (string, Func<int, Flow>)[] { ("flat", sizes.Flat), ("multi-scale", sizes.MultiScale) })
        {
            using var scope = NewDisposeScope();
            manual_seed(1);
            using var flow = make(sizes.LikelihoodDim);
            var x = randn(sizes.Batch, sizes.LikelihoodDim); var t = rand(sizes.Batch, 1);
            double step = StepSeconds(flow, () => -Scaling.LogLikelihood(flow, x, t).mean(), threads, Scaling.FlowSizes.LearningRate);
            var hx = randn(heldSamples, sizes.LikelihoodDim); var ht = rand(heldSamples, 1);
            double eval = Once(() => { using var ng = no_grad(); Scaling.LogLikelihoodPerDim(flow, hx, ht); });
            yield return new PlanUnit(name, $"V2-04 likelihood, {label} flow", CostBasis.MeasuredStep, sizes.Steps, step, sizes.Evaluations + 1, eval);
        }
    }

    /// <summary>V2-05: the uncached ELBO of upstream's model on 32 paths, a warm-up and <paramref name="repeats"/> rounds
    /// against the cache (a hit costs next to nothing), plus the fill and the four checks.</summary>
    static PlanUnit Cache(string name, int repeats, int threads)
    {
        manual_seed(1);
        using var model = new PathFlowModel(); model.eval();
        var d = LorenzPaths.Generate(32, new Generator(21));
        double elbo = CallSeconds(() => { using var ng = no_grad(); model.Elbo(d.Xs, d.Ts, new Generator(1)); }, threads);
        int calls = 1 + (1 + repeats) + 4;
        return new PlanUnit(name, "V2-05 base-trajectory cache", CostBasis.MeasuredStep, OtherSeconds: calls * elbo,
            Note: string.Create(CultureInfo.InvariantCulture, $"the uncached ELBO timed once x {calls} calls (fill, a warm-up and {repeats} rounds, four checks)"));
    }

    /// <summary>V2-10: the four factorised models and the unfactorised one, each trained <c>Steps</c> with its held-out ELBO;
    /// the step comparison (two peaks, two interleaved pairs); the unfactorised model past 1,000 dimensions (per D a peak
    /// run, a warm-up and 3 timed steps), each step checked against memory before it is timed.</summary>
    static IEnumerable<PlanUnit> Factorised(string name, Scaling.FactorisedSizes sizes, int threads)
    {
        var data = new Dictionary<int, (PathData Train, PathData Held)>();
        (PathData Train, PathData Held) Data(int D) => data.TryGetValue(D, out var v) ? v
            : data[D] = LiftedLorenzPaths.GenerateSplit(D, sizes.Paths, sizes.Paths, new Generator((ulong)(31 + D)));
        var runs = new (string Key, int D, int F, bool Couple)[]
        {
            ("factorised D = 3", 3, 1, false), ("factorised D = 100", 100, 1, true),
            ("factorised D = 1,000", 1000, Scaling.FactorisedSizes.Factors1000, true), ("factorised D = 1,000 uncoupled", 1000, Scaling.FactorisedSizes.Factors1000, false),
        };
        int evaluations = sizes.Steps / sizes.EvaluateEvery + (sizes.Steps % sizes.EvaluateEvery == 0 ? 1 : 2);
        var step = new Dictionary<string, double>();
        foreach (var (key, D, F, couple) in runs)
        {
            manual_seed(1);
            var cfg = Scaling.FactorisedSizes.Factor with { LatentDim = D == 3 ? 4 : Scaling.FactorisedSizes.Factor.LatentDim };
            using var model = new FactorisedPathFlow(D, F, cfg, couple: couple);
            var (train, held) = Data(D);
            var g = new Generator(7);
            step[key] = StepSeconds(model, () => model.Loss(train.Xs, train.Ts, g), threads, Scaling.FactorisedSizes.LearningRate);
            double eval = Once(() => Models.PathFlow.PathFlowTraining.HeldOutElbo(model, held, Scaling.FactorisedSizes.HeldOutDraws));
            yield return new PlanUnit(name, $"V2-10 {key}", CostBasis.MeasuredStep, sizes.Steps, step[key], evaluations, eval);
        }
        var unfactorisedCfg = Scaling.FactorisedSizes.Factor with { DataDim = 1000 };
        var probe = PathFlowStep(unfactorisedCfg, Data(1000).Train, Data(1000).Held, threads);
        step["unfactorised"] = probe.Step.Seconds;
        yield return probe.Unit(name, "V2-10 unfactorised D = 1,000", sizes.Steps, evaluations, true);
        int rounds = 1 + sizes.TimingRepeats;
        double compare = step["factorised D = 1,000"] + step["unfactorised"]                      // the two peak-memory steps
            + rounds * (step["factorised D = 1,000"] + step["factorised D = 100"]) + rounds * (step["unfactorised"] + step["factorised D = 1,000"]);
        yield return new PlanUnit(name, "V2-10 step comparison", CostBasis.MeasuredStep, OtherSeconds: compare,
            Note: string.Create(CultureInfo.InvariantCulture, $"the training steps above (with Adam, an upper bound of a forward + backward) x two peak runs and two pairs of a warm-up and {sizes.TimingRepeats} rounds"));
        var ts = Data(1000).Train.Ts;
        foreach (int D in sizes.BaselineDims)
        {
            manual_seed(1);
            var cfg = Scaling.FactorisedSizes.Factor with { DataDim = D };
            using var model = new PathFlowModel(cfg);
            var memory = PathFlowMemory.TrainingStep(cfg, model.ParameterCount, sizes.Paths, ts.shape[1]);
            var timed = ShareProbe.Time(memory, ShareProbe.Budget(), b =>
            {
                var x = randn(new long[] { b, ts.shape[1], D }, generator: new Generator((ulong)D));
                var share = ts[..(int)b];
                return CallSeconds(() => { model.zero_grad(); model.Loss(x, share, new Generator(7)).backward(); }, threads);
            });
            yield return new PlanUnit(name, string.Create(CultureInfo.InvariantCulture, $"V2-10 unfactorised scan D = {D:N0}"),
                !timed.Timed ? CostBasis.NotPriced : timed.Whole ? CostBasis.MeasuredStep : CostBasis.ScaledShare, 5, timed.Seconds,
                Note: timed.Label("step") is string l ? $"a peak run, a warm-up and 3 timed steps; {l}" : null, PeakBytes: timed.PeakBytes);
        }
    }
}
