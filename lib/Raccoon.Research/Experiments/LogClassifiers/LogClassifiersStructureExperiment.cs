using System.Globalization;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Models.LogClassifiers;
using static Raccoon.Research.Experiments.LogClassifiers.LogClassifiersBuilds;

namespace Raccoon.Research.Experiments.LogClassifiers;

/// <summary>
/// R0-01 and R0-10: what the builds are made of. Parameters per component of the three builds (each as its
/// source configures it), and lines of code and cyclomatic complexity of this project's own component files
/// for each build, grouped the way the document's code table groups them. No training, no timing.
/// </summary>
public sealed class LogClassifiersStructureExperiment : IExperiment
{
    public string Name => "log-classifiers-structure";
    public string Title => "Raccoon builds: parameters per component and code size";
    public IReadOnlyList<string> Claims => ["R0-01", "R0-10"];

    public ExperimentResult Run(ExperimentContext context)
    {
        context.Report(Name, "counting parameters");
        var (r001, paramTables, paramFigures, finding01) = Parameters();
        context.Report(Name, "measuring code", 0.5);
        var (r010, codeTables, codeFigures) = Code();
        return new ExperimentResult([r001, r010], [.. paramFigures, .. codeFigures], [.. paramTables, .. codeTables, Findings.Of(("R0-01", finding01))]);
    }

