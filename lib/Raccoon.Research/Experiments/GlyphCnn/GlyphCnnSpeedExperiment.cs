using System.Globalization;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Models.GlyphCnn;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.GlyphCnn;

/// <summary>
/// G3-03: inference at batch 256 on this CPU for the three models (eval mode, no gradients), Full against
/// each smaller model with interleaved repeats; FLOPs per glyph and the achieved GFLOP/s next to this
/// machine's measured matrix-multiply peak.
/// </summary>
public sealed class GlyphCnnSpeedExperiment : IExperiment
{
    public string Name => "glyph-cnn-speed";
    public string Title => "Phase 2 glyph CNNs: inference ms per glyph at batch 256 on this CPU";
    public IReadOnlyList<string> Claims => ["G3-03"];

    public const int Batch = 256;

    /// <summary>Sizes per profile: timed repeats of each model's forward pass at batch <see cref="Batch"/>.</summary>
    public sealed record Sizes(int Repeats);

    public static ProfileSizes<Sizes> Profiles { get; } = new(Quick: new(Repeats: 3), Standard: new(Repeats: 5), Full: new(Repeats: 15));
    /// <summary>The document's ms per glyph: Apple M2, Intel i7 + OpenVINO (Full, Light, Tiny).</summary>
    static readonly double[] M2 = [17.8, 13.2, 9.5], I7 = [12.0, 7.5, 5.0];

    public ExperimentResult Run(ExperimentContext context)
    {
        var configs = GlyphCnnConfig.Variants();
        var options = new TimingOptions(Warmup: 1, Repeats: Profiles.For(context.Profile).Repeats, Threads: context.Threads);
        manual_seed(context.Seed);
        var models = configs.Select(c => new GlyphCnnClassifier(c)).ToArray();
        try
        {
            foreach (var m in models) m.eval();
            using var grids = randint(0, GlyphCnnConfig.Vocabulary, [Batch, 16, 16], dtype: ScalarType.Int64);
            Action Forward(GlyphCnnClassifier m) => () => { using var _ = no_grad(); m.forward(grids); };

            context.Report(Name, "measuring this machine's matrix-multiply peak", 0.05);
            var peak = Peak(context.Threads);
            context.Report(Name, "timing Full against Tiny at batch 256", 0.2);
            var fullTiny = Timing.Compare("Full", Forward(models[0]), "Tiny", Forward(models[2]), options, Batch);
            context.Report(Name, "timing Light at batch 256", 0.6);
            // Light against Full interleaved too where the profile affords it; at quick Light is timed alone against Full's median from the first comparison
            var light = context.Profile == Profile.Quick
                ? Timing.Measure("Light", Forward(models[1]), options, Batch)
                : Timing.Compare("Full", Forward(models[0]), "Light", Forward(models[1]), options, Batch).Candidate;

            var results = new[] { fullTiny.Baseline, light, fullTiny.Candidate };
            var full = results[0];
            double[] ms = results.Select(r => r.Median / Batch * 1e3).ToArray();
            long[] macs = models.Select(m => m.Operations().Macs).ToArray();
            double[] gflops = results.Select((r, i) => 2.0 * macs[i] * Batch / r.Median / 1e9).ToArray();
            double[] speed = [1, fullTiny.Baseline.Median / light.Median, fullTiny.Speedup]; // ratios of medians, as Intervals.Speedup gives them
            double[] macRatio = macs.Select(m => (double)macs[0] / m).ToArray();
            string[] names = configs.Select(c => c.Variant).ToArray();

            var text = $"Batch {Batch} on {full.Machine.Summary}: Full {ms[0]:0.00}, Light {ms[1]:0.00}, Tiny {ms[2]:0.00} ms per glyph (median of {options.Repeats}, whole batch / 256), " +
                       $"so relative speed 1x / {speed[1]:0.00}x / {speed[2]:0.00}x (Tiny's 95% bootstrap interval {Intervals.Speedup(fullTiny).Interval}) " +
                       $"against the document's 1x / 1.5x / 2-3x (M2 17.8 / 13.2 / 9.5 ms: 1.35x / 1.87x). MACs per glyph {macs[0] / 1e6:0.0}M / {macs[1] / 1e6:0.0}M / {macs[2] / 1e6:0.0}M, " +
                       $"so FLOPs alone predict 1x / {macRatio[1]:0.00}x / {macRatio[2]:0.00}x. Achieved {gflops[0]:0} / {gflops[1]:0} / {gflops[2]:0} GFLOP/s (2 x MACs) against a measured " +
                       $"{peak:0} GFLOP/s fp32 matrix-multiply peak on {context.Threads} thread(s). The document's milliseconds were end-to-end (raster loading and the first-stage cell CNN included) and labelled expected; " +
                       $"only the ratios compare. Timings on a shared machine carry its load.";
            var (tinySpeed, tinyInterval) = Intervals.Speedup(fullTiny);
            var g303 = Measurement.Number("G3-03", Measurement.Require("G3-03", "Tiny's speed relative to Full", tinySpeed), text, interval: tinyInterval,
                evidence: "Timing.Compare (interleaved, median) of GlyphCnnClassifier.forward on (256, 16, 16) random ids, eval mode, no gradients", kind: FigureKind.Timing);

            var table = new Table($"Inference at batch {Batch} ({full.Machine.Summary})",
                ["model", "median s / batch", "IQR s", "ms / glyph", "glyphs / s", "MACs / glyph", "GFLOP/s", "% of peak", "relative speed", "FLOP ratio", "M2 ms (doc)", "i7+OpenVINO ms (doc)"],
                results.Select((r, i) => (IReadOnlyList<string>)[names[i], r.Median.ToString("0.000", CultureInfo.InvariantCulture), r.Iqr.ToString("0.000", CultureInfo.InvariantCulture), ms[i].ToString("0.00", CultureInfo.InvariantCulture), (Batch / r.Median).ToString("0", CultureInfo.InvariantCulture),
                    $"{macs[i] / 1e6:0.0}M", gflops[i].ToString("0.0", CultureInfo.InvariantCulture), (100 * gflops[i] / peak).ToString("0", CultureInfo.InvariantCulture), speed[i].ToString("0.00", CultureInfo.InvariantCulture), macRatio[i].ToString("0.00", CultureInfo.InvariantCulture),
                    M2[i].ToString("0.0", CultureInfo.InvariantCulture), I7[i].ToString("0.0", CultureInfo.InvariantCulture)]).ToList());
            var figure = GlyphCnnCharts.Speed(names,
                ("this CPU", speed), ("FLOPs predict", macRatio), ("document, M2", M2.Select(x => M2[0] / x).ToArray()), ("document, i7 + OpenVINO", I7.Select(x => I7[0] / x).ToArray()));
            var ops = models[0].Operations().ToTable() with { Title = "Operations of one Full forward pass per glyph" };
            return new ExperimentResult([g303], [figure], [table.Named("inference"), ops.Named("operations")]);
        }
        finally
        {
            foreach (var m in models) m.Dispose();
        }
    }

    /// <summary>fp32 GFLOP/s of a 2048 x 2048 matrix product at its fastest repeat: the machine's practical peak.</summary>
    public static double Peak(int threads)
    {
        const long n = 2048;
        using var a = randn(n, n);
        using var b = randn(n, n);
        var r = Timing.Measure("matmul 2048", () => a.matmul(b), new TimingOptions(Warmup: 1, Repeats: 5, Threads: threads));
        return 2.0 * n * n * n / r.Min / 1e9;
    }
}
