using System.Globalization;
using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Blocks.FeedForward;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Models.LatentOde;
using TorchSharp;
using static TorchSharp.torch;
using HeldOutTrace = Raccoon.Research.Ledger.HeldOutTrace;
using TrainingTrace = Raccoon.Research.Models.LatentOde.TrainingTrace;

namespace Raccoon.Research.Experiments.LatentOde;

/// <summary>
/// T1-03, T1-10, T1-11, T1-12: the claims that need training. Block-level claims use a next-token stack of
/// the latent ODE model's block on upstream's target-letter task (where predicting the run's end needs the
/// distance to its start), scaled down to this machine; T1-12 trains the whole upstream and modern models.
/// Optimiser everywhere: upstream's AdamW(1e-3, 1e-5), clip 1.0.
/// </summary>
public sealed class LatentOdeTrainingExperiment : IExperiment
{
    public string Name => "latent-ode-training";
    public string Title => "Latent ODE model: extrapolation, depth stability, GLU feed-forwards and the modern model trained";
    public IReadOnlyList<string> Claims => ["T1-03", "T1-10", "T1-11", "T1-12"];

    /// <summary>Sizes per profile. T1-03 (one block stack per position encoding): body length, steps and seeds (standard steps
    /// 500 -> 200: 6 runs took 595 s in the first standard run, loaded). T1-10 (norm order by depth): depths, seeds and steps
    /// (standard depths 3,6,12,24,48 -> 3,12,48 and steps 150 -> 50, seeds kept at 3: the 30 runs took 580 s, ~5.7 ms per
    /// block-step). T1-11 (feed-forward kinds): steps and seeds (standard 500 -> 200 steps, seeds kept at 3: 9 runs took 178 s).
    /// T1-12 (the latent ODE models): steps, batch and timed repeats (standard 100 steps x batch 32 -> 40 x 16: each ODE model
    /// took ~300 s on a loaded machine).</summary>
    public sealed record Sizes(int ExtrapolationBody, int ExtrapolationSteps, int ExtrapolationSeeds,
        IReadOnlyList<int> Depths, int DepthSeeds, int DepthSteps,
        int FeedForwardSteps, int FeedForwardSeeds,
        int ModelSteps, int ModelBatch, int ModelRepeats);

    public static ProfileSizes<Sizes> Profiles { get; } = new(
        Quick: new(ExtrapolationBody: 32, ExtrapolationSteps: 150, ExtrapolationSeeds: 1, Depths: [2, 12, 48], DepthSeeds: 2, DepthSteps: 40,
            FeedForwardSteps: 150, FeedForwardSeeds: 1, ModelSteps: 20, ModelBatch: 8, ModelRepeats: 5),
        Standard: new(ExtrapolationBody: 32, ExtrapolationSteps: 200, ExtrapolationSeeds: 2, Depths: [3, 12, 48], DepthSeeds: 3, DepthSteps: 50,
            FeedForwardSteps: 200, FeedForwardSeeds: 3, ModelSteps: 40, ModelBatch: 16, ModelRepeats: 11),
        Full: new(ExtrapolationBody: 64, ExtrapolationSteps: 3000, ExtrapolationSeeds: 3, Depths: [6, 12, 24, 48, 96], DepthSeeds: 10, DepthSteps: 1000,
            FeedForwardSteps: 3000, FeedForwardSeeds: 5, ModelSteps: 1000, ModelBatch: 128, ModelRepeats: 21));

    public ExperimentResult Run(ExperimentContext context)
    {
        var tables = new List<Table>();
        var figures = new List<Figure>();
        var t103 = Extrapolation(context, tables, figures);
        var t110 = Stability(context, tables, figures);
        var t111 = GluFeedForwards(context, tables);
        var t112 = ModernModel(context, tables);
        // T1-12's verdict rests partly on two timed comparisons.
        return new ExperimentResult([t103, t110, t111, t112 with { Kind = FigureKind.Timing }], figures, tables);
    }

    /// <summary>Evaluations per training trace: the run's fresh-batch losses in this many blocks, for the ledger's plateau test.</summary>
    const int Evaluations = 10;

