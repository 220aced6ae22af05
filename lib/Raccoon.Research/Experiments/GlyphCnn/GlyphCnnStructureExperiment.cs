using System.Globalization;
using Raccoon.Research.Ledger;
using Raccoon.Research.Models.GlyphCnn;
using Raccoon.Research.Views;
using Raccoon.Research.Training;

namespace Raccoon.Research.Experiments.GlyphCnn;

/// <summary>G3-01, G3-02, G3-05: exact parameter counts, the component breakdown and checkpoint size on disk at 1197 classes.</summary>
public sealed class GlyphCnnStructureExperiment : IExperiment
{
    public string Name => "glyph-cnn-structure";
    public string Title => "Phase 2 glyph CNNs: parameters, components and size on disk";
    public IReadOnlyList<string> Claims => ["G3-01", "G3-02", "G3-05"];

    /// <summary>The document's figures: totals, embedding, trunk, head, MB on disk (Full, Light, Tiny).</summary>
    static readonly (long Total, long Embedding, double Trunk, double Head, double Mb)[] Document =
        [(7_198_317, 98_304, 6.7e6, 362e3, 27.5), (2_822_957, 65_536, 2.4e6, 362e3, 10.8), (1_400_397, 49_152, 1.2e6, 174e3, 5.4)];

    public ExperimentResult Run(ExperimentContext context)
    {
        var configs = GlyphCnnConfig.Variants();
        var models = configs.Select(c => new GlyphCnnClassifier(c)).ToArray();
        try
        {
            context.Report(Name, "counting parameters and saving checkpoints");
            long[] totals = models.Select(m => m.ParameterCount).ToArray();
            var dir = Path.Combine(context.OutDir, "checkpoints", "glyph-cnn");
            Directory.CreateDirectory(dir);
            var bytes = new long[models.Length];
            for (int i = 0; i < models.Length; i++)
            {
                var path = Path.Combine(dir, $"{configs[i].Variant.ToLowerInvariant()}.ckpt");
                Checkpoint.Save(path, models[i], CheckpointMeta.For(GlyphCnnClassifier.Kind, configs[i]));
                bytes[i] = new FileInfo(path).Length;
            }
            string[] names = configs.Select(c => c.Variant).ToArray();

            // G3-01
            double fewerLight = 100.0 * (1 - (double)totals[1] / totals[0]), fewerTiny = 100.0 * (1 - (double)totals[2] / totals[0]);
            bool allExact = totals.Zip(Document, (t, d) => t == d.Total).All(x => x);
            var g301 = Measurement.Number("G3-01", totals[0],
                $"Full {totals[0]:N0}, Light {totals[1]:N0}, Tiny {totals[2]:N0} at {GlyphCnnConfig.DocumentClasses} classes " +
                $"({(allExact ? "all three equal the document's" : "not all equal the document's")}); Light has {fewerLight:0.0}% and Tiny {fewerTiny:0.0}% fewer than Full " +
                $"(the document's 60% and 80%). Upstream's comments give 1216 classes, at which the totals would be {7_198_317 + 19 * 257:N0} / {2_822_957 + 19 * 257:N0} / {1_400_397 + 19 * 129:N0}.",
                evidence: "GlyphCnnClassifier built from phase2*.yaml, parameters counted");

            // G3-02
            var rows = new List<IReadOnlyList<string>>();
            var text = new List<string>();
            for (int i = 0; i < models.Length; i++)
            {
                var m = models[i];
                var d = Document[i];
                double headOff = 100.0 * (m.HeadParameters - d.Head) / d.Head;
                double trunkOff = 100.0 * (m.TrunkParameters - d.Trunk) / d.Trunk;
                rows.Add([names[i], $"{m.EmbeddingParameters:N0}", $"{d.Embedding:N0}", $"{m.TrunkParameters:N0}", $"~{d.Trunk / 1e6:0.0}M", $"{trunkOff:+0.0;-0.0}%",
                    $"{m.HeadParameters:N0}", $"~{d.Head / 1e3:0}K", $"{headOff:+0.0;-0.0}%"]);
                text.Add($"{names[i]}: embedding {m.EmbeddingParameters:N0} (document {d.Embedding:N0}), trunk {m.TrunkParameters:N0} (~{d.Trunk / 1e6:0.0}M, {trunkOff:+0.0;-0.0}%), " +
                         $"head {m.HeadParameters:N0} (~{d.Head / 1e3:0}K, {headOff:+0.0;-0.0}%: {m.HeadParameters - d.Head:+#,0;-#,0} parameters)");
            }
            var g302 = Measurement.Number("G3-02", models[0].HeadParameters,
                string.Join("; ", text) + ". The embedding rows are exact and the trunk rows round correctly; the head row is off " +
                "(the head is LayerNorm + Linear(C -> H) + Linear(H -> 1197), whose last layer alone is (H + 1) x 1197).",
                evidence: "GlyphCnnClassifier.Components(): embedding, stem + stages (trunk), head");

            // G3-05
            double mib0 = bytes[0] / 1048576.0;
            var g305 = Measurement.Number("G3-05", mib0,
                string.Join(", ", names.Select((n, i) => $"{n} {bytes[i] / 1048576.0:0.00} MiB ({bytes[i] / 1e6:0.00} MB)")) +
                $" per checkpoint of fp32 weights and BatchNorm statistics (this project's format, no optimizer state). The document's 27.5 / 10.8 / 5.4 are fp32 weights in MiB " +
                $"({totals[0] * 4 / 1048576.0:0.00} / {totals[1] * 4 / 1048576.0:0.00} / {totals[2] * 4 / 1048576.0:0.00}); in MB (10^6) they would read " +
                $"{totals[0] * 4 / 1e6:0.0} / {totals[1] * 4 / 1e6:0.0} / {totals[2] * 4 / 1e6:0.0}. A checkpoint with AdamW state would be about 3x as large.",
                evidence: $"Checkpoint.Save of each model under {Path.Combine("checkpoints", "glyph-cnn")}; file sizes",
                reason: "compared in MiB, the unit the document's figures match");

            var counts = new Table("Parameters per component at 1197 classes (exact) against the document",
                ["model", "embedding", "document", "trunk (stem + stages)", "document", "off", "head", "document", "off"], rows);
            var components = new Table("Every component",
                ["model", .. models[0].Components().Select(c => c.Name), "total"],
                models.Select((m, i) => (IReadOnlyList<string>)[names[i], .. m.Components().Select(c => c.Parameters.ToString("N0", CultureInfo.InvariantCulture)), m.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)]).ToList());
            var sizes = new Table("Size on disk",
                ["model", "parameters", "checkpoint bytes", "MiB", "MB", "document (\"MB\")"],
                models.Select((m, i) => (IReadOnlyList<string>)[names[i], totals[i].ToString("N0", CultureInfo.InvariantCulture), bytes[i].ToString("N0", CultureInfo.InvariantCulture), (bytes[i] / 1048576.0).ToString("0.00", CultureInfo.InvariantCulture), (bytes[i] / 1e6).ToString("0.00", CultureInfo.InvariantCulture), Document[i].Mb.ToString("0.0", CultureInfo.InvariantCulture)]).ToList());
            return new ExperimentResult([g301, g302, g305], [GlyphCnnCharts.Components(models)], [counts.Named("breakdown"), components.Named("components"), sizes.Named("size-on-disk")]);
        }
        finally
        {
            foreach (var m in models) m.Dispose();
        }
    }
}
