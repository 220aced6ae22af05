using System.Globalization;
using Raccoon.Research.Data;
using Raccoon.Research.Data.Logs;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Models.LogClassifiers;
using Raccoon.Research.Training;
using TorchSharp;
using static Raccoon.Research.Experiments.LogClassifiers.LogClassifiersBuilds;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.LogClassifiers;

/// <summary>
/// R0-08, R0-09, R0-12, R0-13: the three builds trained on the template log task over several seeds (each
/// seed draws its own weights and data), with a validation set, early stopping and each build's upstream
/// optimizer (Original builds: AdamW 1e-3, weight decay 1e-5; Alternative: Adam 1e-3 with the plateau
/// schedule), gradient clipping 1.0; test accuracy, loss curves, time per epoch, epochs to early stopping;
/// inference latency of the trained models for the frontier; then upstream's continual phase on a stream whose
/// class prior drifts halfway, with each build's own replay memory; and the document checked against itself.
/// </summary>
public sealed class LogClassifiersTrainingExperiment : IExperiment
{
    public string Name => ExperimentName;
    const string ExperimentName = "log-classifiers-training";
    public string Title => "Raccoon builds: training over seeds, accuracy, convergence, frontier, continual learning";
    public IReadOnlyList<string> Claims => ["R0-08", "R0-09", "R0-12", "R0-13"];

    /// <summary>Sizes per profile: sample counts, the epoch cap, the Alternative's early-stopping patience (upstream's
    /// train_alternative_raccoon; the Original builds, which upstream trains without early stopping, stop at the claims'
    /// plateau test or the cap), seeds, continual stream.</summary>
    public sealed record Sizes(int Train, int Validation, int Test, int MaxEpochs, int Patience, int Seeds, int Stream);

    /// <summary>Reference: standard's data and models, trained until the plateau test of R0-08/R0-09/R0-12/R0-13 passes
    /// (window 3, at least 6 evaluations) with a cap of 100 epochs: 3,000 steps at 960 samples, three times the 1,000
    /// steps upstream trains its RaccoonLogClassifier for and twice the 50 epochs the document gives the Alternative;
    /// the Alternative keeps upstream's patience of 10. Data and model are not grown unless a build fails to reach the
    /// plateau within the cap.</summary>
    public object? SizesAt(Profile profile) => Profiles.For(profile);

    public static ProfileSizes<Sizes> Profiles { get; } = new(
        Quick: new(Train: 128, Validation: 32, Test: 64, MaxEpochs: 2, Patience: 2, Seeds: 1, Stream: 48),
        Standard: new(Train: 960, Validation: 256, Test: 512, MaxEpochs: 8, Patience: 3, Seeds: 3, Stream: 200),
        Full: new(Train: 10_000, Validation: 2_000, Test: 2_000, MaxEpochs: 50, Patience: 10, Seeds: 3, Stream: 2_000),
        Reference: new(Train: 960, Validation: 256, Test: 512, MaxEpochs: 100, Patience: 10, Seeds: 3, Stream: 200));

    sealed record SeedRun(int Seed, TrainingHistory History, Evaluation Test, ContinualResult Continual);