    static double HeldOut(BlockStackLanguageModel m, int body, int seed, int n = 64)
    {
        m.eval();
        using var _ = no_grad();
        using var tokens = new TargetLetterTask(seed, body).Batch(n);
        double v = m.Loss(tokens, from: 2).item<float>(); // the body's tokens only: the prompt is random
        if (!double.IsFinite(v)) throw new InvalidOperationException($"held-out loss at body {body} is {v}");
        return v;
    }

    Measurement Extrapolation(ExperimentContext context, List<Table> tables, List<Figure> figures)
    {
        var sizes = Profiles.For(context.Profile);
        int body = sizes.ExtrapolationBody, steps = sizes.ExtrapolationSteps, seeds = sizes.ExtrapolationSeeds, batch = 32;
        int[] evalBodies = [body, 2 * body, 4 * body];
        var block = new TransformerBlockConfig(64, 4, 128);
        var results = new Dictionary<PositionEncoding, double[]>();
        var traces = new List<HeldOutTrace>();
        foreach (var pos in Enum.GetValues<PositionEncoding>())
        {
            var sums = new double[evalBodies.Length];
            for (int s = 0; s < seeds; s++)
            {
                context.Report(Name, $"extrapolation: {pos}, seed {s + 1}", 0.3 * ((int)pos * seeds + s) / (3.0 * seeds));
                manual_seed(context.Seed + s);
                using var m = new BlockStackLanguageModel(30, 2, block, pos);
                var task = new TargetLetterTask(context.Seed * 1000 + s, body);
                var trace = LatentOdeTraining.Train(m, _ => { using var t = task.Batch(batch); return m.Loss(t, from: 2); }, steps, cancel: context.Cancel,
                    resume: context.TrainingResume(Name, $"extrapolation-{pos}.training-seed{s + 1}"), fastForward: k => task.Skip(k, batch));
                traces.Add(HeldOutTrace.FromFreshBatchLosses($"{pos} seed {s + 1}", trace.Losses, Evaluations, $"step cap {steps}"));
                for (int i = 0; i < evalBodies.Length; i++) sums[i] += HeldOut(m, evalBodies[i], 777 + i);
            }
            results[pos] = sums.Select(v => v / seeds).ToArray();
        }
        var sin = results[PositionEncoding.Sinusoidal]; var rope = results[PositionEncoding.Rope]; var alibi = results[PositionEncoding.Alibi];
        string Fig(double[] v) => $"{v[0]:0.###} / {v[1]:0.###} / {v[2]:0.###}";
        tables.Add(new Table($"Held-out cross-entropy (nats per body token) after training at body length L = {body}", ["positions", $"L = {body}", $"2L = {2 * body}", $"4L = {4 * body}"],
            results.Select(kv => (IReadOnlyList<string>)[kv.Key.ToString(), kv.Value[0].ToString("0.####", CultureInfo.InvariantCulture), kv.Value[1].ToString("0.####", CultureInfo.InvariantCulture), kv.Value[2].ToString("0.####", CultureInfo.InvariantCulture)]).ToList()).Named("extrapolation"));
        var xs = evalBodies.Select(b => (double)b).ToArray();
        figures.Add(Charts.Lines($"Extrapolation: trained at body length {body}, evaluated at 1x, 2x, 4x", "body length", "held-out cross-entropy (nats/token)", true, false,
            results.Select(kv => (kv.Key.ToString(), (IReadOnlyList<double>)xs, (IReadOnlyList<double>)kv.Value)).ToArray()).Named("extrapolation"));
        return Measurement.Of("T1-03",
            $"Next-token stack of 2 causal blocks (H = 64, 4 heads) trained {steps} steps at body length L = {body} on the target-letter task, mean of {seeds} seed(s); held-out cross-entropy at L / 2L / 4L: " +
            $"sinusoidal {Fig(sin)}, RoPE {Fig(rope)}, ALiBi {Fig(alibi)} nats per token.",
            [
                new Quantity("sinusoidalLoss2L", sin[1], "nats/token"), new Quantity("ropeLoss2L", rope[1], "nats/token"), new Quantity("alibiLoss2L", alibi[1], "nats/token"),
                new Quantity("sinusoidalLoss4L", sin[2], "nats/token"), new Quantity("ropeLoss4L", rope[2], "nats/token"), new Quantity("alibiLoss4L", alibi[2], "nats/token"),
            ],
            evidence: "BlockStackLanguageModel per position encoding, same task, steps and seeds", traces: traces);
    }

