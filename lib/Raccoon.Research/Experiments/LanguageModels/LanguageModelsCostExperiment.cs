using System.Globalization;
using Raccoon.Research.Blocks;
using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Mixing;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Models.LanguageModels;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.LanguageModels;

/// <summary>
/// H4-03..H4-06: analytic FLOPs and measured time per layer and per forward pass against sequence
/// length n (16..1024; the maximum length is raised to n where n > 80, which grows the HyperMixer's
/// hypernetwork and both models' position tables), activation memory against n, the crossover, and
/// the inference times the document left blank. Batch 1, as RustGPT runs; CPU threads as configured.
/// </summary>
public sealed class LanguageModelsCostExperiment : IExperiment
{
    public string Name => "language-models-cost";
    public string Title => "RustGPT Transformer vs HyperMixer: cost, time and memory against sequence length";
    public IReadOnlyList<string> Claims => ["H4-03", "H4-04", "H4-05", "H4-06"];

    static readonly int[] Lengths = [16, 32, 64, 80, 128, 256, 512, 1024];

    /// <summary>Sizes per profile: repetitions per timing. Standard takes 31, so H4-05's and H4-06's intervals are narrow
    /// enough to be reproducible run to run (15 gave H4-06 holds then fails on two quiet runs); about 20 s more.</summary>
    public sealed record Sizes(int Repeats);

    public static ProfileSizes<Sizes> Profiles { get; } = new(Quick: new(Repeats: 5), Standard: new(Repeats: 31), Full: new(Repeats: 61));

    sealed record Row(int N, long TParams, long HParams, double AttnFlops, double MixFlops, Ms AttnTime, Ms MixTime,
        Ms TForward, Ms HForward, Ms TTrain, Ms HTrain, double TActs, double HActs, double TMemMb, double HMemMb);