    sealed record BuildRuns(RaccoonBuild Build, IReadOnlyList<SeedRun> Runs, TimingResult Latency, string Memory, PlateauStop Stop)
    {
        public SeedSummary Accuracy => SeedSummary.Of(Runs.Select(r => 100 * r.Test.Accuracy));
        public SeedSummary Epochs => SeedSummary.Of(Runs.Select(r => (double)r.History.Epochs.Count));
        public SeedSummary SecondsPerEpoch => SeedSummary.Of(Runs.Select(r => r.History.SecondsPerEpoch));
        public SeedSummary TrainingSeconds => SeedSummary.Of(Runs.Select(r => r.History.Seconds));
        public SeedSummary Forgetting => SeedSummary.Of(Runs.Select(r => 100 * r.Continual.Forgetting));
        public SeedSummary PostDriftChange => SeedSummary.Of(Runs.Select(r => 100 * (r.Continual.PostDriftAfter!.Accuracy - r.Continual.PostDriftBefore!.Accuracy)));
        public int Skipped => Runs.Sum(r => r.History.SkippedSteps);
        public int StoppedEarly => Runs.Count(r => r.History.StoppedEarly);
        public int StoppedAtPlateau => Runs.Count(r => r.History.StoppedAtPlateau);
        public int Capped => Runs.Count(r => !r.History.StoppedEarly && !r.History.StoppedAtPlateau);
        public IReadOnlyList<HeldOutTrace> Traces => Runs.Select(r => r.History.ValidationTrace($"{Short(Build)} seed {r.Seed}")
            ?? throw new InvalidOperationException($"{Short(Build)} seed {r.Seed} trained without a validation set")).ToList();
        /// <summary>Per seed, the epoch from which the claims' plateau test passed on its validation losses at every later
        /// epoch (where the run settled: the Original builds train at least upstream's 1,000 steps and the Alternative on to
        /// upstream's early stopping, both possibly past an earlier, passing plateau), or the epochs run where it does not
        /// pass at the end.</summary>
        public IReadOnlyList<(double Epochs, bool Reached)> Plateaus => Traces.Zip(Runs, (t, r) => Stop.Settled(t) is double at ? (at, true) : (r.History.Epochs.Count, false)).ToList();
        public SeedSummary EpochsToPlateauSummary => SeedSummary.Of(Plateaus.Select(p => p.Epochs));
        /// <summary>Epochs to the plateau, a lower bound ("more than N epochs") where a seed never reached it.</summary>
        public Quantity EpochsToPlateau(string name)
        {
            var e = EpochsToPlateauSummary;
            return new(name, e.Mean, "epochs", e.Count > 1 ? new MeasuredInterval(e.Min, e.Max) : null,
                Plateaus.Any(p => !p.Reached) ? Censor.Above : Censor.None, Runs.Count, Sampling.Independent);
        }
        public Quantity AccuracyFigure(string name) => new(name, Accuracy.Mean, "%", Accuracy.Count > 1 ? new MeasuredInterval(Accuracy.Min, Accuracy.Max) : null,
            Samples: Accuracy.Count, Design: Sampling.Independent);
    }

    public ExperimentResult Run(ExperimentContext context)
    {
        var plan = Profiles.For(context.Profile);
        var seeds = Seeds.From(context.Seed, plan.Seeds);
        var stop = context.StopFor([.. Claims]);
        var results = new List<BuildRuns>();
        int total = All.Count * seeds.Count, done = 0;
        foreach (var build in All)
        {
            var runs = new List<SeedRun>();
            TimingResult? latency = null;
            string memory = "";
            foreach (int seed in seeds)
            {
                context.Cancel.ThrowIfCancellationRequested();
                context.Report(Name, $"{Label(build)}, seed {seed}", (double)done++ / total);
                var model = Create(build, seed);
                try
                {
                    runs.Add(TrainAndStream(build, model, seed, seed - context.Seed, plan, stop, context));
                    if (latency is null)
                    {
                        model.Module.eval();
                        var (tokens, _) = Batch32(seed + 100);
                        latency = Timing.Measure($"{Short(build)} inference, batch 32", () => { using var g = no_grad(); model.Logits(tokens); }, TimingFor(context), Batch);
                        memory = MemoryKind(model);
                    }
                }
                finally
                {
                    model.Module.Dispose();
                }
            }
            results.Add(new BuildRuns(build, runs, latency!, memory, stop));
        }
        return Results(context, plan, results);
    }

    /// <summary>The build's upstream optimizer and batch (Original builds: AdamW 1e-3, weight decay 1e-5; Alternative: Adam 1e-3
    /// with the plateau schedule), its epochs and patience left to the sizes.</summary>
    public static TrainingOptions Recipe(RaccoonBuild build) => build == RaccoonBuild.Alternative
        ? TrainingOptions.UpstreamSimpleRaccoon
        : TrainingOptions.UpstreamRaccoon with { MaxSteps = null, Plateau = null, RestoreBest = false };

    /// <summary>The training units a node may run alone: one per build and seed number (from 1), named as their resume files.</summary>
    public IReadOnlyList<string> TrainingUnits(Profile profile) =>
        [.. All.SelectMany(build => Enumerable.Range(0, Profiles.For(profile).Seeds).Select(i => UnitFile(build, i)))];

    static string UnitFile(RaccoonBuild build, int index) => $"{build}.training-seed{index + 1}";

    public void TrainUnit(ExperimentContext context, string unit)
    {
        var plan = Profiles.For(context.Profile);
        int at = this.UnitIndex(context.Profile, unit);
        var build = All[at / plan.Seeds];
        int index = at % plan.Seeds, seed = context.Seed + index;
        context.Report(Name, $"training unit {unit} ({Label(build)}, seed {seed})");
        var model = Create(build, seed);
        try
        {
            Fit(build, model, seed, index, plan, context.StopFor([.. Claims]), context);
        }
        finally
        {
            model.Module.Dispose();
        }
    }