    Measurement Stability(ExperimentContext context, List<Table> tables, List<Figure> figures)
    {
        var sizes = Profiles.For(context.Profile);
        int[] depths = [.. sizes.Depths];
        int seeds = sizes.DepthSeeds, steps = sizes.DepthSteps, batch = 16, body = 16;
        const double target = 1.5; // nats per body token; uniform guessing is ln 30 = 3.4
        var rows = new List<(NormOrder Norm, int Depth, int Diverged, double Variation, double FinalLoss, double? Steps)>();
        var stableTraces = new List<HeldOutTrace>();
        int done = 0;
        foreach (int depth in depths)
            foreach (var norm in Enum.GetValues<NormOrder>())
            {
                var traces = new List<TrainingTrace>();
                for (int s = 0; s < seeds; s++)
                {
                    context.Report(Name, $"stability: {norm}-norm depth {depth}, seed {s + 1}", 0.3 + 0.4 * done++ / (depths.Length * 2.0 * seeds));
                    manual_seed(context.Seed + 100 * s);
                    using var m = new BlockStackLanguageModel(30, depth, new TransformerBlockConfig(32, 4, 64, Norm: norm), PositionEncoding.Sinusoidal);
                    var task = new TargetLetterTask(context.Seed * 1000 + s, body);
                    traces.Add(LatentOdeTraining.Train(m, _ => { using var t = task.Batch(batch); return m.Loss(t, from: 2); }, steps, cancel: context.Cancel,
                        resume: context.TrainingResume(Name, $"stability-{norm}-depth{depth}.training-seed{s + 1}"), fastForward: k => task.Skip(k, batch)));
                }
                stableTraces.AddRange(traces.Select((t, i) => (t, i)).Where(x => !x.t.Diverged)
                    .Select(x => HeldOutTrace.FromFreshBatchLosses($"{norm}-norm depth {depth} seed {x.i + 1}", x.t.Losses, Evaluations, $"step cap {steps}")));
                var reached = traces.Select(t => t.StepsTo(target)).Where(v => v is not null).Select(v => (double)v!.Value).ToList();
                rows.Add((norm, depth, traces.Count(t => t.Diverged), traces.Select(t => t.GradientNormVariation).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(),
                    traces.Select(t => t.Losses.TakeLast(5).Average()).Average(), reached.Count == traces.Count ? reached.Average() : null));
            }
        int MaxStable(NormOrder n) => rows.Where(r => r.Norm == n && r.Diverged == 0).Select(r => r.Depth).DefaultIfEmpty(0).Max();
        int pre = MaxStable(NormOrder.Pre), post = MaxStable(NormOrder.Post);
        tables.Add(new Table($"Depth stability ({steps} steps, {seeds} seeds, H = 32, batch {batch}, AdamW 1e-3, clip 1.0)",
            ["norm", "depth", "diverged runs", "grad-norm CV", "final loss", $"mean steps to loss {target}"],
            rows.Select(r => (IReadOnlyList<string>)[r.Norm.ToString(), r.Depth.ToString(CultureInfo.InvariantCulture), $"{r.Diverged}/{seeds}", r.Variation.ToString("0.###", CultureInfo.InvariantCulture), r.FinalLoss.ToString("0.###", CultureInfo.InvariantCulture), r.Steps?.ToString("0.#", CultureInfo.InvariantCulture) ?? "not reached by every seed"]).ToList()).Named("stability"));
        var ds = depths.Select(d => (double)d).ToArray();
        figures.Add(Charts.Lines("Stability against depth: final loss (pre- vs post-norm)", "depth (blocks)", "final training loss (nats/token)", true, false,
            ("pre-norm", ds, rows.Where(r => r.Norm == NormOrder.Pre).Select(r => r.FinalLoss).ToArray()), ("post-norm", ds, rows.Where(r => r.Norm == NormOrder.Post).Select(r => r.FinalLoss).ToArray())).Named("stability-loss"));
        figures.Add(Charts.Lines("Stability against depth: gradient-norm variation", "depth (blocks)", "coefficient of variation of the gradient norm", true, false,
            ("pre-norm", ds, rows.Where(r => r.Norm == NormOrder.Pre).Select(r => r.Variation).ToArray()), ("post-norm", ds, rows.Where(r => r.Norm == NormOrder.Post).Select(r => r.Variation).ToArray())).Named("stability-gradients"));
        // Each order's deepest stable depth is only a bound where no depth tried broke it (censored above) or the
        // shallowest already broke (below the shallowest), so their ratio is censored too.
        int deepest = depths[^1], shallowest = depths[0];
        bool preOpen = pre == deepest, postOpen = post == deepest;
        (double ratio, Censor censor) = (pre, post) switch
        {
            (0, 0) => (1.0, Censor.Unbounded),
            (0, _) => ((double)shallowest / post, postOpen ? Censor.Unbounded : Censor.Below),
            (_, 0) => ((double)pre / shallowest, Censor.Above),
            _ when preOpen && postOpen => (1.0, Censor.Unbounded),
            _ when preOpen => ((double)pre / post, Censor.Above),
            _ when postOpen => ((double)pre / post, Censor.Below),
            _ => ((double)pre / post, Censor.None),
        };
        int diverged(NormOrder n) => rows.Where(r => r.Norm == n).Sum(r => r.Diverged);
        int runs = depths.Length * seeds;
        return new Measurement("T1-10",
            $"Scaled down (H = 32, 4 heads, {steps} steps, {seeds} seeds per depth, batch {batch} x {body + 3} tokens): deepest stack with no diverging seed pre-norm {pre}, post-norm {post} of depths {string.Join(", ", depths)} " +
            $"{(preOpen ? "(pre-norm stable at every depth tried: its limit lies beyond) " : "")}{(postOpen ? "(post-norm stable at every depth tried: its limit lies beyond) " : "")}; diverged runs {diverged(NormOrder.Pre)}/{runs} pre vs {diverged(NormOrder.Post)}/{runs} post; " +
            $"gradient-norm CV at depth {depths[^1]}: pre {rows.Single(r => r.Norm == NormOrder.Pre && r.Depth == depths[^1]).Variation:0.###}, post {rows.Single(r => r.Norm == NormOrder.Post && r.Depth == depths[^1]).Variation:0.###}.",
            ratio, Evidence: "BlockStackLanguageModel per norm order and depth; diverged = non-finite loss or final loss not below the first",
            Censored: censor, Traces: stableTraces,
            Figures: [new Quantity("preNormDeepestStable", pre, "blocks", Censored: preOpen ? Censor.Above : Censor.None),
                      new Quantity("postNormDeepestStable", post, "blocks", Censored: postOpen ? Censor.Above : Censor.None)]);
    }