    public ExperimentResult Run(ExperimentContext context)
    {
        int repeats = Profiles.For(context.Profile).Repeats;
        var rows = new List<Row>();
        for (int i = 0; i < Lengths.Length; i++)
        {
            int n = Lengths[i];
            context.Cancel.ThrowIfCancellationRequested();
            context.Report(Name, $"n = {n}", (double)i / Lengths.Length);
            rows.Add(Measure(n, repeats, context.Seed));
        }
        // Causal HyperMixer at the document's n = 80, for the inference table.
        manual_seed(context.Seed);
        using var causal = new HyperMixerLanguageModel(LanguageModelConfig.Document, HyperMixerVariant.Causal);
        causal.eval();
        var causalForward = ForwardTiming(causal, 80, repeats);

        var at80 = rows.Single(r => r.N == 80);
        var c80 = LanguageModelConfig.Document;
        var (docAttn, docMix) = LanguageModelCost.DocumentOps(80, 128);
        double flopRatio = at80.MixFlops / at80.AttnFlops;
        double timeRatio80 = at80.MixTime.MedianMs / at80.AttnTime.MedianMs;
        var attnOnly = LanguageModelCost.Attention(c80, 80);
        double qkOnly = 2.0 * 80 * 80 * 128 + 2.0 * 80 * 80 * 128; // QK^T and AV
        string layerCrossFlops = rows.All(r => r.MixFlops < r.AttnFlops) ? "token mixing costs fewer FLOPs than attention at every n measured (no crossover)"
            : rows.All(r => r.MixFlops > r.AttnFlops) ? "token mixing costs more FLOPs than attention at every n measured"
            : $"token mixing becomes cheaper than attention in FLOPs between n = {Crossing(rows, r => r.MixFlops / r.AttnFlops)}";
        string layerCrossTime = CrossText(rows, r => r.MixTime.MedianMs / r.AttnTime.MedianMs, "the token-mixing layer", "the attention layer");
        var h403 = Measurement.Number("H4-03", flopRatio,
            $"At n = 80, d = 128, one token-mixing layer costs {at80.MixFlops:N0} FLOPs (hypernetwork {LanguageModelCost.TokenMixing(c80, 80).Flops - 4.0 * 80 * 128 * 64:N0} of them) " +
            $"and one attention layer {at80.AttnFlops:N0} (Q/K/V projections {3 * 2.0 * 80 * 128 * 128:N0}, QK^T and AV {qkOnly:N0}): ratio {flopRatio:0.00}x, " +
            $"against the document's {docMix:N0} / {docAttn:N0} = {docMix / docAttn:0.00}x, which counts the mixing products' multiply-adds (exactly n d^2 here, since the mixing width is d/2) " +
            $"but for attention only QK^T's multiply-adds, leaving out the Q/K/V projections (3 n d^2) and AV. Measured, the token-mixing layer takes {at80.MixTime.MedianMs:0.###} ms " +
            $"and the attention layer {at80.AttnTime.MedianMs:0.###} ms ({timeRatio80:0.00}x). Against n: {layerCrossFlops}; in time, {layerCrossTime}. " +
            $"The document's rule 'crossover when n > d' does not follow from its own counts (n^2 d < n d^2 exactly when n < d, so by them attention is the cheaper one below n = d).",
            evidence: "LanguageModelCost (analytic) and timed forward passes of the two layers, batch 1");

        // H4-04: the exponents are fitted over the long end of n, where the quadratic term dominates; the thresholds are claims.json's.
        double fitFrom = FitFromN;
        var nsAll = rows.Select(r => (double)r.N).ToArray();
        var memT = rows.Select(r => Measurement.Require("H4-04", $"Transformer held-graph memory at n = {r.N}", r.TMemMb)).ToArray();
        var memH = rows.Select(r => Measurement.Require("H4-04", $"HyperMixer held-graph memory at n = {r.N}", r.HMemMb)).ToArray();
        double slopeT = Measurement.Require("H4-04", "Transformer analytic activation exponent", PowerLaw.Exponent(nsAll, rows.Select(r => r.TActs).ToArray(), from: fitFrom));
        double slopeH = Measurement.Require("H4-04", "HyperMixer analytic activation exponent", PowerLaw.Exponent(nsAll, rows.Select(r => r.HActs).ToArray(), from: fitFrom));
        double slopeTm = Measurement.Require("H4-04", "Transformer measured memory exponent", PowerLaw.Exponent(nsAll, memT, from: fitFrom));
        double slopeHm = Measurement.Require("H4-04", "HyperMixer measured memory exponent", PowerLaw.Exponent(nsAll, memH, from: fitFrom));
        var h404 = Measurement.Of("H4-04",
            $"Analytic activations of a whole forward pass grow as n^{slopeT:0.00} (Transformer) and n^{slopeH:0.00} (HyperMixer) over n = {fitFrom:0}..{rows[^1].N}; " +
            $"at n = {rows[^1].N}: {rows[^1].TActs * 4 / 1e6:0.0} MB vs {rows[^1].HActs * 4 / 1e6:0.0} MB (fp32, batch 1). Measured memory autograd keeps for backward after one forward pass (batch 8): " +
            $"n^{slopeTm:0.00} vs n^{slopeHm:0.00}, {memT[^1]:0.0} MB vs {memH[^1]:0.0} MB at n = {rows[^1].N}. The HyperMixer's activations are O(n d) only when its maximum length grows with n: " +
            $"it generates 2 L H + H + L numbers per sequence whatever n is.",
            [
                new Quantity("analyticExponentGap", slopeT - slopeH), new Quantity("hyperMixerAnalyticExponent", slopeH),
                new Quantity("measuredExponentGap", slopeTm - slopeHm),
                new Quantity("analyticMemoryRatio", rows[^1].HActs / rows[^1].TActs, "x (HyperMixer / Transformer at the largest n)"),
                new Quantity("measuredMemoryRatio", memH[^1] / memT[^1], "x (HyperMixer / Transformer at the largest n)"),
            ],
            evidence: "LanguageModelCost.Forward (analytic) and Memory.Activations (native heap kept for backward) of a forward pass",
            reason: $"exponents fitted from n = {fitFrom:0}", kind: FigureKind.Memory);

        double? breakEven = CrossingPoint(rows, r => r.HTrain.MedianMs / r.TTrain.MedianMs);
        string trainText = CrossText(rows, r => r.HTrain.MedianMs / r.TTrain.MedianMs, "the HyperMixer", "the Transformer");
        string forwardText = CrossText(rows, r => r.HForward.MedianMs / r.TForward.MedianMs, "the HyperMixer", "the Transformer");
        // The break-even's interval: the crossing of the low and of the high ends of each n's bootstrapped time ratio
        // (HyperMixer / Transformer); where an end never crosses in range, the range's edge bounds it.
        var ratioIntervals = rows.Select(r => Intervals.RatioOfMedians(r.HTrain.Seconds, r.TTrain.Seconds, Sampling.Interleaved).Interval).ToArray();
        double? CrossAt(Func<int, double> ratioAt) => CrossingPoint(rows, r => ratioAt(rows.IndexOf(r)));
        // Where the medians never cross in range the break-even is censored: beyond the largest n when the HyperMixer is
        // still the slower there, below the smallest when it is already the faster.
        double? early = CrossAt(i => ratioIntervals[i].Low), late = CrossAt(i => ratioIntervals[i].High);
        bool hyperSlowerAtEnd = rows[^1].HTrain.MedianMs > rows[^1].TTrain.MedianMs;
        var (be, censor05) = breakEven is double x ? (x, Censor.None) : hyperSlowerAtEnd ? ((double)rows[^1].N, Censor.Above) : ((double)rows[0].N, Censor.Below);
        var interval05 = new MeasuredInterval(Math.Min(early ?? (censor05 == Censor.Above ? be : rows[0].N), be), Math.Max(late ?? (censor05 == Censor.Below ? be : rows[^1].N), be));
        var h405 = new Measurement("H4-05",
            (breakEven is null ? $"No break-even in n = {rows[0].N}..{rows[^1].N} (censored: {(censor05 == Censor.Above ? "beyond the largest n" : "below the smallest n")}): " : $"Measured training step (forward + backward, batch 1) break-even at n = {be:0} (interval n = {interval05.Low:0}-{interval05.High:0} from the bootstrapped time ratios, {rows[0].TTrain.Repeats} repetitions each): ") +
            $"{trainText}. Forward pass alone: {forwardText}. The document: Transformer faster below n ~ 50, HyperMixer above n ~ 128, break-even n ~ 80-100.",
            be, Evidence: "timed training steps of both whole models, n = 16..1024, interleaved; Intervals.RatioOfMedians per n", Interval: interval05, Censored: censor05, Kind: FigureKind.Timing);

        // H4-06: the order of the two forward passes at n = 80, judged on the interval of their time ratio
        // (HyperMixer / Transformer, interleaved and paired); an interval across 1 gives no order.
        var (order80, order80Interval) = Intervals.RatioOfMedians(at80.HForward.Seconds, at80.TForward.Seconds, Sampling.Interleaved);
        var h406 = new Measurement("H4-06",
            $"Filled in: at n = 80, batch 1, {context.Threads} CPU thread(s), Transformer {at80.TForward.MedianMs:0.###} ms, HyperMixer {at80.HForward.MedianMs:0.###} ms, causal HyperMixer {causalForward.MedianMs:0.###} ms per forward pass " +
            $"(medians of {repeats}, IQR {at80.TForward.Q1Ms:0.###}-{at80.TForward.Q3Ms:0.###} / {at80.HForward.Q1Ms:0.###}-{at80.HForward.Q3Ms:0.###} / {causalForward.Q1Ms:0.###}-{causalForward.Q3Ms:0.###}); " +
            $"HyperMixer / Transformer time {order80:0.00}x, interval {order80Interval}. " +
            $"At n = 1024 (maximum length raised): {rows[^1].TForward.MedianMs:0.###} vs {rows[^1].HForward.MedianMs:0.###} ms.",
            order80, $"Machine: {MachineContext.Current().Summary}; timings are from the machine that ran this, under its load.",
            "timed forward passes (no gradient) of the built models, interleaved; Intervals.RatioOfMedians", order80Interval, Kind: FigureKind.Timing,
            Figures:
            [
                new Quantity("transformerMs", at80.TForward.MedianMs, "ms", Samples: repeats),
                new Quantity("hyperMixerMs", at80.HForward.MedianMs, "ms", Samples: repeats),
                new Quantity("hyperMixerOverTransformer", order80, "x", order80Interval, Samples: repeats, Design: Sampling.Interleaved),
            ]);

        var tables = new List<Table>
        {
            new("Cost against n (batch 1; maximum length = max(80, n))",
                ["n", "params T", "params H", "attention FLOPs", "token-mixing FLOPs", "attention ms", "token-mixing ms", "T forward ms", "H forward ms", "T train-step ms", "H train-step ms", "T act. MB", "H act. MB", "T kept MB (B=8)", "H kept MB (B=8)"],
                rows.Select(r => (IReadOnlyList<string>)[r.N.ToString(CultureInfo.InvariantCulture), r.TParams.ToString("N0", CultureInfo.InvariantCulture), r.HParams.ToString("N0", CultureInfo.InvariantCulture), r.AttnFlops.ToString("N0", CultureInfo.InvariantCulture), r.MixFlops.ToString("N0", CultureInfo.InvariantCulture),
                    r.AttnTime.MedianMs.ToString("0.###", CultureInfo.InvariantCulture), r.MixTime.MedianMs.ToString("0.###", CultureInfo.InvariantCulture), r.TForward.MedianMs.ToString("0.###", CultureInfo.InvariantCulture), r.HForward.MedianMs.ToString("0.###", CultureInfo.InvariantCulture),
                    r.TTrain.MedianMs.ToString("0.###", CultureInfo.InvariantCulture), r.HTrain.MedianMs.ToString("0.###", CultureInfo.InvariantCulture), (r.TActs * 4 / 1e6).ToString("0.00", CultureInfo.InvariantCulture), (r.HActs * 4 / 1e6).ToString("0.00", CultureInfo.InvariantCulture),
                    r.TMemMb.ToString("0.0", CultureInfo.InvariantCulture), r.HMemMb.ToString("0.0", CultureInfo.InvariantCulture)]).ToList()),
            new("Inference time per forward pass at n = 80 (the document's '~X ms' / '~Y ms')", ["model", "median ms", "IQR ms", "runs"],
            [
                ["Transformer", at80.TForward.MedianMs.ToString("0.###", CultureInfo.InvariantCulture), $"{at80.TForward.Q1Ms:0.###}-{at80.TForward.Q3Ms:0.###}", repeats.ToString(CultureInfo.InvariantCulture)],
                ["HyperMixer", at80.HForward.MedianMs.ToString("0.###", CultureInfo.InvariantCulture), $"{at80.HForward.Q1Ms:0.###}-{at80.HForward.Q3Ms:0.###}", repeats.ToString(CultureInfo.InvariantCulture)],
                ["HyperMixer (causal)", causalForward.MedianMs.ToString("0.###", CultureInfo.InvariantCulture), $"{causalForward.Q1Ms:0.###}-{causalForward.Q3Ms:0.###}", repeats.ToString(CultureInfo.InvariantCulture)],
            ]),
        };
        var ns = rows.Select(r => (double)r.N).ToArray();
        var figures = new List<Figure>
        {
            Charts.Lines("Time per forward pass and per training step against n (log axes)", "sequence length n", "ms (median)", true, true,
                ("Transformer forward", ns, rows.Select(r => r.TForward.MedianMs).ToArray()),
                ("HyperMixer forward", ns, rows.Select(r => r.HForward.MedianMs).ToArray()),
                ("Transformer train step", ns, rows.Select(r => r.TTrain.MedianMs).ToArray()),
                ("HyperMixer train step", ns, rows.Select(r => r.HTrain.MedianMs).ToArray())),
            Charts.Lines("One layer against n: attention vs token mixing, FLOPs and time (log axes)", "sequence length n", "MFLOPs / ms", true, true,
                ("attention MFLOPs", ns, rows.Select(r => r.AttnFlops / 1e6).ToArray()),
                ("token mixing MFLOPs", ns, rows.Select(r => r.MixFlops / 1e6).ToArray()),
                ("attention ms", ns, rows.Select(r => r.AttnTime.MedianMs).ToArray()),
                ("token mixing ms", ns, rows.Select(r => r.MixTime.MedianMs).ToArray())),
            Charts.Lines("Activation memory against n (log axes)", "sequence length n", "MB", true, true,
                ("Transformer analytic (B=1)", ns, rows.Select(r => r.TActs * 4 / 1e6).ToArray()),
                ("HyperMixer analytic (B=1)", ns, rows.Select(r => r.HActs * 4 / 1e6).ToArray()),
                ("Transformer measured, kept for backward (B=8)", ns, memT),
                ("HyperMixer measured, kept for backward (B=8)", ns, memH)),
        };
        figures = [figures[0].Named("time-vs-n"), figures[1].Named("layer-vs-n"), figures[2].Named("memory-vs-n")];
        tables = [tables[0].Named("cost-vs-n"), tables[1].Named("inference-at-80")];
        // H4-04's check reads resident-memory growth; H4-05 and H4-06 rest on timed passes.
        return new ExperimentResult([h403, h404 with { Kind = FigureKind.Memory }, h405 with { Kind = FigureKind.Timing }, h406 with { Kind = FigureKind.Timing }], figures, tables);
    }