    /// <summary>Trains <paramref name="model"/> (<paramref name="build"/>, seed number <paramref name="index"/> from 0) from its
    /// resume file, to its end or at once where the file holds its end, on the seed's training and validation data.</summary>
    static TrainingHistory Fit(RaccoonBuild build, IRaccoonModel model, int seed, int index, Sizes plan, PlateauStop stop, ExperimentContext context)
    {
        var train = LogTask.Dataset(plan.Train, 10_000 + seed);
        var validation = LogTask.Dataset(plan.Validation, 20_000 + seed);
        // The Alternative keeps upstream's early stopping (patience, min delta 1e-4), which ends no earlier than the plateau
        // test passes; the Original builds, trained upstream for a fixed 1,000 steps, train at least those steps (a plateau
        // passed before them ends nothing: a slow learner is not stopped short of upstream's own recipe), then stop at the
        // plateau test or the cap.
        var options = (build == RaccoonBuild.Alternative
                ? Recipe(build) with { Patience = plan.Patience }
                : Recipe(build) with { Patience = null, StopAt = stop, MinSteps = TrainingOptions.UpstreamRaccoon.MaxSteps })
            with { Epochs = plan.MaxEpochs, Seed = seed, Resume = context.TrainingResume(ExperimentName, UnitFile(build, index)) };
        var progress = new Progress<TrainingProgress>(p => // one line per epoch: the epoch-end report carries the validation figures
        {
            if (p.ValidationLoss is not null) context.Report("log-classifiers-training", $"{Short(build)}, seed {seed}: {p.Status}");
        });
        return Trainer.Fit(model, train, validation, options, progress, context.Cancel);
    }

    static SeedRun TrainAndStream(RaccoonBuild build, IRaccoonModel model, int seed, int index, Sizes plan, PlateauStop stop, ExperimentContext context)
    {
        var history = Fit(build, model, seed, index, plan, stop, context);
        var test = LogTask.Dataset(plan.Test, 30_000 + seed);
        var evaluation = Evaluator.Evaluate(model, test, withLoss: false);

        int drift = plan.Stream / 2;
        var stream = LogTask.Dataset(plan.Stream, 40_000 + seed, driftPoint: drift);
        var preDrift = LogTask.Dataset(plan.Test, 50_000 + seed);
        var postDrift = LogTask.Dataset(plan.Test, 60_000 + seed, driftPoint: 0);
        var continual = ContinualLearning.Run(model, model.Replay, stream, preDrift, postDrift,
            new ContinualOptions { DriftPoint = drift, Seed = seed, Window = Math.Min(100, plan.Stream / 4), LearningRate = model.AdaptationRate });
        return new SeedRun(seed, history, evaluation, continual);
    }