    static (Measurement, List<Table>, List<Figure>, string) Parameters()
    {
        var models = All.ToDictionary(b => b, b => CreateAsPublished(b));
        try
        {
            var totals = models.ToDictionary(kv => kv.Key, kv => Measurements.Parameters.Total(kv.Value.Module));
            var byComponent = models.ToDictionary(kv => kv.Key, kv => kv.Value.Components.ToDictionary(c => c.Name, c => c.Parameters));
            string[] components = [RaccoonStage.Embedding, RaccoonStage.Encoder, RaccoonStage.Projection, RaccoonStage.Dynamics, RaccoonStage.Flow, RaccoonStage.Head, RaccoonStage.Prior];
            long Get(RaccoonBuild b, string c) => byComponent[b].GetValueOrDefault(c);
            double DocOf(string c, bool original) => DocumentFigures.Components.FirstOrDefault(x => x.Component == c) is var d && d.Component is null ? 0 : original ? d.Original : d.Alternative;

            var rows = components.Select(c => (IReadOnlyList<string>)
            [
                c, Count((long)DocOf(c, true)), Count(Get(RaccoonBuild.DocumentedOriginal, c)), Count(Get(RaccoonBuild.UpstreamOriginal, c)),
                Count((long)DocOf(c, false)), Count(Get(RaccoonBuild.Alternative, c)),
            ]).ToList();
            rows.Add(["total", Count((long)DocumentFigures.OriginalParameters), Count(totals[RaccoonBuild.DocumentedOriginal]), Count(totals[RaccoonBuild.UpstreamOriginal]),
                Count((long)DocumentFigures.AlternativeParameters), Count(totals[RaccoonBuild.Alternative])]);
            var table = new Table("Parameters per component: the document's figures and the three builds (each as its source configures it)",
                ["component", "document: Original", "built: Original (as documented)", "built: Original (upstream RaccoonLogClassifier)", "document: Alternative", "built: Alternative (upstream SimpleRaccoon)"], rows);

            double ratioDoc = (double)totals[RaccoonBuild.DocumentedOriginal] / totals[RaccoonBuild.Alternative];
            double ratioUpstream = (double)totals[RaccoonBuild.UpstreamOriginal] / totals[RaccoonBuild.Alternative];
            var documented = (DocumentedOriginalRaccoon)models[RaccoonBuild.DocumentedOriginal];
            long perBlock = documented.Encoder.Blocks[0].parameters().Sum(p => p.numel());
            var measured = $"Built as the document draws it, the Original has {Count(totals[RaccoonBuild.DocumentedOriginal])} parameters " +
                $"(embedding {Count(Get(RaccoonBuild.DocumentedOriginal, "embedding"))}, 4 transformer blocks {Count(Get(RaccoonBuild.DocumentedOriginal, "encoder"))} = {Count(perBlock)} each, " +
                $"projection {Count(Get(RaccoonBuild.DocumentedOriginal, "projection"))}, 11-layer drift net {Count(Get(RaccoonBuild.DocumentedOriginal, "dynamics"))}, " +
                $"4 couplings {Count(Get(RaccoonBuild.DocumentedOriginal, "flow"))}, head {Count(Get(RaccoonBuild.DocumentedOriginal, "head"))}); " +
                $"upstream's RaccoonLogClassifier has {Count(totals[RaccoonBuild.UpstreamOriginal])}; the Alternative (upstream SimpleRaccoon) has {Count(totals[RaccoonBuild.Alternative])} " +
                $"(embedding {Count(Get(RaccoonBuild.Alternative, "embedding"))}, CNN {Count(Get(RaccoonBuild.Alternative, "encoder"))}, OU {Get(RaccoonBuild.Alternative, "dynamics")}, " +
                $"affine flows {Get(RaccoonBuild.Alternative, "flow")}, head {Count(Get(RaccoonBuild.Alternative, "head"))}). " +
                $"Ratio compared: documented Original / Alternative = {Fmt(ratioDoc)}x; upstream Original / Alternative = {Fmt(ratioUpstream)}x (claimed 31x from ~850K / ~27K).";
            var m = Measurement.PerBuild("R0-01", measured,
                [
                    new BuildMeasurement("upstream Original", $"{Fmt(ratioUpstream)}x ({Count(totals[RaccoonBuild.UpstreamOriginal])} / {Count(totals[RaccoonBuild.Alternative])})", ratioUpstream, Upstream: true),
                    new BuildMeasurement("documented Original", $"{Fmt(ratioDoc)}x ({Count(totals[RaccoonBuild.DocumentedOriginal])} / {Count(totals[RaccoonBuild.Alternative])})", ratioDoc),
                ],
                evidence: "Parameters.Total and per-component counts of the built modules",
                reason: "Each Original over upstream's SimpleRaccoon: the upstream RaccoonLogClassifier (the code the document describes, the headline) and the document's own Original " +
                        "(built from its diagram, choices listed in the notebook). The document's component sums (15K + 8K + 2 + 256 + 4K ~ 27K) do not survive building: a 15K embedding " +
                        "needs ~470 symbols at width 32, and the task has 40-43.");

            var tables = new List<Table> { table.Named("parameters") };
            tables.AddRange(models.Select(kv => Measurements.Parameters.Count(kv.Value.Module, Short(kv.Key)).ToTable(2, $"Parameter tree of {Label(kv.Key)} (depth 2)").Named("parameter-tree-" + Kind(kv.Key))));
            string[] shown = [RaccoonStage.Embedding, RaccoonStage.Encoder, RaccoonStage.Projection, RaccoonStage.Dynamics, RaccoonStage.Flow, RaccoonStage.Head];
            var figure = Charts.Bars("Parameters per component (log scale): the document's figures and the builds", "parameters", true, shown,
                ("document: Original", shown.Select(c => Math.Max(DocOf(c, true), 0.5)).ToList()),
                (Short(RaccoonBuild.DocumentedOriginal), shown.Select(c => Math.Max(Get(RaccoonBuild.DocumentedOriginal, c), 0.5)).ToList()),
                (Short(RaccoonBuild.UpstreamOriginal), shown.Select(c => Math.Max(Get(RaccoonBuild.UpstreamOriginal, c), 0.5)).ToList()),
                ("document: Alternative", shown.Select(c => Math.Max(DocOf(c, false), 0.5)).ToList()),
                (Short(RaccoonBuild.Alternative), shown.Select(c => Math.Max(Get(RaccoonBuild.Alternative, c), 0.5)).ToList()));
            string finding = $"The document's component figures do not come from a buildable model: built, the documented Original's embedding holds {Count(Get(RaccoonBuild.DocumentedOriginal, "embedding"))} " +
                $"parameters (a 15K embedding at width 32 needs about 470 symbols), each transformer block {Count(perBlock)} (the document: ~60K) and the 11-layer drift net " +
                $"{Count(Get(RaccoonBuild.DocumentedOriginal, "dynamics"))} (the document: 350K). The documented Original totals {Count(totals[RaccoonBuild.DocumentedOriginal])} and the upstream Original " +
                $"{Count(totals[RaccoonBuild.UpstreamOriginal])} against the Alternative's {Count(totals[RaccoonBuild.Alternative])}: {Fmt(ratioDoc)}x for the document's own drawing and " +
                $"{Fmt(ratioUpstream)}x for the model the document stands for, against the claimed 31x.";
            return (m, tables, [figure.Named("parameters")], finding);
        }
        finally
        {
            foreach (var model in models.Values) model.Module.Dispose();
        }
    }

