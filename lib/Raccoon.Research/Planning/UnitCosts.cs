using System.Diagnostics;
using System.Globalization;
using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Blocks.FeedForward;
using Raccoon.Research.Data;
using Raccoon.Research.Data.Glyphs;
using Raccoon.Research.Data.Logs;
using Raccoon.Research.Data.Text;
using Raccoon.Research.Experiments;
using Raccoon.Research.Experiments.GlyphCnn;
using Raccoon.Research.Experiments.LanguageModels;
using Raccoon.Research.Experiments.LatentOde;
using Raccoon.Research.Experiments.LogClassifiers;
using Raccoon.Research.Experiments.PathFlow;
using Raccoon.Research.Measurements;
using Raccoon.Research.Models.GlyphCnn;
using Raccoon.Research.Models.LanguageModels;
using Raccoon.Research.Models.LatentOde;
using Raccoon.Research.Models.PathFlow;
using Raccoon.Research.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Planning;

/// <summary>
/// The units of a run at a profile and what each costs on this machine, read from each experiment's sizes record. The
/// training experiments are split into their (build, seed) runs, each priced from a few of its training steps timed now
/// at the profile's size (<see cref="ProbeSteps"/> after one warm-up step) times the steps the record plans, plus its
/// evaluations, each timed once; the other experiments are one unit each, priced from experiment-costs.json. No
/// experiment is run: a probe builds the unit's model and times its step on one batch (random inputs of the data's
/// shape where the real data would take long to make).
/// </summary>
public static partial class UnitCosts
{
    /// <summary>The name of a unit that is a whole experiment.</summary>
    public const string WholeExperiment = "whole experiment";

    /// <summary>Timed steps per probe, after one warm-up step.</summary>
    public const int ProbeSteps = 3;

    /// <summary>Every unit of <paramref name="experiments"/> at <paramref name="profile"/>.</summary>
    public static IReadOnlyList<PlanUnit> For(IReadOnlyList<IExperiment> experiments, Profile profile, int threads, Action<string>? progress = null)
    {
        var units = new List<PlanUnit>();
        foreach (var e in experiments)
        {
            progress?.Invoke(e.Name);
            // A unit runs alone where it is the whole experiment or one of the training units the experiment declares.
            var alone = e.TrainingUnits(profile).ToHashSet();
            units.AddRange((e.Name switch
            {
                "log-classifiers-training" => LogClassifiersTraining(e.Name, profile, threads),
                "latent-ode-training" => LatentOdeTraining(e.Name, profile, threads),
                "path-flow-training" => PathFlowTraining(e.Name, profile, threads),
                "path-flow-scaling" => PathFlowScaling(e.Name, profile, threads),
                "glyph-cnn-training" => GlyphCnnTraining(e.Name, profile, threads),
                "language-models-training" => LanguageModelsTraining(e.Name, profile, threads),
                _ => [Recorded(e.Name, profile)],
            }).Select(u => u with { RunsAlone = u.Unit == WholeExperiment || alone.Contains(u.Unit) }));
        }
        return units;
    }

    /// <summary>A unit priced from experiment-costs.json; the full profile has no recorded seconds, so it gets standard's,
    /// labelled a lower bound.</summary>
    public static PlanUnit Recorded(string experiment, Profile profile)
    {
        if (Sharding.Recorded(experiment, profile) is double s)
            return new PlanUnit(experiment, WholeExperiment, CostBasis.Recorded, OtherSeconds: s);
        // Reference runs the experiments it has no sizes for at their standard sizes: standard's seconds are theirs.
        if (profile == Profile.Reference && Sharding.Recorded(experiment, Profile.Standard) is double atStandard)
            return new PlanUnit(experiment, WholeExperiment, CostBasis.Recorded, OtherSeconds: atStandard, Note: "reference runs it at its standard sizes");
        if (profile == Profile.Full && Sharding.Recorded(experiment, Profile.Standard) is double standard)
            return new PlanUnit(experiment, WholeExperiment, CostBasis.Recorded, OtherSeconds: standard,
                Note: "full not recorded: standard's recorded seconds, a lower bound (its timings take more repeats at full)");
        return new PlanUnit(experiment, WholeExperiment, CostBasis.Recorded, OtherSeconds: Sharding.Cost(experiment, profile),
            Note: "not recorded: the median of the recorded experiments");
    }