    ExperimentResult Results(ExperimentContext context, Sizes plan, IReadOnlyList<BuildRuns> results)
    {
        var o = results.Single(r => r.Build == RaccoonBuild.DocumentedOriginal);
        var u = results.Single(r => r.Build == RaccoonBuild.UpstreamOriginal);
        var a = results.Single(r => r.Build == RaccoonBuild.Alternative);
        string setup = $"template log task, {plan.Train} training / {plan.Validation} validation / {plan.Test} test samples, at most {plan.MaxEpochs} epochs, " +
                       $"patience {plan.Patience}, {plan.Seeds} seed(s), batch 32, {context.Threads} thread(s), profile {context.Profile.ToString().ToLowerInvariant()}";
        string Acc(BuildRuns r) => $"{r.Accuracy.Mean:0.0}% ± {r.Accuracy.StdDev:0.0} (n={r.Accuracy.Count})";
        double gap = o.Accuracy.Mean - a.Accuracy.Mean;
        double gapUp = u.Accuracy.Mean - a.Accuracy.Mean;
        var r08 = Measurement.PerBuild("R0-08",
            $"Test accuracy: Original as documented {Acc(o)}, upstream Original {Acc(u)}, Alternative {Acc(a)}: the Alternative loses {gap:0.0} points against the documented Original " +
            $"({gapUp:0.0} against upstream's) (claimed 89% vs 86% +-3, 3 points). Epochs run {o.Epochs.ToString("0.#")} / {u.Epochs.ToString("0.#")} / {a.Epochs.ToString("0.#")}, " +
            $"epochs to the plateau {o.EpochsToPlateauSummary.ToString("0.#")} / {u.EpochsToPlateauSummary.ToString("0.#")} / {a.EpochsToPlateauSummary.ToString("0.#")} " +
            $"(stopped at the plateau in {o.StoppedAtPlateau} / {u.StoppedAtPlateau} / {a.StoppedAtPlateau}, by upstream's early stopping in {o.StoppedEarly} / {u.StoppedEarly} / {a.StoppedEarly}, " +
            $"at the cap of {plan.MaxEpochs} epochs in {o.Capped} / {u.Capped} / {a.Capped} of {plan.Seeds} runs; claimed 500+ epochs vs ~50, stop near 15); " +
            $"time per epoch {o.SecondsPerEpoch.ToString("0.##")} s / {u.SecondsPerEpoch.ToString("0.##")} s / {a.SecondsPerEpoch.ToString("0.###")} s (claimed ~80 s vs 32 ms). " +
            $"Skipped (non-finite) steps: {o.Skipped} / {u.Skipped} / {a.Skipped}. {setup}.",
            [
                new BuildMeasurement("upstream Original", $"{gapUp:0.0} points", gapUp, Upstream: true, Traces: u.Traces,
                    Figures: [u.EpochsToPlateau("originalEpochs"), u.AccuracyFigure("originalAccuracy")]),
                new BuildMeasurement("documented Original", $"{gap:0.0} points", gap, Traces: o.Traces,
                    Figures: [o.EpochsToPlateau("originalEpochs"), o.AccuracyFigure("originalAccuracy")]),
            ],
            evidence: "Trainer.Fit with validation and early stopping, Evaluator on a held-out test set, over seeds",
            reason: "Each build's number is its mean test accuracy minus the Alternative's, in points; the upstream Original is the headline. Epoch counts are capped by the profile, not by the document's 500.")
            with { Traces = a.Traces, Figures = [a.EpochsToPlateau("alternativeEpochs"), a.AccuracyFigure("alternativeAccuracy")] };

        // R0-09: the frontier has two sides: each build's accuracy gap (the points rule) and its latency ratio, which the
        // rule in claims.json requires beyond its no-effect band. The latencies were timed build by build, apart.
        BuildMeasurement Frontier(BuildRuns b, string name, bool upstream)
        {
            double g = b.Accuracy.Mean - a.Accuracy.Mean;
            var (lr, latencyInterval) = Intervals.RatioOfMedians(b.Latency.Seconds, a.Latency.Seconds, Sampling.Independent);
            Measurement.Require("R0-09", $"{name} latency ratio", lr);
            return new BuildMeasurement(name, $"{g:0.0} points for {Fmt(lr)}x the latency {latencyInterval}", g, Upstream: upstream, Traces: b.Traces,
                Figures: [new Quantity("latencyRatio", lr, "x", latencyInterval, Samples: b.Latency.Seconds.Count, Design: Sampling.Independent)]);
        }
        double latencyRatio = o.Latency.Median / a.Latency.Median;
        var r09 = Measurement.PerBuild("R0-09",
            $"Measured frontier (trained models, batch 32): Original as documented {Acc(o)} at {Ms(o.Latency.Median)}, upstream Original {Acc(u)} at {Ms(u.Latency.Median)}, " +
            $"Alternative {Acc(a)} at {Ms(a.Latency.Median)}: {gap:0.0} accuracy points for {Fmt(latencyRatio)}x the latency (documented Original), {gapUp:0.0} points for " +
            $"{Fmt(u.Latency.Median / a.Latency.Median)}x (upstream) (claimed ~92% at 100+ ms vs ~88% at ~1 ms: 4 points for ~100x). {setup}.",
            [Frontier(u, "upstream Original", true), Frontier(o, "documented Original", false)],
            evidence: "test accuracy over seeds and Timing.Measure of each trained model's inference path; Intervals.RatioOfMedians for the latency side",
            reason: "Each build: the accuracy it buys over the Alternative, in points, and its latency as a multiple of the Alternative's; the upstream Original is the headline.")
            with { Traces = a.Traces };

        var r12 = SelfConsistency(o, a) with { Traces = [.. o.Traces, .. a.Traces] };
        var r13 = Continual(o, u, a, plan);

        var tables = new List<Table>
        {
            new($"Training over seeds ({setup})",
                ["build", "test accuracy %", "epochs run", "epochs to the plateau", "stopped: plateau / early stopping / cap", "s per epoch", "training s", "skipped steps", "document"],
                results.Select(r => (IReadOnlyList<string>)[Label(r.Build), r.Accuracy.ToString("0.0"), r.Epochs.ToString("0.#"), r.EpochsToPlateauSummary.ToString("0.#"),
                    $"{r.StoppedAtPlateau} / {r.StoppedEarly} / {r.Capped} of {r.Runs.Count}",
                    r.SecondsPerEpoch.ToString("0.###"), r.TrainingSeconds.ToString("0.#"), r.Skipped.ToString(CultureInfo.InvariantCulture),
                    r.Build == RaccoonBuild.Alternative ? "86% +-3, ~50 epochs, stop ~15, 32 ms/epoch" : "89%, 500+ epochs, ~80 s/epoch"]).ToList()),
            new("Accuracy-latency frontier (trained models, inference path, batch 32)", ["build", "test accuracy %", "latency ms (median)", "document"],
                results.Select(r => (IReadOnlyList<string>)[Label(r.Build), r.Accuracy.ToString("0.0"), Fmt(r.Latency.Median * 1e3),
                    r.Build == RaccoonBuild.Alternative ? "~88% at ~1 ms" : "~92% at 100+ ms"]).ToList()),
            ContinualTable(results),
            SummaryTable(o, a),
        };
        var figures = new List<Figure>
        {
            Charts.Lines("Training loss per epoch, every build and seed (R0-08)", "epoch", "mean training loss", false, true,
                results.SelectMany(r => r.Runs.Select(s => ($"{Short(r.Build)} seed {s.Seed}",
                    (IReadOnlyList<double>)s.History.Epochs.Select(e => (double)e.Epoch).ToList(), (IReadOnlyList<double>)s.History.Epochs.Select(e => e.TrainLoss).ToList()))).ToArray()),
            Charts.Lines("Validation loss per epoch, every build and seed (R0-08)", "epoch", "validation loss", false, true,
                results.SelectMany(r => r.Runs.Select(s => ($"{Short(r.Build)} seed {s.Seed}",
                    (IReadOnlyList<double>)s.History.Epochs.Select(e => (double)e.Epoch).ToList(), (IReadOnlyList<double>)s.History.Epochs.Select(e => e.ValidationLoss ?? double.NaN).ToList()))).ToArray()),
            Charts.Points("Accuracy-latency frontier: measured (mean over seeds) and the document's (R0-09)", "latency per batch of 32, ms (log)", "test accuracy %", true, false,
                ("measured", results.Select(r => r.Latency.Median * 1e3).ToList(), results.Select(r => r.Accuracy.Mean).ToList(), results.Select(r => Short(r.Build)).ToList()),
                ("document", [DocumentFigures.FrontierOriginalLatencyMs, DocumentFigures.FrontierAlternativeLatencyMs],
                    [DocumentFigures.FrontierOriginalAccuracy, DocumentFigures.FrontierAlternativeAccuracy], ["Original (document)", "Alternative (document)"])),
            Charts.Lines("Online accuracy over the drifting stream (rolling window), first seed (R0-13)", "stream sample", "rolling accuracy", false, false,
                results.Select(r => (Short(r.Build) + " (" + r.Memory + ")", (IReadOnlyList<double>)Enumerable.Range(0, r.Runs[0].Continual.RollingAccuracy.Count).Select(i => (double)i).ToList(),
                    r.Runs[0].Continual.RollingAccuracy)).ToArray()),
        };
        const double chance = 25; // four balanced classes
        string Learned(BuildRuns r) => $"{Short(r.Build)} {r.Accuracy.Mean:0.0}% after {r.Epochs.Mean:0.#} epochs" +
            (r.Accuracy.Mean - chance < 5 ? " (within 5 points of chance)" : "");
        int capped = results.Sum(r => r.Capped), all = results.Sum(r => r.Runs.Count);
        double moved13 = results.SelectMany(r => r.Runs).Max(x => Math.Abs(x.Continual.PreDriftAfter.Accuracy - x.Continual.PreDriftBefore.Accuracy)) * 100;
        tables.Add(Findings.Of(
            ("R0-08", $"The profile's cap of {plan.MaxEpochs} epochs ended {capped} of {all} runs; the plateau test (the Original builds) or upstream's early stopping (the Alternative) ended the rest. Test accuracy: {string.Join("; ", results.Select(Learned))} " +
                      $"(chance {chance:0}%). Upstream trains its RaccoonLogClassifier for 1,000 steps and the Alternative for up to 50 epochs; the document's 500 epochs are not run here. " +
                      "Upstream's RaccoonLogClassifier is evaluated the upstream way: its head classifies the encoder's sample directly, skipping the SDE and flow it was trained through."),
            ("R0-13", $"Both upstream datasets drift only in their class prior and upstream's online update is a small SGD step: the largest change of pre-drift test accuracy in any run " +
                      $"is {moved13:0.0} points; forgetting per build: {string.Join(", ", results.Select(r => $"{Short(r.Build)} {r.Forgetting.Mean:0.0}"))} points.")));
        string[] figureNames = ["training-loss", "validation-loss", "frontier", "drift"];
        string[] tableNames = ["training", "frontier", "continual", "summary"];
        // R0-09's verdict rests partly on the latency side of the frontier, a clock: two quiet standard runs gave fails, then inconclusive.
        return new ExperimentResult([r08, r09 with { Kind = FigureKind.Timing }, r12, r13],
            figures.Select((f, i) => f.Named(figureNames[i])).ToList(), tables.Select((t, i) => t.Key is null ? t.Named(tableNames[i]) : t).ToList());
    }