    static Row Measure(int n, int repeats, int seed)
    {
        var config = LanguageModelConfig.Document with { MaxLength = Math.Max(80, n) };
        manual_seed(seed);
        using var t = new TransformerLanguageModel(config);
        using var h = new HyperMixerLanguageModel(config);
        using var attention = new Residual(new SelfAttention(new SelfAttentionConfig(config.ModelDim, 1, Causal: true, QkvBias: false, OutputProjection: false)));
        using var mixer = new HyperTokenMixer(HyperMixerLanguageModel.MixerConfig(config, HyperMixerVariant.Upstream));
        using var x = randn(1, n, config.ModelDim);
        Action Layer(nn.Module<Tensor, Tensor> m) => () => { using var _ = no_grad(); m.forward(x); };
        var options = new TimingOptions(Warmup: 1, Repeats: repeats);
        var layers = Pair(Timing.Compare("attention", Layer(attention), "token mixing", Layer(mixer), options));
        t.eval(); h.eval();
        using var tokens = Tokens(t, 1, n);
        using var trainTokens = Tokens(t, 1, n + 1 > config.MaxLength ? n : n + 1);
        var forward = Pair(Timing.Compare("Transformer forward", ForwardAction(t, tokens), "HyperMixer forward", ForwardAction(h, tokens), options));
        var train = Pair(Timing.Compare("Transformer train step", TrainAction(t, trainTokens), "HyperMixer train step", TrainAction(h, trainTokens), options));
        var (attnTime, mixTime, tf, hf, tt, ht) = (layers[0], layers[1], forward[0], forward[1], train[0], train[1]);
        var tAct = LanguageModelCost.Forward(config, n, transformer: true).ActivationFloats;
        var hAct = LanguageModelCost.Forward(config, n, transformer: false).ActivationFloats;
        return new Row(n, t.ParameterCount, h.ParameterCount, LanguageModelCost.Attention(config, n).Flops, LanguageModelCost.TokenMixing(config, n).Flops,
            attnTime, mixTime, tf, hf, tt, ht, tAct, hAct, HeldGraphMb(t, n), HeldGraphMb(h, n));
    }