    /// <summary>This project's source files behind each of the document's code modules, per build (shared files count for every build that uses them).</summary>
    public static IReadOnlyList<(string Module, string[] Original, string[] Upstream, string[] Alternative)> CodeModules { get; } =
    [
        ("Encoder", ["Blocks/Encoders/TransformerEncoder.cs", "Blocks/Attention/SelfAttention.cs", "Blocks/Embeddings/SinusoidalPositionalEncoding.cs"],
            ["Blocks/Encoders/MeanPooledMlpEncoder.cs"], ["Blocks/Encoders/ConvEncoder1d.cs"]),
        ("SDE/Dynamics", ["Blocks/Sde/NeuralOdeDrift.cs", "Blocks/Sde/Euler.cs"],
            ["Blocks/Sde/NeuralSdeDynamics.cs", "Blocks/Sde/EulerMaruyama.cs", "Blocks/Sde/ISdeDynamics.cs"],
            ["Blocks/Sde/OrnsteinUhlenbeck.cs", "Blocks/Sde/EulerMaruyama.cs", "Blocks/Sde/ISdeDynamics.cs"]),
        ("Flow Layers", ["Blocks/Flows/AffineCoupling.cs", "Blocks/Flows/TimeConditionedCouplingFlow.cs", "Blocks/Embeddings/MultiFrequencyTimeEmbedding.cs", "Blocks/Flows/FlowSequence.cs", "Blocks/Flows/Flow.cs"],
            ["Blocks/Flows/AffineCoupling.cs", "Blocks/Flows/TimeConditionedCouplingFlow.cs", "Blocks/Embeddings/MultiFrequencyTimeEmbedding.cs", "Blocks/Flows/FlowSequence.cs", "Blocks/Flows/Flow.cs"],
            ["Blocks/Flows/DiagonalAffine.cs", "Blocks/Flows/FlowSequence.cs", "Blocks/Flows/Flow.cs"]),
        ("Classifier", ["Blocks/Heads/MlpHead.cs"], ["Blocks/Heads/MlpHead.cs"], ["Blocks/Heads/MlpHead.cs"]),
        ("Objective terms", ["Blocks/Statistics/SlicedEppsPulley.cs", "Blocks/Statistics/EppsPulley.cs"],
            ["Blocks/Statistics/SlicedEppsPulley.cs", "Blocks/Statistics/EppsPulley.cs", "Blocks/Statistics/LearnableGaussianPrior.cs"], []),
        ("Memory", ["Blocks/Memory/PriorityReplayMemory.cs", "Models/LogClassifiers/ReplayMemories.cs"],
            ["Blocks/Memory/PriorityReplayMemory.cs", "Models/LogClassifiers/ReplayMemories.cs"],
            ["Blocks/Memory/CircularReplayBuffer.cs", "Models/LogClassifiers/ReplayMemories.cs"]),
        ("Main model", ["Models/LogClassifiers/DocumentedOriginalRaccoon.cs"], ["Models/LogClassifiers/RaccoonLogClassifier.cs"], ["Models/LogClassifiers/SimpleRaccoonModel.cs"]),
        ("Training loop", ["Training/Trainer.cs", "Training/ContinualLearning.cs"], ["Training/Trainer.cs", "Training/ContinualLearning.cs"], ["Training/Trainer.cs", "Training/ContinualLearning.cs"]),
    ];

    /// <summary>The module of <see cref="CodeModules"/> each row of the document's complexity table is about.</summary>
    static readonly Dictionary<string, string> ComplexityModule = new()
    {
        ["Encoder"] = "Encoder", ["SDE forward"] = "SDE/Dynamics", ["Flow forward"] = "Flow Layers", ["Training step"] = "Training loop",
    };