    /// <summary>R0-12: the summary table's figures against the measurements, and the document against itself.</summary>
    static Measurement SelfConsistency(BuildRuns o, BuildRuns a)
    {
        var contradictions = DocumentContradictions();
        double epochsO = o.Epochs.Mean, epochsA = a.Epochs.Mean;
        var measured = $"Summary table against this machine: inference {Ms(o.Latency.Median)} vs {Ms(a.Latency.Median)} (claimed 100 vs 2 ms); epoch {o.SecondsPerEpoch.Mean:0.##} s vs " +
            $"{a.SecondsPerEpoch.Mean * 1e3:0} ms (claimed 1.6 s vs 32 ms); full training {o.TrainingSeconds.Mean:0.#} s in {epochsO:0.#} epochs vs {a.TrainingSeconds.Mean:0.#} s in {epochsA:0.#} " +
            $"(claimed 80 s vs 1.6 s for 50 epochs); accuracy {o.Accuracy.Mean:0.0}% vs {a.Accuracy.Mean:0.0}% (claimed 89% vs 86%). " +
            $"The document contradicts itself in {contradictions.Count} places: " + string.Join("; ", contradictions) + ".";
        return Measurement.Of("R0-12", measured,
            [
                new Quantity("contradictions", contradictions.Count, "places"),
                new Quantity("inferenceRatio", o.Latency.Median / a.Latency.Median, "x"),
                new Quantity("epochRatio", o.SecondsPerEpoch.Mean / a.SecondsPerEpoch.Mean, "x"),
                new Quantity("accuracyGap", o.Accuracy.Mean - a.Accuracy.Mean, "points"),
            ],
            evidence: "DocumentFigures (the document's numbers, each with its place) checked by arithmetic; measurements from this experiment");
    }