    Measurement GluFeedForwards(ExperimentContext context, List<Table> tables)
    {
        long relu = Parameters.Total(FeedForwards.Create(FeedForwardKind.Relu, 128, 128));
        long swi = Parameters.Total(FeedForwards.Create(FeedForwardKind.SwiGlu, 128, 128));
        long ge = Parameters.Total(FeedForwards.Create(FeedForwardKind.GeGlu, 128, 128));
        double more = 100.0 * (swi - relu) / relu;
        var sizes = Profiles.For(context.Profile);
        int steps = sizes.FeedForwardSteps, seeds = sizes.FeedForwardSeeds, body = 32;
        var losses = new Dictionary<FeedForwardKind, List<double>>();
        var counts = new Dictionary<FeedForwardKind, long>();
        var traces = new List<HeldOutTrace>();
        foreach (var kind in Enum.GetValues<FeedForwardKind>())
        {
            losses[kind] = [];
            for (int s = 0; s < seeds; s++)
            {
                context.Report(Name, $"feed-forward {kind}, seed {s + 1}", 0.7 + 0.1 * ((int)kind * seeds + s) / (3.0 * seeds));
                manual_seed(context.Seed + s);
                int hidden = FeedForwards.MatchedHidden(kind, 128);
                using var m = new BlockStackLanguageModel(30, 2, new TransformerBlockConfig(64, 4, hidden, FeedForward: kind), PositionEncoding.Sinusoidal);
                counts[kind] = Parameters.Total(m);
                var task = new TargetLetterTask(context.Seed * 1000 + s, body);
                var trace = LatentOdeTraining.Train(m, _ => { using var t = task.Batch(32); return m.Loss(t, from: 2); }, steps, cancel: context.Cancel,
                    resume: context.TrainingResume(Name, $"feed-forward-{kind}.training-seed{s + 1}"), fastForward: k => task.Skip(k, 32));
                traces.Add(HeldOutTrace.FromFreshBatchLosses($"{kind} seed {s + 1}", trace.Losses, Evaluations, $"step cap {steps}"));
                losses[kind].Add(HeldOut(m, body, 555));
            }
        }
        double Mean(FeedForwardKind k) => losses[k].Average();
        double Spread(FeedForwardKind k) => losses[k].Count > 1 ? losses[k].Max() - losses[k].Min() : 0;
        // Each mean with the range of its seeds as its interval: "better" is decided only where the ranges do not overlap.
        Quantity LossFigure(string name, FeedForwardKind k) => new(name, Mean(k), "nats/token", new MeasuredInterval(losses[k].Min(), losses[k].Max()), Samples: seeds, Design: Sampling.Independent);
        tables.Add(new Table($"Feed-forwards at matched parameters (2 blocks, H = 64, {steps} steps, {seeds} seed(s))", ["FFN", "hidden", "model parameters", "held-out loss (mean)", "spread over seeds"],
            Enum.GetValues<FeedForwardKind>().Select(k => (IReadOnlyList<string>)[k.ToString(), FeedForwards.MatchedHidden(k, 128).ToString(CultureInfo.InvariantCulture), counts[k].ToString("N0", CultureInfo.InvariantCulture), Mean(k).ToString("0.####", CultureInfo.InvariantCulture), Spread(k).ToString("0.####", CultureInfo.InvariantCulture)]).ToList()).Named("feed-forwards"));
        return Measurement.Of("T1-11",
            $"At the ODE model's width (128 -> 128 -> 128, biases): ReLU FFN {relu:N0}, SwiGLU {swi:N0}, GeGLU {ge:N0} parameters: {more:0.#}% more. At matched parameters (GLU hidden {FeedForwards.MatchedHidden(FeedForwardKind.SwiGlu, 128)} vs ReLU 128), " +
            $"held-out loss after {steps} steps: ReLU {Mean(FeedForwardKind.Relu):0.####}, SwiGLU {Mean(FeedForwardKind.SwiGlu):0.####}, GeGLU {Mean(FeedForwardKind.GeGlu):0.####} (spread over {seeds} seed(s) {Spread(FeedForwardKind.Relu):0.####} / {Spread(FeedForwardKind.SwiGlu):0.####} / {Spread(FeedForwardKind.GeGlu):0.####}).",
            [
                new Quantity("swiGluExtraParametersPercent", more, "%"), new Quantity("geGluExtraParametersPercent", 100.0 * (ge - relu) / relu, "%"),
                LossFigure("reluLoss", FeedForwardKind.Relu), LossFigure("swiGluLoss", FeedForwardKind.SwiGlu), LossFigure("geGluLoss", FeedForwardKind.GeGlu),
            ],
            evidence: "GatedFeedForward and FeedForward counts; BlockStackLanguageModel per FFN kind", traces: traces);
    }

