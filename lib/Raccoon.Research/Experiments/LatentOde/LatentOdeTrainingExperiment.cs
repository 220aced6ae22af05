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
    /// 500 -> 200: 6 runs took 595 s in the first standard run, loaded). T1-10 (norm order by depth, no gradient clipping, as upstream's train_ode): the
    /// search grid of depths, learning rates, seeds and steps. T1-11 (feed-forward kinds): steps and seeds (standard 500 -> 200 steps, seeds kept at 3: 9 runs took 178 s).
    /// T1-12 (the latent ODE models): steps, batch, seeds and timed repeats (standard 100 steps x batch 32 -> 40 x 16: each ODE
    /// model took ~300 s on a loaded machine; seeds 1 -> 3 so the perplexity gain has an interval).</summary>
    public sealed record Sizes(int ExtrapolationBody, int ExtrapolationSteps, int ExtrapolationSeeds,
        StabilitySizes Stability,
        int FeedForwardSteps, int FeedForwardSeeds,
        int ModelSteps, int ModelBatch, int ModelSeeds, int ModelRepeats, int? EvaluateEvery = null, int? ModelEvaluateEvery = null)
    {
        /// <summary>Steps per evaluation (a block of fresh-batch losses) of T1-03's and T1-11's block stacks: given, else ten over the run.</summary>
        public int StackEvery(int steps) => EvaluateEvery ?? Math.Max(1, steps / Evaluations);
        /// <summary>Steps per evaluation of T1-12's latent ODE models: given, else ten over the run.</summary>
        public int ModelEvery => ModelEvaluateEvery ?? Math.Max(1, ModelSteps / Evaluations);
    }

    /// <summary>T1-10's search grid: the depths tried, the learning rates (AdamW, upstream's 1e-3 the largest), the seeds
    /// per depth and rate, and the steps per run.</summary>
    public sealed record StabilitySizes(IReadOnlyList<int> Depths, IReadOnlyList<double> LearningRates, int Seeds, int Steps);

    public static ProfileSizes<Sizes> Profiles { get; } = new(
        Quick: new(ExtrapolationBody: 32, ExtrapolationSteps: 150, ExtrapolationSeeds: 1, Stability: new([6, 24, 96], [1e-3], Seeds: 2, Steps: 40),
            FeedForwardSteps: 150, FeedForwardSeeds: 1, ModelSteps: 20, ModelBatch: 8, ModelSeeds: 3, ModelRepeats: 5),
        Standard: new(ExtrapolationBody: 32, ExtrapolationSteps: 200, ExtrapolationSeeds: 2, Stability: new([6, 12, 24, 48, 96], [3e-4, 1e-3], Seeds: 2, Steps: 60),
            FeedForwardSteps: 200, FeedForwardSeeds: 3, ModelSteps: 40, ModelBatch: 16, ModelSeeds: 3, ModelRepeats: 11),
        Full: new(ExtrapolationBody: 64, ExtrapolationSteps: 3000, ExtrapolationSeeds: 3, Stability: new([6, 12, 24, 48, 96, 192], [1e-4, 3e-4, 1e-3], Seeds: 5, Steps: 1000),
            FeedForwardSteps: 3000, FeedForwardSeeds: 5, ModelSteps: 1000, ModelBatch: 128, ModelSeeds: 5, ModelRepeats: 21),
        // Reference: standard's tasks, models, batches and seeds (T1-10's search, which has no plateau test, at standard's grid),
        // trained until the plateau tests of T1-03, T1-11 and T1-12 pass, evaluated every 50 steps (block stacks) and 20 steps
        // (latent ODE models); caps at the full profile's 3,000 and 1,000 steps, the documents' scale. Run 2026-12-07
        // (results/reference/latent-ode-training.seed1.json): every run stopped at its plateau, the block stacks after
        // 550-700 steps, the latent ODE models after 160-240, so the caps suffice and nothing was grown.
        Reference: new(ExtrapolationBody: 32, ExtrapolationSteps: 3000, ExtrapolationSeeds: 2, Stability: new([6, 12, 24, 48, 96], [3e-4, 1e-3], Seeds: 2, Steps: 60),
            FeedForwardSteps: 3000, FeedForwardSeeds: 3, ModelSteps: 1000, ModelBatch: 16, ModelSeeds: 3, ModelRepeats: 11, EvaluateEvery: 50, ModelEvaluateEvery: 20));

    public object? SizesAt(Profile profile) => Profiles.For(profile);

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

    // Each training of the experiment, one function per kind, used by Run and by TrainUnit alike (and open to a notebook): it
    // seeds torch, builds the model, makes its task and trains it from its resume file (to its end, or at once where the file
    // holds its end). The caller owns the model returned.
    const int ExtrapolationBatch = 32, StabilityBatch = 16, StabilityBody = 16, FeedForwardBody = 32, FeedForwardBatch = 32;
    static readonly TransformerBlockConfig ExtrapolationBlock = new(64, 4, 128);

    static string Rate(double lr) => lr.ToString("0.####", CultureInfo.InvariantCulture);

    public (BlockStackLanguageModel Model, TrainingTrace Trace) TrainExtrapolation(ExperimentContext context, PositionEncoding pos, int s)
    {
        var sizes = Profiles.For(context.Profile);
        int steps = sizes.ExtrapolationSteps;
        manual_seed(context.Seed + s);
        var task = new TargetLetterTask(context.Seed * 1000 + s, sizes.ExtrapolationBody);
        return Training.OwnedModel.Train(new BlockStackLanguageModel(30, 2, ExtrapolationBlock, pos), m => LatentOdeTraining.Train(m,
            _ => { using var t = task.Batch(ExtrapolationBatch); return m.Loss(t, from: 2); }, steps, cancel: context.Cancel,
            resume: context.TrainingResume(Name, ExtrapolationUnit(pos, s)), fastForward: k => task.Skip(k, ExtrapolationBatch),
            stopAt: context.StopFor("T1-03"), evaluateEvery: sizes.StackEvery(steps)));
    }

    public (BlockStackLanguageModel Model, TrainingTrace Trace) TrainStability(ExperimentContext context, NormOrder norm, int depth, double lr, int s)
    {
        var sizes = Profiles.For(context.Profile).Stability;
        manual_seed(context.Seed + 100 * s);
        var task = new TargetLetterTask(context.Seed * 1000 + s, StabilityBody);
        return Training.OwnedModel.Train(new BlockStackLanguageModel(30, depth, new TransformerBlockConfig(32, 4, 64, Norm: norm), PositionEncoding.Sinusoidal), m => LatentOdeTraining.Train(m,
            _ => { using var t = task.Batch(StabilityBatch); return m.Loss(t, from: 2); }, sizes.Steps, lr, context.Cancel,
            resume: context.TrainingResume(Name, StabilityUnit(norm, depth, lr, s)), fastForward: k => task.Skip(k, StabilityBatch), clip: null));
    }

    public (BlockStackLanguageModel Model, TrainingTrace Trace) TrainFeedForward(ExperimentContext context, FeedForwardKind kind, int s)
    {
        var sizes = Profiles.For(context.Profile);
        int steps = sizes.FeedForwardSteps;
        manual_seed(context.Seed + s);
        var task = new TargetLetterTask(context.Seed * 1000 + s, FeedForwardBody);
        var block = new TransformerBlockConfig(64, 4, FeedForwards.MatchedHidden(kind, 128), FeedForward: kind);
        return Training.OwnedModel.Train(new BlockStackLanguageModel(30, 2, block, PositionEncoding.Sinusoidal), m => LatentOdeTraining.Train(m,
            _ => { using var t = task.Batch(FeedForwardBatch); return m.Loss(t, from: 2); }, steps, cancel: context.Cancel,
            resume: context.TrainingResume(Name, FeedForwardUnit(kind, s)), fastForward: k => task.Skip(k, FeedForwardBatch),
            stopAt: context.StopFor("T1-11"), evaluateEvery: sizes.StackEvery(steps)));
    }

    /// <summary>The <paramref name="name"/> ("upstream" or "modern") latent ODE model of seed number <paramref name="s"/>: both
    /// models of a seed start from the same torch seed and train on the same batches.</summary>
    public (DeterministicLatentOde Model, TrainingTrace Trace) TrainOdeModel(ExperimentContext context, string name, int s)
    {
        var sizes = Profiles.For(context.Profile);
        int steps = sizes.ModelSteps, batch = sizes.ModelBatch;
        manual_seed(context.Seed + 100 * s);
        var task = new TargetLetterTask(context.Seed + 1000 * s, 64);
        var (model, trace) = Training.OwnedModel.Train(new DeterministicLatentOde(name == "upstream" ? LatentOdeConfig.Upstream : LatentOdeConfig.Modern), m => LatentOdeTraining.Train(m,
            step => { using var t = task.Batch(batch); return m.Loss(t, LatentOdeTraining.EppsPulleyWeight(step)).Total; }, steps, cancel: context.Cancel,
            resume: context.TrainingResume(Name, OdeUnit(name, s)), fastForward: k => task.Skip(k, batch),
            stopAt: context.StopFor("T1-12"), evaluateEvery: sizes.ModelEvery));
        if (trace.NonFinite)
        {
            model.Dispose();
            throw new InvalidOperationException($"the {name} latent ODE model's loss went non-finite in training (seed {s + 1})");
        }
        return (model, trace);
    }

    // The units' names, their resume files' (seed numbers s from 0; the names count from 1), for the plan too.
    public static string ExtrapolationUnit(PositionEncoding pos, int s) => $"extrapolation-{pos}.training-seed{s + 1}";
    public static string StabilityUnit(NormOrder norm, int depth, double lr, int s) => $"stability-{norm}-depth{depth}-lr{Rate(lr)}.training-seed{s + 1}";
    public static string FeedForwardUnit(FeedForwardKind kind, int s) => $"feed-forward-{kind}.training-seed{s + 1}";
    /// <summary>The first seed's latent ODE models keep the names of the runs before there were seeds.</summary>
    public static string OdeUnit(string name, int s) => s == 0 ? $"{name}-model" : $"{name}-model-seed{s + 1}";

    /// <summary>Every training of a run at <paramref name="profile"/>, by its resume file's name, in the order Run trains them,
    /// with what trains it alone (T1-03's stacks, T1-10's search runs, T1-11's stacks, T1-12's models).</summary>
    IReadOnlyList<(string Unit, Func<ExperimentContext, IDisposable> Train)> UnitsAt(Profile profile)
    {
        var sizes = Profiles.For(profile);
        var units = new List<(string, Func<ExperimentContext, IDisposable>)>();
        foreach (var pos in Enum.GetValues<PositionEncoding>())
            for (int s = 0; s < sizes.ExtrapolationSeeds; s++)
            {
                int seed = s;
                units.Add((ExtrapolationUnit(pos, s), c => TrainExtrapolation(c, pos, seed).Model));
            }
        foreach (double lr in sizes.Stability.LearningRates)
            foreach (int depth in sizes.Stability.Depths)
                foreach (var norm in Enum.GetValues<NormOrder>())
                    for (int s = 0; s < sizes.Stability.Seeds; s++)
                    {
                        int seed = s;
                        units.Add((StabilityUnit(norm, depth, lr, s), c => TrainStability(c, norm, depth, lr, seed).Model));
                    }
        foreach (var kind in Enum.GetValues<FeedForwardKind>())
            for (int s = 0; s < sizes.FeedForwardSeeds; s++)
            {
                int seed = s;
                units.Add((FeedForwardUnit(kind, s), c => TrainFeedForward(c, kind, seed).Model));
            }
        for (int s = 0; s < sizes.ModelSeeds; s++)
            foreach (var name in new[] { "upstream", "modern" })
            {
                int seed = s;
                units.Add((OdeUnit(name, s), c => TrainOdeModel(c, name, seed).Model));
            }
        return units;
    }

    public IReadOnlyList<string> TrainingUnits(Profile profile) => [.. UnitsAt(profile).Select(u => u.Unit)];

    public void TrainUnit(ExperimentContext context, string unit)
    {
        var train = UnitsAt(context.Profile)[this.UnitIndex(context.Profile, unit)].Train;
        context.Report(Name, $"training unit {unit}");
        train(context).Dispose();
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
        int body = sizes.ExtrapolationBody, steps = sizes.ExtrapolationSteps, seeds = sizes.ExtrapolationSeeds;
        int[] evalBodies = [body, 2 * body, 4 * body];
        var results = new Dictionary<PositionEncoding, double[]>();
        var traces = new List<HeldOutTrace>();
        foreach (var pos in Enum.GetValues<PositionEncoding>())
        {
            var sums = new double[evalBodies.Length];
            for (int s = 0; s < seeds; s++)
            {
                context.Report(Name, $"extrapolation: {pos}, seed {s + 1}", 0.3 * ((int)pos * seeds + s) / (3.0 * seeds));
                var (m, trace) = TrainExtrapolation(context, pos, s);
                using var _ = m;
                traces.Add(trace.HeldOut($"{pos} seed {s + 1}", sizes.StackEvery(steps), steps));
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
            $"Next-token stack of 2 causal blocks (H = 64, 4 heads) trained {PlateauStop.TrainedFor(traces, steps, "step")} at body length L = {body} on the target-letter task, mean of {seeds} seed(s); held-out cross-entropy at L / 2L / 4L: " +
            $"sinusoidal {Fig(sin)}, RoPE {Fig(rope)}, ALiBi {Fig(alibi)} nats per token.",
            [
                new Quantity("sinusoidalLoss2L", sin[1], "nats/token"), new Quantity("ropeLoss2L", rope[1], "nats/token"), new Quantity("alibiLoss2L", alibi[1], "nats/token"),
                new Quantity("sinusoidalLoss4L", sin[2], "nats/token"), new Quantity("ropeLoss4L", rope[2], "nats/token"), new Quantity("alibiLoss4L", alibi[2], "nats/token"),
            ],
            evidence: "BlockStackLanguageModel per position encoding, same task, steps and seeds", traces: traces);
    }

    /// <summary>
    /// T1-10: where does a post-norm stack stop training stably, and a pre-norm one? Both orders of the same block
    /// (H = 32, 4 heads) as next-token stacks of growing depth, trained as upstream's train_ode trains the latent ODE
    /// model (AdamW, weight decay 1e-5, no gradient clipping, no warm-up) at learning rates up to upstream's 1e-3,
    /// over seeds. "Original" here is the 2017 post-norm order the document describes (LN(x + f(x))); upstream's own
    /// block is pre-norm (T1-02), so the comparison is the document's, not upstream's code against the modern block.
    /// Each run returns its figures; what counts as destabilised, and so each order's deepest stable depth, is the
    /// claim's rule in claims.json.
    /// </summary>
    Measurement Stability(ExperimentContext context, List<Table> tables, List<Figure> figures)
    {
        var sizes = Profiles.For(context.Profile).Stability;
        const int batch = StabilityBatch, body = StabilityBody;
        var runs = new List<SearchRun>();
        var rows = new List<(double Lr, NormOrder Norm, int Depth, List<TrainingTrace> Traces)>();
        int done = 0, total = sizes.LearningRates.Count * sizes.Depths.Count * 2 * sizes.Seeds;
        string Arm(NormOrder n) => n == NormOrder.Pre ? "preNorm" : "postNorm";
        foreach (double lr in sizes.LearningRates)
            foreach (int depth in sizes.Depths)
                foreach (var norm in Enum.GetValues<NormOrder>())
                {
                    var traces = new List<TrainingTrace>();
                    for (int s = 0; s < sizes.Seeds; s++)
                    {
                        context.Report(Name, $"stability: {norm}-norm depth {depth}, lr {Rate(lr)}, seed {s + 1}", 0.3 + 0.4 * done++ / total);
                        var (m, trace) = TrainStability(context, norm, depth, lr, s);
                        m.Dispose();
                        traces.Add(trace);
                        runs.Add(new SearchRun(Arm(norm), depth, $"depth {depth} lr {Rate(lr)} seed {s + 1}",
                        [
                            new Quantity("initialLoss", trace.Losses[0], "nats/token"),
                            new Quantity("finalLoss", FinalLoss(trace), "nats/token"),
                            new Quantity("nonFinite", trace.NonFinite ? 1 : 0, "runs"),
                            new Quantity("peakLoss", trace.NonFinite ? double.PositiveInfinity : trace.Losses.Max(), "nats/token"),
                            new Quantity("learningRate", lr),
                        ]));
                    }
                    rows.Add((lr, norm, depth, traces));
                }
        tables.Add(new Table($"Depth stability ({sizes.Steps} steps, {sizes.Seeds} seeds, H = 32, 4 heads, batch {batch}, AdamW, no gradient clipping)",
            ["learning rate", "norm", "depth", "non-finite runs", "final / first loss (worst seed)", "final loss (mean of finite seeds)", "grad-norm CV (mean)"],
            rows.Select(r => (IReadOnlyList<string>)[Rate(r.Lr), r.Norm.ToString(), r.Depth.ToString(CultureInfo.InvariantCulture), $"{r.Traces.Count(t => t.NonFinite)}/{r.Traces.Count}",
                Show(r.Traces.Max(t => FinalLoss(t) / t.Losses[0])), Show(FiniteMean(r.Traces.Select(FinalLoss))), Show(FiniteMean(r.Traces.Select(t => t.GradientNormVariation)))]).ToList()).Named("stability"));
        var series = rows.GroupBy(r => (r.Lr, r.Norm)).Select(g =>
        {
            var points = g.Select(r => (X: (double)r.Depth, Y: FiniteMean(r.Traces.Select(FinalLoss)))).Where(p => double.IsFinite(p.Y)).ToList();
            return ($"{g.Key.Norm}-norm, lr {Rate(g.Key.Lr)}", (IReadOnlyList<double>)points.Select(p => p.X).ToList(), (IReadOnlyList<double>)points.Select(p => p.Y).ToList());
        }).ToArray();
        figures.Add(Charts.Lines("Stability against depth: final loss (mean of the seeds whose loss stayed finite)", "depth (blocks)", "final training loss (nats/token)", true, false, series).Named("stability-loss"));
        var cv = rows.GroupBy(r => (r.Lr, r.Norm)).Select(g =>
        {
            var points = g.Select(r => (X: (double)r.Depth, Y: FiniteMean(r.Traces.Select(t => t.GradientNormVariation)))).Where(p => double.IsFinite(p.Y)).ToList();
            return ($"{g.Key.Norm}-norm, lr {Rate(g.Key.Lr)}", (IReadOnlyList<double>)points.Select(p => p.X).ToList(), (IReadOnlyList<double>)points.Select(p => p.Y).ToList());
        }).ToArray();
        figures.Add(Charts.Lines("Stability against depth: gradient-norm variation", "depth (blocks)", "coefficient of variation of the gradient norm", true, false, cv).Named("stability-gradients"));
        int NonFinite(NormOrder n) => rows.Where(r => r.Norm == n).Sum(r => r.Traces.Count(t => t.NonFinite));
        int perOrder = total / 2;
        string Worst(NormOrder n) => string.Join(", ", sizes.Depths.Select(d => $"{d}: {Show(rows.Where(r => r.Norm == n && r.Depth == d).SelectMany(r => r.Traces).Max(t => FinalLoss(t) / t.Losses[0]))}"));
        return new Measurement("T1-10",
            $"Scaled down (H = 32, 4 heads, batch {batch} x {body + 3} tokens, {sizes.Steps} steps, {sizes.Seeds} seeds per depth and learning rate), trained as upstream's train_ode trains: AdamW at " +
            $"{string.Join(" and ", sizes.LearningRates.Select(Rate))} (upstream 1e-3), no gradient clipping, no warm-up. Depths {string.Join(", ", sizes.Depths)}. " +
            $"Runs whose loss or gradient went non-finite: pre-norm {NonFinite(NormOrder.Pre)}/{perOrder}, post-norm {NonFinite(NormOrder.Post)}/{perOrder}. " +
            $"Worst final / first loss over seeds and rates, by depth: pre-norm {Worst(NormOrder.Pre)}; post-norm {Worst(NormOrder.Post)}. " +
            "'Original' is the post-norm order the document describes; upstream's own block is already pre-norm (T1-02).",
            Evidence: "BlockStackLanguageModel per norm order, depth, learning rate and seed (LatentOdeTraining.Train without clipping); each run's first, final (mean of the last 5 steps, infinite once non-finite) and peak loss",
            Runs: runs);
    }

    /// <summary>A run's final loss: the mean of its last 5 steps, infinite once a loss or gradient went non-finite.</summary>
    static double FinalLoss(TrainingTrace t) => t.NonFinite ? double.PositiveInfinity : t.Losses.TakeLast(Math.Min(5, t.Losses.Count)).Average();

    static double FiniteMean(IEnumerable<double> xs) => xs.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();

    static string Show(double x) => double.IsPositiveInfinity(x) ? "non-finite" : double.IsNaN(x) ? "-" : x.ToString("0.###", CultureInfo.InvariantCulture);

    Measurement GluFeedForwards(ExperimentContext context, List<Table> tables)
    {
        long relu = Parameters.Total(FeedForwards.Create(FeedForwardKind.Relu, 128, 128));
        long swi = Parameters.Total(FeedForwards.Create(FeedForwardKind.SwiGlu, 128, 128));
        long ge = Parameters.Total(FeedForwards.Create(FeedForwardKind.GeGlu, 128, 128));
        double more = 100.0 * (swi - relu) / relu;
        var sizes = Profiles.For(context.Profile);
        int steps = sizes.FeedForwardSteps, seeds = sizes.FeedForwardSeeds, body = FeedForwardBody;
        var losses = new Dictionary<FeedForwardKind, List<double>>();
        var counts = new Dictionary<FeedForwardKind, long>();
        var traces = new List<HeldOutTrace>();
        foreach (var kind in Enum.GetValues<FeedForwardKind>())
        {
            losses[kind] = [];
            for (int s = 0; s < seeds; s++)
            {
                context.Report(Name, $"feed-forward {kind}, seed {s + 1}", 0.7 + 0.1 * ((int)kind * seeds + s) / (3.0 * seeds));
                var (m, trace) = TrainFeedForward(context, kind, s);
                using var _ = m;
                counts[kind] = Parameters.Total(m);
                traces.Add(trace.HeldOut($"{kind} seed {s + 1}", sizes.StackEvery(steps), steps));
                losses[kind].Add(HeldOut(m, body, 555));
            }
        }
        double Mean(FeedForwardKind k) => losses[k].Average();
        double Spread(FeedForwardKind k) => losses[k].Count > 1 ? losses[k].Max() - losses[k].Min() : 0;
        // Each mean with the range of its seeds as its interval: "better" is decided only where the ranges do not overlap.
        Quantity LossFigure(string name, FeedForwardKind k) => new(name, Mean(k), "nats/token", new MeasuredInterval(losses[k].Min(), losses[k].Max()), Samples: seeds, Design: Sampling.Independent);
        tables.Add(new Table($"Feed-forwards at matched parameters (2 blocks, H = 64, {PlateauStop.TrainedFor(traces, steps, "step")}, {seeds} seed(s))", ["FFN", "hidden", "model parameters", "held-out loss (mean)", "spread over seeds"],
            Enum.GetValues<FeedForwardKind>().Select(k => (IReadOnlyList<string>)[k.ToString(), FeedForwards.MatchedHidden(k, 128).ToString(CultureInfo.InvariantCulture), counts[k].ToString("N0", CultureInfo.InvariantCulture), Mean(k).ToString("0.####", CultureInfo.InvariantCulture), Spread(k).ToString("0.####", CultureInfo.InvariantCulture)]).ToList()).Named("feed-forwards"));
        return Measurement.Of("T1-11",
            $"At the ODE model's width (128 -> 128 -> 128, biases): ReLU FFN {relu:N0}, SwiGLU {swi:N0}, GeGLU {ge:N0} parameters: {more:0.#}% more. At matched parameters (GLU hidden {FeedForwards.MatchedHidden(FeedForwardKind.SwiGlu, 128)} vs ReLU 128), " +
            $"held-out loss after training {PlateauStop.TrainedFor(traces, steps, "step")}: ReLU {Mean(FeedForwardKind.Relu):0.####}, SwiGLU {Mean(FeedForwardKind.SwiGlu):0.####}, GeGLU {Mean(FeedForwardKind.GeGlu):0.####} (spread over {seeds} seed(s) {Spread(FeedForwardKind.Relu):0.####} / {Spread(FeedForwardKind.SwiGlu):0.####} / {Spread(FeedForwardKind.GeGlu):0.####}).",
            [
                new Quantity("swiGluExtraParametersPercent", more, "%"), new Quantity("geGluExtraParametersPercent", 100.0 * (ge - relu) / relu, "%"),
                LossFigure("reluLoss", FeedForwardKind.Relu), LossFigure("swiGluLoss", FeedForwardKind.SwiGlu), LossFigure("geGluLoss", FeedForwardKind.GeGlu),
            ],
            evidence: "GatedFeedForward and FeedForward counts; BlockStackLanguageModel per FFN kind", traces: traces);
    }

    Measurement ModernModel(ExperimentContext context, List<Table> tables)
    {
        // standard 100 steps x batch 32 -> 40 x 16: training each ODE model took ~300 s on a loaded machine (upstream 346 s incl. evaluation), ~0.1 s per sequence-step.
        // Seeds 1 -> 3 (issue 21: the perplexity gain had no interval): three times this part's training cost, ~6 x 64 s at standard.
        var sizes = Profiles.For(context.Profile);
        int steps = sizes.ModelSteps, batch = sizes.ModelBatch, seeds = sizes.ModelSeeds;
        var options = new TimingOptions(Warmup: 1, Repeats: sizes.ModelRepeats, Threads: context.Threads);
        var trained = new List<(int Seed, double UpstreamPpl, double ModernPpl, double UpstreamRecon, double ModernRecon)>();
        var traces = new List<HeldOutTrace>();
        DeterministicLatentOde? upstream = null, modern = null;
        try
        {
            for (int s = 0; s < seeds; s++)
            {
                upstream?.Dispose(); modern?.Dispose();
                upstream = modern = null;
                // both models from the same seed, trained on the same batches; seed 1 is the single run of before
                var recon = new Dictionary<string, double>();
                foreach (var name in new[] { "upstream", "modern" })
                {
                    context.Report(Name, $"training the {name} latent ODE model, seed {s + 1}", 0.8 + 0.15 * (2 * s + (name == "upstream" ? 0 : 1)) / (2.0 * seeds));
                    var (m, trace) = TrainOdeModel(context, name, s);
                    if (name == "upstream") upstream = m; else modern = m;
                    traces.Add(trace.HeldOut($"{name} model seed {s + 1}", sizes.ModelEvery, steps));
                    m.eval();
                    using var _ = no_grad();
                    using var heldOut = new TargetLetterTask(4242, 64).Batch(128);
                    recon[name] = m.Loss(heldOut).Reconstruction;
                }
                trained.Add((s + 1, Math.Exp(recon["upstream"]), Math.Exp(recon["modern"]), recon["upstream"], recon["modern"]));
            }
            // the gain per seed, paired: the same seed, data and steps for both models
            var gains = trained.Select(t => 100 * (1 - t.ModernPpl / t.UpstreamPpl)).ToList();
            double gain = gains.Average();
            // timed on the last seed's models (their cost does not depend on training)
            using var tokens = new TargetLetterTask(99, 64).Batch(batch);
            var (up, mo) = (upstream!, modern!);
            var enc = Timing.Compare("upstream encoder", () => { using var _ = no_grad(); up.forward(tokens); }, "modern encoder", () => { using var _ = no_grad(); mo.forward(tokens); }, options);
            var gen = Timing.Compare("upstream sampling (no cache)", () => up.Sample(8, 67, new Generator(1), kvCache: false),
                "modern sampling (KV cache)", () => mo.Sample(8, 67, new Generator(1), kvCache: true), options);
            var (genSpeedup, genInterval) = Intervals.Speedup(gen);
            var (encSpeedup, encInterval) = Intervals.Speedup(enc);
            string F(double x, string format) => x.ToString(format, CultureInfo.InvariantCulture);
            tables.Add(new Table($"Upstream vs modern latent ODE model (trained {PlateauStop.TrainedFor(traces, steps, "step")}, batch {batch}, {seeds} seeds)", ["seed", "upstream recon CE", "modern recon CE", "upstream perplexity", "modern perplexity", "perplexity gain %"],
                trained.Select((t, i) => (IReadOnlyList<string>)[t.Seed.ToString(CultureInfo.InvariantCulture), F(t.UpstreamRecon, "0.####"), F(t.ModernRecon, "0.####"), F(t.UpstreamPpl, "0.###"), F(t.ModernPpl, "0.###"), F(gains[i], "0.#")])
                    .Append(["mean", F(trained.Average(t => t.UpstreamRecon), "0.####"), F(trained.Average(t => t.ModernRecon), "0.####"), F(trained.Average(t => t.UpstreamPpl), "0.###"), F(trained.Average(t => t.ModernPpl), "0.###"), F(gain, "0.#")]).ToList()).Named("modern-model"));
            tables.Add(new Table("Upstream vs modern latent ODE model: size and cost", ["model", "parameters", "encoder ms", "sampling 8 x 67 ms"],
            [
                ["upstream", Parameters.Total(up).ToString("N0", CultureInfo.InvariantCulture), F(enc.Baseline.Median * 1e3, "0.##"), F(gen.Baseline.Median * 1e3, "0.#")],
                ["modern", Parameters.Total(mo).ToString("N0", CultureInfo.InvariantCulture), F(enc.Candidate.Median * 1e3, "0.##"), F(gen.Candidate.Median * 1e3, "0.#")],
            ]).Named("modern-model-cost"));
            var gainRange = Intervals.Range(gains);
            return Measurement.Of("T1-12",
                $"Encoder forward (batch {batch} x 67): {enc.Baseline.Median * 1e3:0.##} -> {enc.Candidate.Median * 1e3:0.##} ms ({enc.Speedup:0.00}x); sampling 8 x 67 tokens: {gen.Baseline.Median * 1e3:0.#} ms (upstream, recomputation) -> " +
                $"{gen.Candidate.Median * 1e3:0.#} ms (modern, KV cache) ({gen.Speedup:0.00}x); after training {PlateauStop.TrainedFor(traces, steps, "step")}, held-out reconstruction perplexity {trained.Average(t => t.UpstreamPpl):0.###} -> {trained.Average(t => t.ModernPpl):0.###} " +
                $"(mean of {seeds} seeds), a {gain:0.#}% gain (per seed {string.Join(", ", gains.Select(g => F(g, "0.#")))}%; interval: their range). " +
                $"Modern = RoPE, fused attention and QKV, SwiGLU ({Parameters.Total(mo):N0} parameters vs {Parameters.Total(up):N0}); {context.Threads} thread(s).",
                [
                    new Quantity("generationSpeedup", genSpeedup, "x", genInterval, Samples: gen.PairedRatio.Count, Design: Sampling.Interleaved),
                    new Quantity("encoderSpeedup", encSpeedup, "x", encInterval, Samples: enc.PairedRatio.Count, Design: Sampling.Interleaved),
                    new Quantity("perplexityGainPercent", gain, "%", gainRange, Samples: seeds),
                ],
                evidence: $"DeterministicLatentOde upstream vs modern, the same seed, task, steps and optimiser per pair, {seeds} seeds; the gain's interval is the range of the per-seed gains", traces: traces);
        }
        finally
        {
            upstream?.Dispose(); modern?.Dispose();
        }
    }
}
