using System.Globalization;
using Raccoon.Research.Data.Text;
using Raccoon.Research.Ledger;
using Raccoon.Research.Models.LanguageModels;
using Raccoon.Research.Views;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.LanguageModels;

/// <summary>
/// H4-07, H4-08 and the leak: trains RustGPT's Transformer, its HyperMixer (token mixing that sees
/// the future) and the causal HyperMixer on the project's corpus over seeds; compares the loss
/// training reports (teacher-forced) with the loss of generation (one prefix at a time) on held-out
/// examples; greedy samples; and the parameter cuts the document proposes (a smaller hypernetwork, a
/// narrower token mixing, one hypernetwork shared by the blocks), with their loss.
/// </summary>
public sealed class LanguageModelsTrainingExperiment : IExperiment
{
    public string Name => "language-models-training";
    public string Title => "RustGPT Transformer vs HyperMixer: training, generation and the token-mixing leak";
    public IReadOnlyList<string> Claims => ["H4-07", "H4-08"];

    public static readonly string[] Prompts =
        ["User: Where does the otter live?", "User: What does the heron eat?", "User: What can the beaver do?", "The fox"];

    public enum Kind { Transformer, HyperMixer, CausalHyperMixer }

    /// <summary>Sizes per profile: seeds per architecture, Adam steps of every run (batch 16), how often the loss is
    /// logged and how many held-out examples are evaluated. Standard steps went 200 -> 150 (seeds kept at 2): the 12
    /// runs took 218 s, about 180 s of it training steps.</summary>
    /// <remarks><paramref name="EvaluateEvery"/>: steps between evaluations of the held-out slice (null: ten over the run); each run
    /// stops at the first evaluation where the plateau tests of H4-07 and H4-08 pass, else at <paramref name="Steps"/>.</remarks>
    public sealed record Sizes(int Seeds, int Steps, int LogEvery, int EvaluateOn, int? EvaluateEvery = null);

    /// <summary>Reference: standard's corpus, models and seeds, trained to the plateau of H4-07/H4-08 (held-out loss
    /// within 2% over the last 3 evaluations, at least 6) with the held-out slice evaluated every 50 steps and a cap of
    /// 3,000 steps: twice the full profile's 1,500 and 20 times standard's 150, where no run had reached the plateau.</summary>
    public object? SizesAt(Profile profile) => Profiles.For(profile);

    public static ProfileSizes<Sizes> Profiles { get; } = new(
        Quick: new(Seeds: 1, Steps: 40, LogEvery: 5, EvaluateOn: 40),
        Standard: new(Seeds: 2, Steps: 150, LogEvery: 20, EvaluateOn: 100),
        Full: new(Seeds: 5, Steps: 1500, LogEvery: 50, EvaluateOn: 200),
        Reference: new(Seeds: 2, Steps: 3000, LogEvery: 50, EvaluateOn: 100, EvaluateEvery: 50));

    /// <summary>The parameter cuts the document proposes, each trained with causal mixing for one seed after the architectures' runs.</summary>
    public static IReadOnlyList<(string Name, LanguageModelConfig Config)> ParameterCuts(LanguageModelConfig config) =>
    [
        ("hypernetwork hidden 32 -> 8", config with { HyperHidden = 8 }),
        ("token-mixing width 64 -> 32", config with { MixHidden = 32 }),
        ("one hypernetwork shared by the 3 blocks", config with { ShareHypernetwork = true }),
    ];

    /// <summary>One run's training options at <paramref name="sizes"/>.</summary>
    public static TrainingOptions OptionsFor(Sizes sizes) =>
        new(sizes.Steps, BatchSize: 16, LearningRate: 1e-3, LogEvery: sizes.LogEvery, EvaluateOn: sizes.EvaluateOn, EvaluateEvery: sizes.EvaluateEvery);