    static Tensor Tokens(LanguageModel m, int batch, int n) => randint(0, m.Config.VocabularySize, [batch, n], dtype: ScalarType.Int64);

    static Ms ForwardTiming(LanguageModel m, int n, int repeats)
    {
        using var tokens = Tokens(m, 1, n);
        return new Ms(Timing.Measure("forward", ForwardAction(m, tokens), new TimingOptions(Warmup: 1, Repeats: repeats)));
    }

    static Action ForwardAction(LanguageModel m, Tensor tokens) => () => { using var _ = no_grad(); m.forward(tokens); };

    static Action TrainAction(LanguageModel m, Tensor tokens) => () =>
    {
        m.zero_grad();
        NextToken.TeacherForcedLoss(m, tokens).backward();
    };

    static Ms[] Pair(TimingComparison c) => [new(c.Baseline), new(c.Candidate)];

    /// <summary>A timing in milliseconds: median and quartiles of the toolkit's samples, and the samples (seconds) for intervals.</summary>
    sealed record Ms(double MedianMs, double Q1Ms, double Q3Ms, int Repeats, IReadOnlyList<double> Seconds)
    {
        public Ms(TimingResult r) : this(r.Stats.Median * 1e3, r.Stats.Q1 * 1e3, r.Stats.Q3 * 1e3, r.Stats.Count, r.Seconds) { }
    }

