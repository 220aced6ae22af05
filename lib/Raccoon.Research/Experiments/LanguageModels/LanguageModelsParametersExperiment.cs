using System.Globalization;
using Raccoon.Research.Data.Text;
using Raccoon.Research.Ledger;
using Raccoon.Research.Models.LanguageModels;
using Raccoon.Research.Views;

namespace Raccoon.Research.Experiments.LanguageModels;

/// <summary>H4-01, H4-02: exact parameter counts and layer stacks of RustGPT's two language models.</summary>
public sealed class LanguageModelsParametersExperiment : IExperiment
{
    public string Name => "language-models-parameters";
    public string Title => "RustGPT Transformer vs HyperMixer: parameter counts and layer stacks";
    public IReadOnlyList<string> Claims => ["H4-01", "H4-02"];

    static readonly string[] DocumentTransformerStack =
        ["Embeddings", .. Enumerable.Repeat(new[] { "SelfAttention", "LayerNorm", "FeedForward", "LayerNorm" }, 3).SelectMany(s => s), "OutputProjection"];
    static readonly string[] DocumentHyperMixerStack = ["Embeddings", "HyperMixerBlock", "HyperMixerBlock", "HyperMixerBlock", "OutputProjection"];

    /// <summary>The document's two counts (its "493,973 vs 1,386,917").</summary>
    public const double DocumentTransformerParameters = 493_973, DocumentHyperMixerParameters = 1_386_917;

    public ExperimentResult Run(ExperimentContext context)
    {
        var doc = LanguageModelConfig.Document;
        int corpusV = TextCorpus.Meadow().Vocabulary.Size;
        var corpus = doc with { VocabularySize = corpusV };
        context.Report(Name, "building the document's models");
        using var t = new TransformerLanguageModel(doc);
        using var h = new HyperMixerLanguageModel(doc);
        using var tc = new TransformerLanguageModel(corpus);
        using var hc = new HyperMixerLanguageModel(corpus);

        long tn = t.ParameterCount, hn = h.ParameterCount;
        string Mb(long p) => $"{p * 4 / 1e6:0.00} MB ({p * 4 / 1024.0:#,0} KiB)";
        var countText = $"Transformer {tn:N0}, HyperMixer {hn:N0} ({(double)hn / tn:0.00}x) at V = 533, n = 80, as built from RustGPT 69aa104; " +
                        $"closed forms 257V + 128n + 346,752 and 257V + 12,899n + 218,016. fp32 weights: {Mb(tn)} and {Mb(hn)} " +
                        $"(the document's 494 KB / 1,387 KB count 1 byte per parameter). On this project's corpus (V = {corpusV}): " +
                        $"{tc.ParameterCount:N0} and {hc.ParameterCount:N0}.";

        var stackT = t.LayerStack.Select(l => l.Type).ToArray();
        var stackH = h.LayerStack.Select(l => l.Type).ToArray();
        // Entries of each built stack that differ from the document's list at the same place (and any length difference).
        static int Differences(string[] built, string[] doc) => Math.Abs(built.Length - doc.Length) + built.Zip(doc).Count(p => p.First != p.Second);
        string stackText = $"{stackT.Length} layers [{string.Join(", ", stackT)}] and {stackH.Length} layers [{string.Join(", ", stackH)}]; " +
                           "compared entry by entry with the document's lists. " +
                           "The document's breakdown of a HyperMixer block (token mixing, LayerNorm, channel mixing, LayerNorm) has the order wrong: " +
                           "upstream normalises first (LayerNorm, token mixing + residual, LayerNorm, channel mixing + residual).";

        var countsTable = new Table("Parameter counts (exact; fp32 = 4 bytes per parameter)",
            ["model", "V", "n", "parameters", "fp32", "document"],
            [
                ["Transformer", "533", "80", $"{tn:N0}", Mb(tn), "493,973 / \"494 KB\""],
                ["HyperMixer", "533", "80", $"{hn:N0}", Mb(hn), "1,386,917 / \"1,387 KB\""],
                ["Transformer", $"{corpusV}", "80", $"{tc.ParameterCount:N0}", Mb(tc.ParameterCount), "-"],
                ["HyperMixer", $"{corpusV}", "80", $"{hc.ParameterCount:N0}", Mb(hc.ParameterCount), "-"],
            ]);
        var stackRows = new List<IReadOnlyList<string>>();
        foreach (var (model, stack) in new[] { ("Transformer", t.LayerStack), ("HyperMixer", h.LayerStack) })
            stackRows.AddRange(stack.Select(l => (IReadOnlyList<string>)[model, l.Index.ToString(CultureInfo.InvariantCulture), l.Type, l.Parameters.ToString("N0", CultureInfo.InvariantCulture)]));
        var stackTable = new Table("Layer stacks at V = 533, n = 80, with each layer's parameters", ["model", "index", "layer", "parameters"], stackRows);

        return new ExperimentResult(
            [
                Measurement.PerBuild("H4-01", countText,
                    [
                        new BuildMeasurement("Transformer", $"{tn:N0} parameters", tn, Upstream: true, Claimed: DocumentTransformerParameters),
                        new BuildMeasurement("HyperMixer", $"{hn:N0} parameters", hn, Claimed: DocumentHyperMixerParameters),
                    ],
                    evidence: "parameters of the built TransformerLanguageModel / HyperMixerLanguageModel",
                    reason: "the document gives both counts, so each model's count is judged against its own and the row is the weaker of the two",
                    headline: BuildHeadline.Weakest),
                Measurement.Of("H4-02", stackText,
                    [
                        new Quantity("transformerLayers", stackT.Length, "layers"), new Quantity("hyperMixerLayers", stackH.Length, "layers"),
                        new Quantity("transformerDifferences", Differences(stackT, DocumentTransformerStack), "entries"),
                        new Quantity("hyperMixerDifferences", Differences(stackH, DocumentHyperMixerStack), "entries"),
                    ],
                    evidence: "LanguageModel.LayerStack of the built models",
                    reason: "the layer list the built models enumerate, compared entry by entry with the document's"),
            ],
            Tables: [countsTable.Named("counts"), stackTable.Named("stacks")]);
    }
}