    public ExperimentResult Run(ExperimentContext context)
    {
        var corpus = TextCorpus.Meadow();
        var config = LanguageModelConfig.Document with { VocabularySize = corpus.Vocabulary.Size };
        var sizes = Profiles.For(context.Profile);
        int seeds = sizes.Seeds, steps = sizes.Steps;
        var options = OptionsFor(sizes) with { StopAt = context.StopFor([.. Claims]) };
        double unigram = UnigramEntropy(corpus);

        var runs = new Dictionary<Kind, List<TrainingRun>>();
        var samples = new List<IReadOnlyList<string>>();
        var kinds = Enum.GetValues<Kind>();
        int job = 0, jobs = kinds.Length * seeds + 3;
        foreach (var kind in kinds)
        {
            runs[kind] = [];
            for (int s = 0; s < seeds; s++)
            {
                var (model, run) = TrainModel(context, KindUnit(kind, s), job++, jobs);
                using var _ = model;
                runs[kind].Add(run);
                if (s == 0)
                    foreach (var prompt in Prompts)
                    {
                        var ids = corpus.Vocabulary.Encode(prompt);
                        var output = NextToken.Greedy(model, ids, corpus.Vocabulary.EndToken, maxNewTokens: 30);
                        samples.Add([model.Architecture, prompt, corpus.Vocabulary.Decode(output)]);
                    }
            }
        }

        // The document's proposed cuts, trained with causal mixing (the variant that can generate), one seed.
        var cuts = ParameterCuts(config);
        var baseline = runs[Kind.CausalHyperMixer][0];
        var cutRows = new List<(string Name, long DocParams, long CorpusParams, TrainingRun Run)>();
        foreach (var ((name, cutConfig), i) in cuts.Select((c, i) => (c, i)))
        {
            using var docModel = new HyperMixerLanguageModel(cutConfig with { VocabularySize = 533 }, HyperMixerVariant.Causal);
            var (model, run) = TrainModel(context, CutUnits[i], job++, jobs);
            using var _ = model;
            cutRows.Add((name, docModel.ParameterCount, model.ParameterCount, run));
        }

        // H4-07
        long fullDoc = 1_386_917;
        using (var fullDocModel = new HyperMixerLanguageModel(LanguageModelConfig.Document)) fullDoc = fullDocModel.ParameterCount;
        var h407 = Measurement.Of("H4-07",
            $"Parameters at V = 533, n = 80 (full HyperMixer {fullDoc:N0}): " +
            string.Join("; ", cutRows.Select(c => $"{c.Name}: {c.DocParams:N0} ({100.0 * (fullDoc - c.DocParams) / fullDoc:0}% fewer), held-out generation loss {c.Run.HeldOut.Generation:0.000}")) +
            $"; against {baseline.HeldOut.Generation:0.000} for the full causal HyperMixer (same seed, at most {steps} steps, corpus V = {corpus.Vocabulary.Size}).",
            [
                new Quantity("largestCutParameterRatio", cutRows.Max(c => (double)c.DocParams / fullDoc), "x (cut / full parameters, the cut that keeps the most)"),
                new Quantity("worstCutLossRatio", cutRows.Max(c => c.Run.HeldOut.Generation / baseline.HeldOut.Generation), "x (cut / full held-out generation loss, the worst cut)"),
            ],
            evidence: "parameter counts of the built models; causal HyperMixers trained on the meadow corpus",
            traces: [Trace(baseline, "full causal HyperMixer"), .. cutRows.Select(c => Trace(c.Run, c.Name))]);

        // H4-08 and the leak
        string Summary(Kind k)
        {
            var r = runs[k];
            return $"{r[0].Architecture}: training loss over the last quarter {Mean(r, FinalLoss):0.000}, held-out teacher-forced {Mean(r, x => x.HeldOut.TeacherForced):0.000}, " +
                   $"held-out generation {Mean(r, x => x.HeldOut.Generation):0.000} nats/token";
        }
        var leak = runs[Kind.HyperMixer];
        // Per architecture: the worst seed's drop of its training loss (last quarter over the first point) and its
        // held-out generation loss over the unigram baseline's.
        Quantity Drop(Kind k, string name) => new(name, runs[k].Max(r => FinalLoss(r) / r.Curve[0].Loss), "x (final / first training loss, worst seed)");
        Quantity OverUnigram(Kind k, string name) => new(name, runs[k].Max(r => r.HeldOut.Generation) / unigram, "x (held-out generation loss / unigram baseline, worst seed)");
        var h408 = Measurement.Of("H4-08",
            $"{seeds} seed(s) x at most {steps} steps of Adam (lr 1e-3, batch 16) on the meadow corpus, evaluated on {options.EvaluateOn} held-out examples. {Summary(Kind.Transformer)}. {Summary(Kind.HyperMixer)}. {Summary(Kind.CausalHyperMixer)}. " +
            $"Unigram baseline {unigram:0.000}. The upstream HyperMixer's token mixing reads the next token, so its training loss ({Mean(leak, x => x.HeldOut.TeacherForced):0.000} held-out) " +
            $"is not the loss it achieves when it generates ({Mean(leak, x => x.HeldOut.Generation):0.000}); the causal variant's two losses agree.",
            [
                Drop(Kind.Transformer, "transformerLossDrop"), Drop(Kind.HyperMixer, "hyperMixerLossDrop"),
                OverUnigram(Kind.Transformer, "transformerGenerationOverUnigram"), OverUnigram(Kind.HyperMixer, "hyperMixerGenerationOverUnigram"),
            ],
            evidence: "LanguageModelTrainer runs; NextToken.PrefixLoss for generation; greedy samples in the table",
            traces: [.. runs[Kind.Transformer].Select((r, i) => Trace(r, $"Transformer seed {context.Seed + i}")), .. runs[Kind.HyperMixer].Select((r, i) => Trace(r, $"HyperMixer seed {context.Seed + i}"))]);

        var kindsList = kinds.ToList();
        var curveFigure = Charts.Lines("Training loss (teacher-forced) by step, every seed", "step", "loss (nats/token)", false, true,
            runs.SelectMany(p => p.Value.Select((r, i) => ($"{r.Architecture} seed {context.Seed + i}",
                (IReadOnlyList<double>)r.Curve.Select(c => (double)c.Step).ToArray(), (IReadOnlyList<double>)r.Curve.Select(c => c.Loss).ToArray()))).ToArray());
        var lossTable = new Table("Held-out losses (nats/token): what training reports vs what generation achieves",
            ["model", "seed", "parameters", "training loss (last quarter)", "held-out teacher-forced", "held-out generation (prefix by prefix)", "seconds"],
            runs.SelectMany(p => p.Value.Select((r, i) => (IReadOnlyList<string>)[r.Architecture, (context.Seed + i).ToString(CultureInfo.InvariantCulture), r.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                FinalLoss(r).ToString("0.000", CultureInfo.InvariantCulture), r.HeldOut.TeacherForced.ToString("0.000", CultureInfo.InvariantCulture), r.HeldOut.Generation.ToString("0.000", CultureInfo.InvariantCulture), r.Seconds.ToString("0.0", CultureInfo.InvariantCulture)])).ToList());
        var cutTable = new Table("HyperMixer parameter cuts (causal mixing; one seed)",
            ["variant", "parameters (V=533, n=80)", "parameters (corpus)", "held-out teacher-forced", "held-out generation"],
            [
                ["full (hypernetwork 32, mixing 64, unshared)", fullDoc.ToString("N0", CultureInfo.InvariantCulture), baseline.Parameters.ToString("N0", CultureInfo.InvariantCulture), baseline.HeldOut.TeacherForced.ToString("0.000", CultureInfo.InvariantCulture), baseline.HeldOut.Generation.ToString("0.000", CultureInfo.InvariantCulture)],
                .. cutRows.Select(c => (IReadOnlyList<string>)[c.Name, c.DocParams.ToString("N0", CultureInfo.InvariantCulture), c.CorpusParams.ToString("N0", CultureInfo.InvariantCulture), c.Run.HeldOut.TeacherForced.ToString("0.000", CultureInfo.InvariantCulture), c.Run.HeldOut.Generation.ToString("0.000", CultureInfo.InvariantCulture)]),
            ]);
        var sampleTable = new Table("Greedy generations (first seed)", ["model", "prompt", "continuation"], samples);
        return new ExperimentResult([h407, h408], [curveFigure.Named("loss-curves")],
            [lossTable.Named("losses"), sampleTable.Named("samples"), cutTable.Named("cuts")]);
    }