    static (Measurement, List<Table>, List<Figure>) Code()
    {
        string root = Path.Combine(RepositoryFolder.Root, "lib", "Raccoon.Research");
        CodeSummary Summary(string module, string[] files)
        {
            if (files.Length == 0) return new CodeSummary(module, 0, 0, 0, double.NaN, 0, 0);
            var paths = files.Select(f => Path.Combine(root, f)).ToList();
            var missing = paths.Where(p => !File.Exists(p)).ToList();
            if (missing.Count > 0) throw new FileNotFoundException($"R0-10 measures this project's sources, but {string.Join(", ", missing)} is missing");
            return CodeMetrics.Summarise(module, CodeMetrics.OfFiles(paths));
        }
        var summaries = CodeModules.Select(m => (m.Module, Original: Summary(m.Module, m.Original), Upstream: Summary(m.Module, m.Upstream), Alternative: Summary(m.Module, m.Alternative))).ToList();
        int Total(Func<(string Module, CodeSummary Original, CodeSummary Upstream, CodeSummary Alternative), CodeSummary> pick) => summaries.Sum(s => pick(s).CodeLines);
        int totalOriginal = Total(s => s.Original), totalUpstream = Total(s => s.Upstream), totalAlternative = Total(s => s.Alternative);
        string Mean(CodeSummary s) => double.IsNaN(s.MeanComplexity) ? "-" : s.MeanComplexity.ToString("0.0", CultureInfo.InvariantCulture);
        double Doc(string module, bool original) => DocumentFigures.Lines.FirstOrDefault(l => l.Module == module) is var d && d.Module is null ? double.NaN : original ? d.Original : d.Alternative;
        string DocCell(double x) => double.IsNaN(x) ? "-" : x.ToString("0", CultureInfo.InvariantCulture);

        var lines = new Table("Lines of code per module (this project's C#: lines holding a token; shared files count for every build that uses them)",
            ["module", "document: Original", "Original (as documented)", "Original (upstream)", "document: Alternative", "Alternative", "files (Original / Alternative)"],
            summaries.Select(s => (IReadOnlyList<string>)[s.Module, DocCell(Doc(s.Module, true)), s.Original.CodeLines.ToString(CultureInfo.InvariantCulture), s.Upstream.CodeLines.ToString(CultureInfo.InvariantCulture),
                DocCell(Doc(s.Module, false)), s.Alternative.CodeLines.ToString(CultureInfo.InvariantCulture),
                string.Join(" ", CodeModules.First(m => m.Module == s.Module).Original.Select(Path.GetFileNameWithoutExtension)) + " / " +
                string.Join(" ", CodeModules.First(m => m.Module == s.Module).Alternative.Select(Path.GetFileNameWithoutExtension))]).Append(
                ["total", "850", totalOriginal.ToString(CultureInfo.InvariantCulture), totalUpstream.ToString(CultureInfo.InvariantCulture), "570", totalAlternative.ToString(CultureInfo.InvariantCulture), ""]).ToList());
        var complexity = new Table("Cyclomatic complexity per method (mean / max) per module; the document's table gives a mean per method",
            ["module", "document: Original", "Original (as documented)", "Original (upstream)", "document: Alternative", "Alternative"],
            summaries.Select(s =>
            {
                var doc = DocumentFigures.Complexity.FirstOrDefault(c => ComplexityModule[c.Component] == s.Module);
                return (IReadOnlyList<string>)[s.Module, doc.Component is null ? "-" : doc.Original.ToString("0", CultureInfo.InvariantCulture),
                    $"{Mean(s.Original)} / {s.Original.MaxComplexity}", $"{Mean(s.Upstream)} / {s.Upstream.MaxComplexity}",
                    doc.Component is null ? "-" : doc.Alternative.ToString("0", CultureInfo.InvariantCulture), $"{Mean(s.Alternative)} / {s.Alternative.MaxComplexity}"];
            }).ToList());
        var modules = summaries.Select(s => s.Module).ToList();
        var figure = Charts.Bars("Lines of code per module: the document's table and this project's builds", "lines of code", false, modules,
            ("document: Original", modules.Select(m => Doc(m, true) is var x && double.IsNaN(x) ? 0 : x).ToList()),
            (Short(RaccoonBuild.DocumentedOriginal), summaries.Select(s => (double)s.Original.CodeLines).ToList()),
            (Short(RaccoonBuild.UpstreamOriginal), summaries.Select(s => (double)s.Upstream.CodeLines).ToList()),
            ("document: Alternative", modules.Select(m => Doc(m, false) is var x && double.IsNaN(x) ? 0 : x).ToList()),
            (Short(RaccoonBuild.Alternative), summaries.Select(s => (double)s.Alternative.CodeLines).ToList()));

        double ratio = (double)totalOriginal / totalAlternative;
        var enc = summaries.First(s => s.Module == "Encoder");
        var flow = summaries.First(s => s.Module == "Flow Layers");
        var measured = $"This project's files behind each build: Original (as documented) {totalOriginal} lines, upstream Original {totalUpstream}, Alternative {totalAlternative} " +
            $"(ratio Original / Alternative {Fmt(ratio)}x; claimed 850 / 570 = 1.49x). Encoder {enc.Original.CodeLines} vs {enc.Alternative.CodeLines} lines, " +
            $"flow {flow.Original.CodeLines} vs {flow.Alternative.CodeLines}; mean complexity per method: encoder {Mean(enc.Original)} vs {Mean(enc.Alternative)}, flow {Mean(flow.Original)} vs {Mean(flow.Alternative)}. " +
            "Head, memory step and training loop are the same shared code for every build here.";
        double ratioUpstream = (double)totalUpstream / totalAlternative;
        var m = Measurement.PerBuild("R0-10", measured,
            [
                new BuildMeasurement("upstream Original", $"{Fmt(ratioUpstream)}x ({totalUpstream} / {totalAlternative} lines)", ratioUpstream, Upstream: true),
                new BuildMeasurement("documented Original", $"{Fmt(ratio)}x ({totalOriginal} / {totalAlternative} lines)", ratio),
            ],
            evidence: "CodeMetrics (Roslyn) over this project's component files",
            reason: "Measured on this project's own C# builds, not on upstream's Python: the document's line counts describe code this project does not have. " +
                    "Shared blocks (head, trainer, replay step) count for both builds.");
        return (m, [lines.Named("lines"), complexity.Named("complexity")], [figure.Named("lines")]);
    }
}