    /// <summary>Where document 000's figures disagree with each other, worked out from the figures themselves.</summary>
    public static IReadOnlyList<string> DocumentContradictions()
    {
        var found = new List<string>();
        void Check(bool contradicts, string what) { if (contradicts) found.Add(what); }
        static bool Differ(double x, double y, double tolerance = 0.15) => Math.Abs(x - y) > tolerance * Math.Max(Math.Abs(x), Math.Abs(y));
        Check(Differ(DocumentFigures.OriginalLatencyDiagramMs, DocumentFigures.OriginalLatencySummaryMs),
            $"Original latency per batch is {DocumentFigures.OriginalLatencyDiagramMs} ms in the diagram and {DocumentFigures.OriginalLatencySummaryMs} ms in the summary and deployment tables");
        Check(Differ(DocumentFigures.AlternativeLatencyDiagramMs, DocumentFigures.AlternativeLatencySummaryMs),
            $"Alternative latency is {DocumentFigures.AlternativeLatencyDiagramMs} ms in the diagram and {DocumentFigures.AlternativeLatencySummaryMs} ms in the summary");
        Check(DocumentFigures.OriginalLatencyDiagramMs > 2 * DocumentFigures.OriginalForwardMs,
            $"the Original's inference latency ({DocumentFigures.OriginalLatencyDiagramMs}-{DocumentFigures.OriginalLatencySummaryMs} ms) is over 3x its own training forward pass ({DocumentFigures.OriginalForwardMs} ms) on the same batch");
        Check(Differ(DocumentFigures.OriginalEpochSecondsConvergence, DocumentFigures.OriginalEpochSecondsSummary),
            $"an Original epoch takes ~{DocumentFigures.OriginalEpochSecondsConvergence} s in the convergence section and {DocumentFigures.OriginalEpochSecondsSummary} s in the summary ({Fmt(DocumentFigures.OriginalEpochSecondsConvergence / DocumentFigures.OriginalEpochSecondsSummary)}x apart)");
        Check(Differ(DocumentFigures.OriginalTotalMinutesConvergence * 60, DocumentFigures.OriginalFullTrainingSecondsSummary),
            $"50 Original epochs take ~{DocumentFigures.OriginalTotalMinutesConvergence} min in the convergence section and {DocumentFigures.OriginalFullTrainingSecondsSummary} s in the summary");
        double fiftyAlt = DocumentFigures.DocumentedEpochs * DocumentFigures.AlternativeEpochMsConvergence / 1e3;
        Check(Differ(DocumentFigures.AlternativeTotalSecondsConvergence, fiftyAlt),
            $"50 Alternative epochs take ~{DocumentFigures.AlternativeTotalSecondsConvergence} s, but 50 x its {DocumentFigures.AlternativeEpochMsConvergence} ms per epoch is {fiftyAlt:0.0} s (the summary's figure)");
        double earlyAlt = DocumentFigures.AlternativeEarlyStopEpoch * DocumentFigures.AlternativeEpochMsConvergence / 1e3;
        Check(Differ(DocumentFigures.AlternativeEarlyStopSeconds, earlyAlt),
            $"early stopping at epoch {DocumentFigures.AlternativeEarlyStopEpoch} takes ~{DocumentFigures.AlternativeEarlyStopSeconds} s, but {DocumentFigures.AlternativeEarlyStopEpoch} x {DocumentFigures.AlternativeEpochMsConvergence} ms is {earlyAlt:0.00} s");
        double componentSum = DocumentFigures.Components.Sum(c => c.Original);
        Check(Differ(componentSum, DocumentFigures.OriginalParameters, 0.05),
            $"the Original's components sum to {componentSum / 1e3:0}K parameters (the memory section's 'total weights: 710K'), not the stated ~850K total");
        Check(DocumentFigures.DriftLayersDiagram != DocumentFigures.DriftLayersFlopSection,
            $"the drift network has {DocumentFigures.DriftLayersDiagram} layers in the diagram and {DocumentFigures.DriftLayersFlopSection} in the FLOP count");
        Check(DocumentFigures.OdeStepsDiagram != DocumentFigures.OdeStepsTimeline,
            $"the ODE solver takes n_steps = seq_len = {DocumentFigures.OdeStepsDiagram} steps in the diagram (with seq_len {DocumentFigures.SequenceLength} elsewhere) and {DocumentFigures.OdeStepsTimeline} steps in the FLOP count and timeline");
        double percents = DocumentFigures.AlternativeTimelinePercents.Sum();
        Check(Math.Abs(percents - 100) > 1, $"the Alternative's timeline percentages add up to {percents:0}%, not 100%");
        Check(DocumentFigures.FrontierOriginalAccuracy != DocumentFigures.OriginalAccuracy || DocumentFigures.FrontierAlternativeAccuracy != DocumentFigures.AlternativeAccuracy,
            $"accuracy is {DocumentFigures.OriginalAccuracy}% vs {DocumentFigures.AlternativeAccuracy}% in the text and tables but {DocumentFigures.FrontierOriginalAccuracy}% vs {DocumentFigures.FrontierAlternativeAccuracy}% in the frontier figure");
        double ratio = DocumentFigures.OriginalTotalBytes / DocumentFigures.AlternativeTotalBytes;
        Check(Differ(ratio, DocumentFigures.MemoryRatioConclusion, 0.05),
            $"memory is '5.7x less' in the deployment table and conclusion but {DocumentFigures.OriginalTotalBytes / 1e6} / {DocumentFigures.AlternativeTotalBytes / 1e6} MB = {Fmt(ratio)}x by its own totals");
        return found;
    }