    public static LanguageModel Build(Kind kind, LanguageModelConfig config, int seed)
    {
        manual_seed(seed);
        return kind switch
        {
            Kind.Transformer => new TransformerLanguageModel(config),
            Kind.HyperMixer => new HyperMixerLanguageModel(config),
            _ => new HyperMixerLanguageModel(config, HyperMixerVariant.Causal),
        };
    }

    /// <summary>A parameter cut's model: causal mixing, from the run's seed.</summary>
    static HyperMixerLanguageModel BuildCut(LanguageModelConfig cutConfig, int seed)
    {
        manual_seed(seed);
        return new HyperMixerLanguageModel(cutConfig, HyperMixerVariant.Causal);
    }

    /// <summary>The units' names, their resume files': an architecture's run of seed number <paramref name="s"/> (from 0; the
    /// name counts from 1), and the parameter cuts in <see cref="ParameterCuts"/>'s order (one seed, the run's).</summary>
    public static string KindUnit(Kind kind, int s) => $"{kind}.training-seed{s + 1}";
    public static readonly IReadOnlyList<string> CutUnits = ["cut-hypernetwork-hidden8.training", "cut-mixing-width32.training", "cut-shared-hypernetwork.training"];

    public IReadOnlyList<string> TrainingUnits(Profile profile) =>
        [.. Enum.GetValues<Kind>().SelectMany(k => Enumerable.Range(0, Profiles.For(profile).Seeds).Select(s => KindUnit(k, s))), .. CutUnits];