    /// <summary>Memory a forward pass (batch 8) leaves for backward, in MB: native heap bytes autograd keeps
    /// (Memory.Activations), or where the heap cannot be read, the storages the forward created. Resident-set
    /// growth is not used: freed pages the allocator reuses make it read 0 on a fresh process.</summary>
    static double HeldGraphMb(LanguageModel m, int n)
    {
        using var tokens = Tokens(m, 8, n);
        var a = Memory.Activations($"forward n = {n}", () => m.forward(tokens), m, tokens);
        return (a.KeptForBackwardBytes is long kept && kept > 0 ? kept : a.HeldByScopeBytes) / 1e6;
    }

    /// <summary>H4-04's exponents are fitted from this n up, where the quadratic term dominates.</summary>
    const double FitFromN = 256;

    /// <summary>First n (log-interpolated) where ratio(row) drops below 1 and stays below from there on; null if never.</summary>
    static double? CrossingPoint(IReadOnlyList<Row> rows, Func<Row, double> ratio)
    {
        var r = rows.Select(ratio).ToArray();
        for (int i = 0; i < rows.Count; i++)
        {
            if (!(r.Skip(i).All(v => v < 1))) continue;
            if (i == 0) return null; // below 1 everywhere: no break-even in range
            double x0 = Math.Log(rows[i - 1].N), x1 = Math.Log(rows[i].N), y0 = Math.Log(r[i - 1]), y1 = Math.Log(r[i]);
            return Math.Exp(x0 + (0 - y0) * (x1 - x0) / (y1 - y0));
        }
        return null;
    }

    static string Crossing(IReadOnlyList<Row> rows, Func<Row, double> ratio)
    {
        var r = rows.Select(ratio).ToArray();
        for (int i = 1; i < rows.Count; i++)
            if ((r[i - 1] >= 1) != (r[i] >= 1)) return $"{rows[i - 1].N} and {rows[i].N}";
        return "nowhere";
    }

    static string CrossText(IReadOnlyList<Row> rows, Func<Row, double> ratio, string a, string b)
    {
        var r = rows.Select(ratio).ToArray();
        string ratios = string.Join(", ", rows.Select((row, i) => $"{row.N}: {r[i]:0.00}"));
        if (r.All(v => v < 1)) return $"{a} is faster than {b} at every n (time ratio {ratios})";
        if (r.All(v => v >= 1)) return $"{a} is slower than {b} at every n (time ratio {ratios})";
        return $"{a} / {b} time ratio by n: {ratios}";
    }
}