    Measurement ModernModel(ExperimentContext context, List<Table> tables)
    {
        var sizes = Profiles.For(context.Profile);
        int steps = sizes.ModelSteps, batch = sizes.ModelBatch;
        var options = new TimingOptions(Warmup: 1, Repeats: sizes.ModelRepeats, Threads: context.Threads);
        var trained = new Dictionary<string, (double Ppl, double Recon)>();
        var traces = new List<HeldOutTrace>();
        manual_seed(context.Seed);
        using var upstream = new DeterministicLatentOde(LatentOdeConfig.Upstream);
        manual_seed(context.Seed);
        using var modern = new DeterministicLatentOde(LatentOdeConfig.Modern);
        foreach (var (name, m) in new[] { ("upstream", upstream), ("modern", modern) })
        {
            context.Report(Name, $"training the {name} latent ODE model", name == "upstream" ? 0.8 : 0.9);
            var task = new TargetLetterTask(context.Seed, 64);
            var trace = LatentOdeTraining.Train(m, step => { using var t = task.Batch(batch); return m.Loss(t, LatentOdeTraining.EppsPulleyWeight(step)).Total; }, steps, cancel: context.Cancel,
                resume: context.TrainingResume(Name, $"{name}-model"), fastForward: k => task.Skip(k, batch));
            if (trace.NonFinite) throw new InvalidOperationException($"the {name} latent ODE model's loss went non-finite in training");
            traces.Add(HeldOutTrace.FromFreshBatchLosses($"{name} model", trace.Losses, Evaluations, $"step cap {steps}"));
            m.eval();
            using var _ = no_grad();
            using var heldOut = new TargetLetterTask(4242, 64).Batch(128);
            double recon = m.Loss(heldOut).Reconstruction;
            trained[name] = (Math.Exp(recon), recon);
        }
        double gain = 100 * (1 - trained["modern"].Ppl / trained["upstream"].Ppl);
        using var tokens = new TargetLetterTask(99, 64).Batch(batch);
        var enc = Timing.Compare("upstream encoder", () => { using var _ = no_grad(); upstream.forward(tokens); }, "modern encoder", () => { using var _ = no_grad(); modern.forward(tokens); }, options);
        var gen = Timing.Compare("upstream sampling (no cache)", () => upstream.Sample(8, 67, new Generator(1), kvCache: false),
            "modern sampling (KV cache)", () => modern.Sample(8, 67, new Generator(1), kvCache: true), options);
        var (genSpeedup, genInterval) = Intervals.Speedup(gen);
        var (encSpeedup, encInterval) = Intervals.Speedup(enc);
        tables.Add(new Table($"Upstream vs modern latent ODE model ({steps} training steps, batch {batch})", ["model", "parameters", "held-out recon CE", "perplexity", "encoder ms", "sampling 8 x 67 ms"],
        [
            ["upstream", Parameters.Total(upstream).ToString("N0", CultureInfo.InvariantCulture), trained["upstream"].Recon.ToString("0.####", CultureInfo.InvariantCulture), trained["upstream"].Ppl.ToString("0.###", CultureInfo.InvariantCulture), (enc.Baseline.Median * 1e3).ToString("0.##", CultureInfo.InvariantCulture), (gen.Baseline.Median * 1e3).ToString("0.#", CultureInfo.InvariantCulture)],
            ["modern", Parameters.Total(modern).ToString("N0", CultureInfo.InvariantCulture), trained["modern"].Recon.ToString("0.####", CultureInfo.InvariantCulture), trained["modern"].Ppl.ToString("0.###", CultureInfo.InvariantCulture), (enc.Candidate.Median * 1e3).ToString("0.##", CultureInfo.InvariantCulture), (gen.Candidate.Median * 1e3).ToString("0.#", CultureInfo.InvariantCulture)],
        ]).Named("modern-model"));
        return Measurement.Of("T1-12",
            $"Encoder forward (batch {batch} x 67): {enc.Baseline.Median * 1e3:0.##} -> {enc.Candidate.Median * 1e3:0.##} ms ({enc.Speedup:0.00}x); sampling 8 x 67 tokens: {gen.Baseline.Median * 1e3:0.#} ms (upstream, recomputation) -> " +
            $"{gen.Candidate.Median * 1e3:0.#} ms (modern, KV cache) ({gen.Speedup:0.00}x); after {steps} steps each, held-out reconstruction perplexity {trained["upstream"].Ppl:0.###} -> {trained["modern"].Ppl:0.###} ({gain:0.#}% gain). " +
            $"Modern = RoPE, fused attention and QKV, SwiGLU ({Parameters.Total(modern):N0} parameters vs {Parameters.Total(upstream):N0}); {context.Threads} thread(s).",
            [
                new Quantity("generationSpeedup", genSpeedup, "x", genInterval, Samples: gen.PairedRatio.Count, Design: Sampling.Interleaved),
                new Quantity("encoderSpeedup", encSpeedup, "x", encInterval, Samples: enc.PairedRatio.Count, Design: Sampling.Interleaved),
                new Quantity("perplexityGainPercent", gain, "%"),
            ],
            evidence: "DeterministicLatentOde upstream vs modern, same seed, task, steps and optimiser", traces: traces);
    }
}