    static Measurement Continual(BuildRuns o, BuildRuns u, BuildRuns a, Sizes plan)
    {
        string Describe(BuildRuns r)
        {
            var first = r.Runs[0].Continual;
            return $"{Short(r.Build)} with its {r.Memory}: forgetting on the pre-drift test set {r.Forgetting.ToString("0.0")} points, post-drift accuracy change {r.PostDriftChange.ToString("0.0")} points, " +
                   $"online accuracy {100 * first.OnlineAccuracyBeforeDrift:0.0}% before / {100 * first.OnlineAccuracyAfterDrift:0.0}% after the drift (first seed), {first.Updates} updates";
        }
        double moved = new[] { o, u, a }.SelectMany(r => r.Runs).Max(s => Math.Abs(s.Continual.PreDriftAfter.Accuracy - s.Continual.PreDriftBefore.Accuracy)) * 100;
        var measured = $"Continual phase (upstream's: one stream sample at a time, 16 replayed, plain SGD at 1e-4, {plan.Stream} samples, class prior drifting from balanced to 40/30/20/10 at sample {plan.Stream / 2}): " +
            string.Join("; ", new[] { o, u, a }.Select(Describe)) + $". Largest change of pre-drift test accuracy in any run: {moved:0.0} points.";
        Quantity Figure(string name, SeedSummary x, string unit) => new(name, x.Mean, unit, x.Count > 1 ? new MeasuredInterval(x.Min, x.Max) : null, Samples: x.Count, Design: Sampling.Independent);
        return Measurement.Of("R0-13", measured,
            [
                Figure("priorityReplayForgetting", o.Forgetting, "points"), Figure("circularBufferForgetting", a.Forgetting, "points"),
                Figure("priorityReplayPostDriftChange", o.PostDriftChange, "points"), Figure("circularBufferPostDriftChange", a.PostDriftChange, "points"),
            ],
            reason: "The drift of both upstream datasets moves only the class prior, and upstream's update is small, so little can be forgotten either way; the document gives no figure for this comparison.",
            evidence: "ContinualLearning.Run with each build's own replay memory (IRaccoonModel.Replay), over seeds",
            traces: [.. o.Traces, .. a.Traces]);
    }