    public void TrainUnit(ExperimentContext context, string unit) => TrainModel(context, unit).Model.Dispose();

    /// <summary>Trains the unit <paramref name="unit"/> (one of <see cref="TrainingUnits"/>) from its resume file, to its end or at
    /// once where the file holds its end, as <see cref="Run"/> trains it (job <paramref name="job"/> of <paramref name="jobs"/>
    /// for the progress line). The caller owns the model returned.</summary>
    public (LanguageModel Model, TrainingRun Run) TrainModel(ExperimentContext context, string unit, int job = 0, int jobs = 1)
    {
        // TrainingUnits' order: each architecture's seeds, then the cuts.
        int at = this.UnitIndex(context.Profile, unit);
        var corpus = TextCorpus.Meadow();
        var config = LanguageModelConfig.Document with { VocabularySize = corpus.Vocabulary.Size };
        var sizes = Profiles.For(context.Profile);
        var options = OptionsFor(sizes) with { StopAt = context.StopFor([.. Claims]) };
        var kinds = Enum.GetValues<Kind>();
        int runs = kinds.Length * sizes.Seeds, seed;
        LanguageModel model;
        string label;
        if (at >= runs)
        {
            var (name, cutConfig) = ParameterCuts(config)[at - runs];
            seed = context.Seed;
            model = BuildCut(cutConfig, seed);
            label = name;
        }
        else
        {
            seed = context.Seed + at % sizes.Seeds;
            model = Build(kinds[at / sizes.Seeds], config, seed);
            label = $"{model.Architecture} seed {seed}";
        }
        return Training.OwnedModel.Train(model, m => Train(context, m, corpus, options with { Seed = seed }, label, unit, job, jobs));
    }

    static TrainingRun Train(ExperimentContext context, LanguageModel model, TextCorpus corpus, TrainingOptions options, string label, string unit, int job, int jobs) =>
        LanguageModelTrainer.Train(model, corpus, options with { Resume = context.TrainingResume("language-models-training", unit) },
            (step, loss) => context.Report("language-models-training", $"{label}: step {step}/{options.Steps}, loss {loss:0.000}", (job + (double)step / options.Steps) / jobs),
            context.Cancel);

    /// <summary>Mean training loss over the last quarter of the logged points: batches differ in length and difficulty, one window is noisy.</summary>
    static double FinalLoss(TrainingRun r) => r.Curve.Skip(r.Curve.Count * 3 / 4).Average(c => c.Loss);

    static double Mean(IEnumerable<TrainingRun> runs, Func<TrainingRun, double> f) => runs.Average(f);

    /// <summary>Cross-entropy of predicting held-out tokens from training-set word frequencies (add-one smoothing): a model that learned no context.</summary>
    static double UnigramEntropy(TextCorpus corpus)
    {
        var counts = new double[corpus.Vocabulary.Size];
        foreach (var e in corpus.Train) foreach (var t in e.Skip(1)) counts[t]++;
        double total = counts.Sum() + counts.Length;
        double nll = 0;
        long n = 0;
        foreach (var e in corpus.HeldOut) foreach (var t in e.Skip(1)) { nll -= Math.Log((counts[t] + 1) / total); n++; }
        return nll / n;
    }

    /// <summary>A run's held-out teacher-forced loss at its evaluations, for the ledger's plateau test.</summary>
    static HeldOutTrace Trace(TrainingRun run, string name) => new(name, "held-out teacher-forced loss", false,
        (run.HeldOutCurve ?? []).Select(p => (double)p.Step).ToList(), (run.HeldOutCurve ?? []).Select(p => p.Loss).ToList(),
        run.StoppedBecause ?? $"cap of {run.Curve[^1].Step} steps");
}