    /// <summary>Median seconds of one training step: <paramref name="loss"/>, backward and an Adam step, one warm-up step first.</summary>
    public static double StepSeconds(nn.Module model, Func<Tensor> loss, int threads, double lr = 1e-3)
    {
        model.train();
        using var optimizer = Optimizers.Adam(model.parameters(), lr);
        return Timing.Measure("training step", () =>
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            loss().backward();
            optimizer.step();
        }, new TimingOptions(Warmup: 1, Repeats: ProbeSteps, Threads: threads)).Median;
    }

    /// <summary>Seconds of one call of <paramref name="action"/> (an evaluation), timed once after nothing else.</summary>
    public static double Once(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    static IEnumerable<PlanUnit> LogClassifiersTraining(string name, Profile profile, int threads)
    {
        var sizes = LogClassifiersTrainingExperiment.Profiles.For(profile);
        foreach (var build in LogClassifiersBuilds.All)
        {
            var recipe = LogClassifiersTrainingExperiment.Recipe(build);
            var model = LogClassifiersBuilds.Create(build, 1);
            try
            {
                // Fit itself, on a set of one warm-up batch, then of ProbeSteps batches: the recipe's own step (optimizer, clipping).
                var probe = recipe with { Epochs = 1, Patience = null, MaxSteps = null, Plateau = null, Resume = null };
                // The batches are made before the clock starts: the probe prices training steps, not making the data.
                Trainer.Fit(model, LogClassifiersBuilds.LogTask.Dataset(recipe.BatchSize, 1), null, probe);
                var batches = LogClassifiersBuilds.LogTask.Dataset(recipe.BatchSize * ProbeSteps, 2);
                double fit = Once(() => Trainer.Fit(model, batches, null, probe));
                var validation = LogClassifiersBuilds.LogTask.Dataset(sizes.Validation, 3);
                double eval = Once(() => Evaluator.Evaluate(model, validation));
                long steps = (long)sizes.MaxEpochs * BatchPlan.BatchesPerEpoch(sizes.Train, recipe.BatchSize, recipe.DropLast);
                for (int s = 1; s <= sizes.Seeds; s++)
                    yield return new PlanUnit(name, $"{build}.training-seed{s}", CostBasis.MeasuredStep, steps, fit / ProbeSteps, sizes.MaxEpochs, eval,
                        OtherSeconds: eval * sizes.Test / sizes.Validation,
                        Note: s == 1 ? $"steps: {sizes.MaxEpochs} epochs x {sizes.Train} samples / batch {recipe.BatchSize}, a cap (early stopping, patience {sizes.Patience}); the continual phase ({sizes.Stream} samples) is not priced" : null);
            }
            finally
            {
                model.Module.Dispose();
            }
        }
    }

    static IEnumerable<PlanUnit> LatentOdeTraining(string name, Profile profile, int threads)
    {
        var sizes = LatentOdeTrainingExperiment.Profiles.For(profile);
        // T1-03: a 2-block stack per position encoding.
        foreach (var pos in Enum.GetValues<PositionEncoding>())
        {
            double step = BlockStack(30, 2, new TransformerBlockConfig(64, 4, 128), pos, sizes.ExtrapolationBody, 32, threads);
            for (int s = 1; s <= sizes.ExtrapolationSeeds; s++)
                yield return new PlanUnit(name, LatentOdeTrainingExperiment.ExtrapolationUnit(pos, s - 1), CostBasis.MeasuredStep, sizes.ExtrapolationSteps, step,
                    Note: pos == default(PositionEncoding) && s == 1 ? "each step's loss on a fresh batch is the trace; the few held-out losses after training are not priced" : null);
        }
        // T1-10: pre- and post-norm stacks by depth.
        foreach (int depth in sizes.Stability.Depths)
            foreach (var norm in Enum.GetValues<NormOrder>())
            {
                double step = BlockStack(30, depth, new TransformerBlockConfig(32, 4, 64, Norm: norm), PositionEncoding.Sinusoidal, 16, 16, threads);
                foreach (double lr in sizes.Stability.LearningRates)
                    for (int s = 1; s <= sizes.Stability.Seeds; s++)
                        yield return new PlanUnit(name, LatentOdeTrainingExperiment.StabilityUnit(norm, depth, lr, s - 1), CostBasis.MeasuredStep, sizes.Stability.Steps, step);
            }
        // T1-11: one stack per feed-forward kind.
        foreach (var kind in Enum.GetValues<FeedForwardKind>())
        {
            double step = BlockStack(30, 2, new TransformerBlockConfig(64, 4, FeedForwards.MatchedHidden(kind, 128), FeedForward: kind), PositionEncoding.Sinusoidal, 32, 32, threads);
            for (int s = 1; s <= sizes.FeedForwardSeeds; s++)
                yield return new PlanUnit(name, LatentOdeTrainingExperiment.FeedForwardUnit(kind, s - 1), CostBasis.MeasuredStep, sizes.FeedForwardSteps, step);
        }
        // T1-12: the upstream and the modern latent ODE model.
        foreach (var (label, config) in new[] { ("upstream", LatentOdeConfig.Upstream), ("modern", LatentOdeConfig.Modern) })
        {
            manual_seed(1);
            using var m = new DeterministicLatentOde(config);
            var task = new TargetLetterTask(1, 64);
            using var batch = task.Batch(sizes.ModelBatch);
            double step = StepSeconds(m, () => m.Loss(batch, Models.LatentOde.LatentOdeTraining.EppsPulleyWeight(0)).Total, threads);
            for (int s = 1; s <= sizes.ModelSeeds; s++) // one per seed (the plan once priced the first seed's only)
                yield return new PlanUnit(name, LatentOdeTrainingExperiment.OdeUnit(label, s - 1), CostBasis.MeasuredStep, sizes.ModelSteps, step);
        }
    }

    static double BlockStack(int vocabulary, int depth, TransformerBlockConfig block, PositionEncoding pos, int body, int batch, int threads)
    {
        manual_seed(1);
        using var m = new BlockStackLanguageModel(vocabulary, depth, block, pos);
        using var tokens = new TargetLetterTask(1, body).Batch(batch);
        return StepSeconds(m, () => m.Loss(tokens, from: 2), threads);
    }

    static IEnumerable<PlanUnit> PathFlowTraining(string name, Profile profile, int threads)
    {
        // The experiment's own units (the names --unit takes), each priced from a probe of its model on its data, one probe
        // per distinct model and data.
        var sizes = PathFlowTrainingExperiment.Profiles.For(profile);
        var g = new Generator(1);
        var train = LorenzPaths.Generate(sizes.TrainPaths, g);
        var held = LorenzPaths.Generate(sizes.HeldOutPaths, g);
        var coupledTrain = CoupledOuPaths.Generate(sizes.CoupledTrainPaths, new Generator(2));
        var coupledHeld = CoupledOuPaths.Generate(sizes.CoupledHeldOutPaths, new Generator(3));
        var probes = new Dictionary<(PathFlowConfig, bool), PathFlowProbe>();
        foreach (var unit in PathFlowTrainingExperiment.UnitsAt(profile, seed: 1))
        {
            bool first = !probes.TryGetValue((unit.Config, unit.Coupled), out var probe);
            if (first)
                probes[(unit.Config, unit.Coupled)] = probe = unit.Coupled
                    ? PathFlowStep(unit.Config, coupledTrain, coupledHeld, threads)
                    : PathFlowStep(unit.Config, train, held, threads);
            yield return probe!.Unit(name, unit.Name, unit.Steps, 2, first);
        }
    }

    /// <summary>A path-flow model's training step and held-out ELBO, each timed on the share of its paths that fits.</summary>
    sealed record PathFlowProbe(ShareTiming Step, ShareTiming Evaluation)
    {
        /// <summary>The unit: scaled where a share was timed (and said so in its note, on <paramref name="first"/>).</summary>
        public PlanUnit Unit(string experiment, string unit, long steps, int evaluations, bool first, double otherSeconds = 0)
        {
            var labels = new[] { Step.Label("step"), Evaluation.Label("held-out ELBO") }.Where(l => l is not null).ToList();
            var basis = !Step.Timed ? CostBasis.NotPriced : labels.Count > 0 ? CostBasis.ScaledShare : CostBasis.MeasuredStep;
            return new PlanUnit(experiment, unit, basis, steps, Step.Seconds, evaluations, Evaluation.Seconds, otherSeconds,
                Note: labels.Count > 0 && first ? string.Join("; ", labels) : null, PeakBytes: Math.Max(Step.PeakBytes, Evaluation.PeakBytes));
        }
    }

    static PathData First(PathData data, long paths) => paths == data.Paths ? data : data with { Xs = data.Xs[..(int)paths], Ts = data.Ts[..(int)paths] };

    /// <summary>Estimates the step's and the evaluation's memory from the sizes, then times each on the largest share of
    /// its paths within the probe's budget (<see cref="ShareProbe"/>), scaled to all of them.</summary>
    static PathFlowProbe PathFlowStep(PathFlowConfig cfg, PathData train, PathData held, int threads)
    {
        manual_seed(1);
        var model = new PathFlowModel(cfg);
        try
        {
            var g = new Generator(5);
            var stepMemory = PathFlowMemory.TrainingStep(cfg, model.ParameterCount, train.Paths, train.Times);
            var step = ShareProbe.Time(stepMemory, ShareProbe.Budget(), b =>
            {
                var share = First(train, b);
                return StepSeconds(model, () => model.Loss(share.Xs, share.Ts, g), threads);
            });
            var evalMemory = PathFlowMemory.Evaluation(cfg, model.ParameterCount, held.Paths, held.Times);
            var eval = ShareProbe.Time(evalMemory, ShareProbe.Budget(), b =>
            {
                var share = First(held, b);
                return Once(() => Models.PathFlow.PathFlowTraining.HeldOutElbo(model, share));
            });
            return new PathFlowProbe(step, eval);
        }
        finally
        {
            model.Dispose();
        }
    }

    static IEnumerable<PlanUnit> GlyphCnnTraining(string name, Profile profile, int threads)
    {
        var sizes = GlyphCnnTrainingExperiment.Profiles.For(profile);
        var data = GlyphCnnTrainingExperiment.DataOptions(profile, 1);
        var fonts = GlyphFonts.All();
        int trainFonts = fonts.Count(f => !GlyphFonts.HeldOut.Contains(f.Name));
        int heldFonts = fonts.Count - trainFonts;
        long trainCount = (long)data.Classes * trainFonts * data.TrainPerFont;
        long heldRenderings = (long)data.Classes * trainFonts * data.HeldOutPerFont;
        long heldFontGlyphs = (long)data.Classes * heldFonts * data.HeldOutFontRenderings;
        long steps = sizes.Epochs * ((trainCount + sizes.Batch - 1) / sizes.Batch);
        // GPU estimates where a GPU would serve: the documents' own size.
        double? cpuPeak = profile == Profile.Full ? GlyphCnnSpeedExperiment.Peak(threads) * 1e9 : null;
        var configs = GlyphCnnConfig.Variants(data.Classes);
        using var grids = randint(0, GlyphCnnConfig.Vocabulary, [sizes.Batch, 16, 16], dtype: ScalarType.Int64); // (B, 16, 16)
        using var labels = randint(0, data.Classes, [sizes.Batch], dtype: ScalarType.Int64); // (B)
        using var evalGrids = randint(0, GlyphCnnConfig.Vocabulary, [256, 16, 16], dtype: ScalarType.Int64);
        var perVariant = new Dictionary<string, (double Step, double EvalPerGlyph, double FlopsPerStep, ShareTiming Timed)>();
        double fullForward = 0;
        foreach (var config in configs)
        {
            manual_seed(1);
            using var model = new GlyphCnnClassifier(config);
            // the step's memory from its sizes first: over the probe's budget, a share of the batch is timed and scaled
            var memory = new StepMemory(model.ParameterCount, GlyphCnnClassifier.TrainingFloatsPerGlyph(config), sizes.Batch);
            var timed = ShareProbe.Time(memory, ShareProbe.Budget(), b =>
            {
                using var share = grids[..(int)b]; using var shareLabels = labels[..(int)b];
                return StepSeconds(model, () => nn.functional.cross_entropy(model.forward(share), shareLabels, label_smoothing: 0.05), threads);
            });
            double step = timed.Seconds;
            model.eval();
            double perGlyph = Once(() => { using var _ = no_grad(); model.forward(evalGrids).Dispose(); }) / 256;
            if (config.Variant == "Full")
                fullForward = Once(() => { using var _ = no_grad(); model.forward(grids).Dispose(); });
            double flops = 3 * 2.0 * model.Operations().Macs * sizes.Batch; // forward + backward ~ 3 forward passes
            perVariant[config.Variant] = (step, perGlyph, flops, timed);
        }
        // One unit per model and seed, named as the experiment's training units (reproduce --unit); Full's unit also trains the
        // Tiny distilled from it (the student needs its teacher), whose steps also run the Full teacher forward on each batch.
        PlanUnit Priced(string unit, int s, string variant, double step)
        {
            var v = perVariant[variant];
            double? gpu = cpuPeak is double peak && v.Timed.Timed ? GpuEstimate.Seconds(steps * v.FlopsPerStep, v.FlopsPerStep / v.Step, peak, GpuDevice.Rtx3090Amp) : null;
            var basis = !v.Timed.Timed ? CostBasis.NotPriced : v.Timed.Whole ? CostBasis.MeasuredStep : CostBasis.ScaledShare;
            string? share = s == 1 ? v.Timed.Label("step") : null;
            string? sizesNote = s == 1 && variant == "Full"
                ? string.Create(CultureInfo.InvariantCulture, $"{data.Classes} classes x {trainFonts} faces x {data.TrainPerFont} renderings = {trainCount:N0} training glyphs, batch {sizes.Batch}, {sizes.Epochs} epochs; step timed on random grids of that shape; rendering the data set is not priced")
                : null;
            return new PlanUnit(name, unit, basis, steps, step, sizes.Epochs, v.EvalPerGlyph * heldRenderings,
                OtherSeconds: v.EvalPerGlyph * (heldRenderings + heldFontGlyphs),
                GpuSeconds: gpu,
                Note: string.Join("; ", new[] { sizesNote, share }.OfType<string>()) is { Length: > 0 } note ? note : null,
                PeakBytes: v.Timed.PeakBytes);
        }
        var units = GlyphCnnTrainingExperiment.Units(profile);
        foreach (var (unit, s, variant) in units)
        {
            if (variant != "Full")
            {
                yield return Priced(unit, s, variant, perVariant[variant].Step);
                continue;
            }
            var teacher = Priced(unit, s, "Full", perVariant["Full"].Step);
            var student = Priced(unit, s, "Tiny", perVariant["Tiny"].Step + fullForward);
            // Full, then the Tiny distilled from it, in one unit: steps, evaluations and seconds of both (the step shown is their mean).
            yield return teacher with
            {
                Steps = 2 * steps,
                StepSeconds = (teacher.StepSeconds + student.StepSeconds) / 2,
                Evaluations = 2 * sizes.Epochs,
                EvaluationSeconds = (teacher.EvaluationSeconds + student.EvaluationSeconds) / 2,
                OtherSeconds = teacher.OtherSeconds + student.OtherSeconds,
                GpuSeconds = teacher.GpuSeconds + student.GpuSeconds,
                Basis = teacher.Basis == CostBasis.NotPriced || student.Basis == CostBasis.NotPriced ? CostBasis.NotPriced
                    : teacher.Basis == CostBasis.ScaledShare || student.Basis == CostBasis.ScaledShare ? CostBasis.ScaledShare : CostBasis.MeasuredStep,
                Note = string.Join("; ", new[] { teacher.Note, string.Create(CultureInfo.InvariantCulture,
                    $"with the Tiny distilled from it (its teacher): Full {teacher.Seconds / 3600:0.0} h + distilled {student.Seconds / 3600:0.0} h; the distilled step runs the teacher forward too") }.OfType<string>()),
                PeakBytes = Math.Max(teacher.PeakBytes ?? 0, student.PeakBytes ?? 0) is long p and > 0 ? p : null,
            };
        }
    }

    static IEnumerable<PlanUnit> LanguageModelsTraining(string name, Profile profile, int threads)
    {
        var sizes = LanguageModelsTrainingExperiment.Profiles.For(profile);
        var corpus = TextCorpus.Meadow();
        var config = LanguageModelConfig.Document with { VocabularySize = corpus.Vocabulary.Size };
        var slice = corpus.HeldOut.Take(LanguageModelTrainer.HeldOutSlice).ToList();
        var final = corpus.HeldOut.Take(sizes.EvaluateOn).ToList();
        using var batch = TextCorpus.Batches(corpus.Train, LanguageModelsTrainingExperiment.OptionsFor(sizes).BatchSize, new Random(1)).First();
        (double Step, double Eval, double Final) Probe(LanguageModel model)
        {
            double step = StepSeconds(model, () => NextToken.TeacherForcedLoss(model, batch), threads);
            model.eval();
            double eval = Once(() => LanguageModelTrainer.TeacherForced(model, slice));
            double fin = Once(() => LanguageModelTrainer.Evaluate(model, final));
            return (step, eval, fin);
        }
        foreach (var kind in Enum.GetValues<LanguageModelsTrainingExperiment.Kind>())
        {
            using var model = LanguageModelsTrainingExperiment.Build(kind, config, 1);
            var (step, eval, fin) = Probe(model);
            for (int s = 1; s <= sizes.Seeds; s++)
                yield return new PlanUnit(name, LanguageModelsTrainingExperiment.KindUnit(kind, s - 1), CostBasis.MeasuredStep, sizes.Steps, step,
                    (sizes.EvaluateEvery is int every ? sizes.Steps / every : LanguageModelTrainer.HeldOutEvaluations), eval, OtherSeconds: fin);
        }
        foreach (var ((_, cutConfig), i) in LanguageModelsTrainingExperiment.ParameterCuts(config).Select((c, i) => (c, i)))
        {
            manual_seed(1);
            using var model = new HyperMixerLanguageModel(cutConfig, HyperMixerVariant.Causal);
            var (step, eval, fin) = Probe(model);
            yield return new PlanUnit(name, LanguageModelsTrainingExperiment.CutUnits[i], CostBasis.MeasuredStep, sizes.Steps, step, (sizes.EvaluateEvery is int every ? sizes.Steps / every : LanguageModelTrainer.HeldOutEvaluations), eval, OtherSeconds: fin);
        }
    }
}