    static Table ContinualTable(IReadOnlyList<BuildRuns> results) => new("Continual phase under concept drift (mean +- sd over seeds; accuracies in %)",
        ["build", "replay memory", "pre-drift test: before", "after", "forgetting (points)", "post-drift test: before", "after", "online before drift", "online after drift", "updates (first seed)"],
        results.Select(r => (IReadOnlyList<string>)[Label(r.Build), r.Memory,
            SeedSummary.Of(r.Runs.Select(s => 100 * s.Continual.PreDriftBefore.Accuracy)).ToString("0.0"),
            SeedSummary.Of(r.Runs.Select(s => 100 * s.Continual.PreDriftAfter.Accuracy)).ToString("0.0"),
            r.Forgetting.ToString("0.0"),
            SeedSummary.Of(r.Runs.Select(s => 100 * s.Continual.PostDriftBefore!.Accuracy)).ToString("0.0"),
            SeedSummary.Of(r.Runs.Select(s => 100 * s.Continual.PostDriftAfter!.Accuracy)).ToString("0.0"),
            SeedSummary.Of(r.Runs.Select(s => 100 * (s.Continual.OnlineAccuracyBeforeDrift ?? double.NaN))).ToString("0.0"),
            SeedSummary.Of(r.Runs.Select(s => 100 * (s.Continual.OnlineAccuracyAfterDrift ?? double.NaN))).ToString("0.0"),
            r.Runs[0].Continual.Updates.ToString(CultureInfo.InvariantCulture)]).ToList());

    static Table SummaryTable(BuildRuns o, BuildRuns a) => new("The document's summary table beside the measurements (Original as documented vs Alternative)",
        ["metric", "document: Original", "measured: Original", "document: Alternative", "measured: Alternative", "where the document says otherwise"],
    [
        ["inference latency per batch", "100 ms", Ms(o.Latency.Median), "2 ms", Ms(a.Latency.Median), "diagrams: 80 ms and 1.6 ms"],
        ["training epoch", "1.6 s", $"{o.SecondsPerEpoch.Mean:0.##} s", "32 ms", $"{a.SecondsPerEpoch.Mean * 1e3:0} ms", "convergence section: ~80 s per Original epoch"],
        ["full training", "80 s", $"{o.TrainingSeconds.Mean:0.#} s ({o.Epochs.Mean:0.#} epochs)", "1.6 s", $"{a.TrainingSeconds.Mean:0.#} s ({a.Epochs.Mean:0.#} epochs)", "convergence section: ~67 min and ~26 s for 50 epochs"],
        ["test accuracy", "89%", $"{o.Accuracy.Mean:0.0}%", "86%", $"{a.Accuracy.Mean:0.0}%", "frontier figure: 92% and 88%"],
    ]);
}
