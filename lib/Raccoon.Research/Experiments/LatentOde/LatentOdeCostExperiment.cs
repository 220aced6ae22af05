using System.Globalization;
using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Checkpointing;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Models.LatentOde;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.LatentOde;

/// <summary>
/// T1-04..T1-09: attention memory and time against length (reference vs fused kernel), separate vs fused QKV,
/// forward time of the upstream vs the modern encoder at seq 128 and 512, generation of 100 tokens with and
/// without the KV cache, the gradient step of the whole model, and gradient checkpointing's memory. All
/// timings interleaved in this process (Timing.Compare), medians with quartiles, threads as configured.
/// </summary>
public sealed class LatentOdeCostExperiment : IExperiment
{
    public string Name => "latent-ode-cost";
    public string Title => "Latent ODE model: attention memory and time, fused QKV, forward, generation, gradient and checkpointing cost";
    public IReadOnlyList<string> Claims => ["T1-04", "T1-05", "T1-06", "T1-07", "T1-08", "T1-09"];

    /// <summary>Sizes per profile: timed repeats; the attention lengths of T1-04 and its memory readings per length; the
    /// batch of T1-06's encoder forward and T1-07's samples; T1-08's gradient batch (standard 32 -> 16: the 24 timed
    /// gradient computations took 75 s, about 2.5 s each at batch 32); the blocks the comparisons are spread over; and
    /// T1-09's checkpointing batch and sequence length.</summary>
    public sealed record Sizes(int Repeats, IReadOnlyList<int> Lengths, int MemoryReads, int Batch, int Samples, int GradientBatch, int Blocks,
        int CheckpointBatch, int CheckpointSequence);

    public static ProfileSizes<Sizes> Profiles { get; } = new(
        Quick: new(Repeats: 5, Lengths: [256, 512, 1024, 2048], MemoryReads: 2, Batch: 4, Samples: 4, GradientBatch: 8, Blocks: 1, CheckpointBatch: 8, CheckpointSequence: 256),
        Standard: new(Repeats: 11, Lengths: [256, 512, 1024, 2048, 4096], MemoryReads: 3, Batch: 8, Samples: 8, GradientBatch: 16, Blocks: 3, CheckpointBatch: 16, CheckpointSequence: 512),
        Full: new(Repeats: 21, Lengths: [256, 512, 1024, 2048, 4096, 8192], MemoryReads: 5, Batch: 8, Samples: 8, GradientBatch: 128, Blocks: 3, CheckpointBatch: 32, CheckpointSequence: 512));

    static string Iqr(TimingResult r) => $"{r.Stats.Q1 * 1e3:0.##}-{r.Stats.Q3 * 1e3:0.##}";

    public ExperimentResult Run(ExperimentContext context)
    {
        var sizes = Profiles.For(context.Profile);
        int repeats = sizes.Repeats;
        var options = new TimingOptions(Warmup: 1, Repeats: repeats, Threads: context.Threads);
        var tables = new List<Table>();
        var figures = new List<Figure>();
        string machine = $"{context.Threads} thread(s), {MachineContext.Current().Summary}";

        // T1-04: one attention layer (H = 128, 4 heads, batch 1), no gradient, growing length.
        int[] lengths = [.. sizes.Lengths];
        var memRows = new List<(int N, double RefMb, double FusedMb, double RefMs, double FusedMs)>();
        int memReads = sizes.MemoryReads;
        MeasuredInterval? memInterval = null;
        manual_seed(context.Seed);
        using (var attention = new MultiHeadSelfAttention(new MultiHeadSelfAttentionConfig(128, 4)))
        {
            foreach (int n in lengths)
            {
                context.Cancel.ThrowIfCancellationRequested();
                context.Report(Name, $"attention memory at n = {n}", 0.3 * memRows.Count / lengths.Length);
                using var x = randn(1, n, 128);
                double Peak(AttentionKernel k)
                {
                    attention.Kernel = k;
                    long? g = Memory.PeakResidentGrowth(() => { using var _ = no_grad(); using var s = NewDisposeScope(); attention.forward(x); });
                    return (g ?? throw new InvalidOperationException("peak resident memory cannot be measured here (no /proc/self/clear_refs)")) / 1048576.0;
                }
                Peak(AttentionKernel.Reference); Peak(AttentionKernel.Fused); // warm-up: first calls map code and thread pools
                var refReads = Enumerable.Range(0, memReads).Select(_ => Peak(AttentionKernel.Reference)).ToList();
                var fusedReads = Enumerable.Range(0, memReads).Select(_ => Peak(AttentionKernel.Fused)).ToList();
                double refMb = refReads.Min(), fusedMb = fusedReads.Min();
                if (n == lengths[^1] && fusedReads.Min() > 0) memInterval = new MeasuredInterval(refReads.Min() / fusedReads.Max(), refReads.Max() / fusedReads.Min());
                var cmp = Timing.Compare("reference", () => { attention.Kernel = AttentionKernel.Reference; using var _ = no_grad(); attention.forward(x); },
                    "fused", () => { attention.Kernel = AttentionKernel.Fused; using var _ = no_grad(); attention.forward(x); }, options with { Repeats = 3 });
                memRows.Add((n, refMb, fusedMb, cmp.Baseline.Median * 1e3, cmp.Candidate.Median * 1e3));
            }
        }
        var longest = memRows[^1];
        if (longest.FusedMb <= 0) throw new InvalidOperationException($"fused attention at n = {longest.N} showed no peak memory growth: the reading is below the resident-size resolution");
        double memRatio = longest.RefMb / longest.FusedMb;
        double scoresMb = 4.0 * longest.N * longest.N * 4 / 1048576.0;
        // growth exponents over the lengths whose reading rose above the resident-size resolution (a reading of 0 has no logarithm)
        string Growth(Func<(int N, double RefMb, double FusedMb, double RefMs, double FusedMs), double> mb)
        {
            var read = memRows.Where(r => mb(r) > 0).ToList();
            if (read.Count < 2) return "not measurable (fewer than two lengths grew above the resolution)";
            double k = PowerLaw.Exponent(read.Select(r => (double)r.N).ToList(), read.Select(mb).ToList());
            return string.Create(CultureInfo.InvariantCulture, $"n^{k:0.00}") + (read.Count < memRows.Count ? $" (n = {read[0].N}..{read[^1].N})" : "");
        }
        var t104 = Measurement.Number("T1-04", memRatio,
            $"Peak resident growth of one attention layer (H = 128, 4 heads, batch 1, no gradient) at n = {longest.N}: reference {longest.RefMb:0.#} MiB " +
            $"(one 4 x n x n fp32 score tensor is {scoresMb:0.#} MiB), fused scaled_dot_product_attention {longest.FusedMb:0.#} MiB: {memRatio:0.#}x less. " +
            $"Growth against n (log-log slope over n = {lengths[0]}..{longest.N}): reference {Growth(r => r.RefMb)}, fused {Growth(r => r.FusedMb)}. Time at n = {longest.N}: {longest.RefMs:0.#} vs {longest.FusedMs:0.#} ms ({machine}).",
            evidence: $"Memory.PeakResidentGrowth around one forward per kernel (minimum of {memReads}; interval from the extreme readings), lengths " + string.Join(", ", lengths),
            interval: memInterval is { } mi && mi.Low <= memRatio && memRatio <= mi.High ? mi : null, kind: FigureKind.Memory);
        tables.Add(new Table("Attention layer against length (batch 1, H = 128, 4 heads)", ["n", "reference MiB", "fused MiB", "ratio", "reference ms", "fused ms"],
            memRows.Select(r => (IReadOnlyList<string>)[r.N.ToString(CultureInfo.InvariantCulture), r.RefMb.ToString("0.0", CultureInfo.InvariantCulture), r.FusedMb.ToString("0.0", CultureInfo.InvariantCulture), (r.RefMb / r.FusedMb).ToString("0.0", CultureInfo.InvariantCulture), r.RefMs.ToString("0.##", CultureInfo.InvariantCulture), r.FusedMs.ToString("0.##", CultureInfo.InvariantCulture)]).ToList()).Named("attention-by-length"));
        var ns = memRows.Select(r => (double)r.N).ToArray();
        figures.Add(Charts.Lines("Attention peak memory against sequence length (log axes)", "sequence length n", "peak resident growth, MiB", true, true,
            ("reference (T x T scores)", ns, memRows.Select(r => r.RefMb).ToArray()), ("fused (scaled_dot_product_attention)", ns, memRows.Select(r => r.FusedMb).ToArray())).Named("attention-memory"));
        figures.Add(Charts.Lines("Attention time against sequence length (log axes)", "sequence length n", "ms per forward (median)", true, true,
            ("reference", ns, memRows.Select(r => r.RefMs).ToArray()), ("fused", ns, memRows.Select(r => r.FusedMs).ToArray())).Named("attention-time"));

        // T1-05: separate vs fused QKV layout, same weights, reference kernel, batch 16 x 128 tokens.
        context.Report(Name, "separate vs fused QKV", 0.35);
        manual_seed(context.Seed);
        using var separate = new MultiHeadSelfAttention(new MultiHeadSelfAttentionConfig(128, 4, Layout: QkvLayout.Separate));
        using var fusedQkv = new MultiHeadSelfAttention(new MultiHeadSelfAttentionConfig(128, 4, Layout: QkvLayout.Fused));
        fusedQkv.CopyFrom(separate);
        using var xq = randn(16, 128, 128);

        // T1-06: encoder forward, upstream (sinusoid, reference, separate QKV, ReLU) vs modern (RoPE, fused, fused QKV, SwiGLU).
        manual_seed(context.Seed);
        using var upstream = new DeterministicLatentOde(LatentOdeConfig.Upstream);
        using var modern = new DeterministicLatentOde(LatentOdeConfig.Modern);
        upstream.eval(); modern.eval();
        int batch = sizes.Batch;
        using var tokens128 = randint(0, 30, [batch, 128]);
        using var tokens512 = randint(0, 30, [batch, 512]);
        Action Forward(DeterministicLatentOde m, Tensor tokens) => () => { using var _ = no_grad(); m.forward(tokens); };

        // T1-07: 100 tokens, upstream's sampling (full recomputation per token) vs the KV cache, same model and draws.
        int samples = sizes.Samples;
        bool same;
        using (var sa = upstream.Sample(samples, 100, new Generator((ulong)context.Seed), kvCache: false))
        using (var sb = upstream.Sample(samples, 100, new Generator((ulong)context.Seed), kvCache: true))
            same = sa.eq(sb).all().item<bool>();
        if (!same) throw new InvalidOperationException("the KV cache's samples differ from full recomputation's: the cache is wrong");

        // T1-08: one gradient computation (loss forward + backward) of the whole model on upstream's task, in train mode.
        int gradBatch = sizes.GradientBatch;
        using var gradTokens = new TargetLetterTask(context.Seed).Batch(gradBatch);
        Action Grad(DeterministicLatentOde m) => () => { m.train(); m.zero_grad(); m.Loss(gradTokens).Total.backward(); m.eval(); };

        // The four timed comparisons of T1-05..08 are taken in three blocks in turn, spread over this stretch of the experiment,
        // so a drift of the machine between them widens each interval instead of biasing one comparison.
        context.Report(Name, "QKV layout, encoder forward, generation and gradient, interleaved in blocks", 0.35);
        var compared = Timing.CompareInBlocks(
        [
            new("separate Q, K, V projections", () => { using var _ = no_grad(); separate.Project(xq); }, "fused QKV projection", () => { using var _ = no_grad(); fusedQkv.Project(xq); }, options with { Repeats = repeats * 3 }),
            new("separate Q, K, V", () => { using var _ = no_grad(); separate.forward(xq); }, "fused QKV", () => { using var _ = no_grad(); fusedQkv.forward(xq); }, options with { Repeats = repeats * 3 }),
            new("upstream encoder", Forward(upstream, tokens128), "modern encoder", Forward(modern, tokens128), options),
            new("upstream encoder", Forward(upstream, tokens512), "modern encoder", Forward(modern, tokens512), options),
            new("full recomputation", () => upstream.Sample(samples, 100, new Generator(1), kvCache: false),
                "KV cache", () => upstream.Sample(samples, 100, new Generator(1), kvCache: true), options with { Repeats = Math.Max(3, repeats / 2) }),
            new("upstream", Grad(upstream), "modern", Grad(modern), options),
        ], blocks: sizes.Blocks);
        var (projection, qkv, gen, grad) = (compared[0], compared[1], compared[4], compared[5]);
        var forwardRows = new List<(int Seq, TimingComparison C)> { (128, compared[2]), (512, compared[3]) };
        var (projectionSpeedup, projectionInterval) = Intervals.Speedup(projection);
        var (qkvSpeedup, qkvInterval) = Intervals.Speedup(qkv);
        var t105 = Measurement.Of("T1-05",
            $"Batch 16 x 128 tokens, H = 128, 4 heads, same weights: the projections alone, three separate Q, K, V matrices {projection.Baseline.Median * 1e3:0.###} ms (IQR {Iqr(projection.Baseline)}), " +
            $"one fused QKV matrix {projection.Candidate.Median * 1e3:0.###} ms (IQR {Iqr(projection.Candidate)}): {projectionSpeedup:0.###}x, 95% bootstrap interval {projectionInterval}; " +
            $"the whole attention layer {qkv.Baseline.Median * 1e3:0.###} vs {qkv.Candidate.Median * 1e3:0.###} ms: {qkvSpeedup:0.###}x {qkvInterval} ({projection.PairedRatio.Count} interleaved rounds each, {machine}).",
            [new Quantity("projectionSpeedup", projectionSpeedup, "x", projectionInterval, Samples: projection.PairedRatio.Count, Design: Sampling.Interleaved),
             new Quantity("qkvSpeedup", qkvSpeedup, "x", qkvInterval, Samples: qkv.PairedRatio.Count, Design: Sampling.Interleaved)],
            evidence: "Timing.CompareInBlocks of MultiHeadSelfAttention.Project (the projections alone) and of the whole layer, both layouts with copied weights", kind: FigureKind.Timing);
        tables.Add(projection.ToTable().Named("qkv-projections"));
        tables.Add(qkv.ToTable().Named("qkv-layout"));

        var f128 = forwardRows[0].C; var f512 = forwardRows[1].C;
        var (s512, i512) = Intervals.Speedup(f512);
        var t106 = Measurement.Number("T1-06", s512,
            $"Encoder forward (4 blocks, batch {batch}): seq 128 {f128.Baseline.Median * 1e3:0.#} -> {f128.Candidate.Median * 1e3:0.#} ms ({f128.Speedup:0.00}x); " +
            $"seq 512 {f512.Baseline.Median * 1e3:0.#} -> {f512.Candidate.Median * 1e3:0.#} ms ({f512.Speedup:0.00}x; paired IQR {f512.PairedRatio.Q1:0.00}-{f512.PairedRatio.Q3:0.00}). " +
            $"Upstream: sinusoid, reference attention, separate Q/K/V, ReLU; modern: RoPE, fused attention and QKV, SwiGLU (both pre-norm). Document: 15.2 -> 8.1 ms and 124.5 -> 31.2 ms ({machine}).",
            evidence: "Timing.Compare of the two encoders on the same tokens", interval: i512, kind: FigureKind.Timing);
        tables.Add(new Table("Encoder forward time (ms, median and IQR)", ["seq", "upstream", "modern", "speedup", "paired ratio IQR"],
            forwardRows.Select(r => (IReadOnlyList<string>)[r.Seq.ToString(CultureInfo.InvariantCulture), $"{r.C.Baseline.Median * 1e3:0.##} ({Iqr(r.C.Baseline)})", $"{r.C.Candidate.Median * 1e3:0.##} ({Iqr(r.C.Candidate)})",
                r.C.Speedup.ToString("0.00", CultureInfo.InvariantCulture), $"{r.C.PairedRatio.Q1:0.00}-{r.C.PairedRatio.Q3:0.00}"]).ToList()).Named("encoder-forward"));

        var (genSpeedup, genInterval) = Intervals.Speedup(gen);
        var t107 = Measurement.Number("T1-07", genSpeedup,
            $"Sampling {samples} sequences of 100 tokens from the upstream model (prior ODE rollout + decoder): full recomputation per token {gen.Baseline.Median * 1e3:0.#} ms (IQR {Iqr(gen.Baseline)}), " +
            $"KV cache {gen.Candidate.Median * 1e3:0.#} ms (IQR {Iqr(gen.Candidate)}): {gen.Speedup:0.00}x; the cached samples equal the recomputed ones token for token. Document: 1520 -> 410 ms ({machine}).",
            evidence: "DeterministicLatentOde.Sample with and without KvCache, same generator seed", interval: genInterval, kind: FigureKind.Timing);
        tables.Add(gen.ToTable().Named("generation"));

        var (gradSpeedup, gradInterval) = Intervals.Speedup(grad);
        var t108 = Measurement.Number("T1-08", gradSpeedup,
            $"Loss forward + backward of the whole model, batch {gradBatch} x 67 tokens, 1024 slices: upstream {grad.Baseline.Median * 1e3:0.#} ms (IQR {Iqr(grad.Baseline)}), " +
            $"modern {grad.Candidate.Median * 1e3:0.#} ms (IQR {Iqr(grad.Candidate)}): {grad.Speedup:0.00}x. Document: 45.6 -> 24.3 ms ({machine}).",
            evidence: "Timing.Compare of zero_grad + Loss + backward", interval: gradInterval, kind: FigureKind.Timing);
        tables.Add(grad.ToTable().Named("gradient"));

        upstream.train(); modern.train();
        // T1-09: encoder training step (forward + backward), plain vs one checkpoint per block.
        context.Report(Name, "gradient checkpointing", 0.85);
        int ckBatch = sizes.CheckpointBatch, ckSeq = sizes.CheckpointSequence;
        using var ckTokens = randint(0, 30, [ckBatch, ckSeq]);
        var encoder = upstream.Encoder;
        double Plain() => Memory.PeakResidentGrowth(() =>
        {
            using var s = NewDisposeScope(); upstream.zero_grad();
            encoder.forward(ckTokens).pow(2).mean().backward();
        }) ?? throw new InvalidOperationException("peak resident memory cannot be measured here");
        double Checkpointed() => Memory.PeakResidentGrowth(() =>
        {
            using var s = NewDisposeScope(); upstream.zero_grad();
            using var stem = encoder.Stem(ckTokens);
            GradientCheckpointing.Backward(encoder.Blocks.Select(b => (Func<Tensor, Tensor>)b.forward).ToList(), stem, h => encoder.Head(h).pow(2).mean());
        }) ?? throw new InvalidOperationException("peak resident memory cannot be measured here");
        Plain(); Checkpointed();
        double plainMb = Enumerable.Range(0, memReads).Select(_ => Plain()).Min() / 1048576.0;
        double ckMb = Enumerable.Range(0, memReads).Select(_ => Checkpointed()).Min() / 1048576.0;
        if (plainMb <= 0) throw new InvalidOperationException("the plain training step showed no memory growth");
        double saving = 100 * (1 - ckMb / plainMb);
        var t109 = Measurement.Number("T1-09", saving,
            $"Encoder training step (4 blocks, batch {ckBatch} x {ckSeq} tokens, gradients of the embeddings on): peak resident growth {plainMb:0.#} MiB plain, {ckMb:0.#} MiB with one checkpoint per block " +
            $"(each block recomputed in backward): {saving:0.#}% less.",
            evidence: $"GradientCheckpointing.Backward vs loss.backward(), Memory.PeakResidentGrowth minimum of {memReads}", kind: FigureKind.Memory);
        tables.Add(new Table("Gradient checkpointing (encoder training step)", ["variant", "peak growth MiB"], [["plain", plainMb.ToString("0.0", CultureInfo.InvariantCulture)], ["checkpoint per block", ckMb.ToString("0.0", CultureInfo.InvariantCulture)]]).Named("checkpointing"));
        return new ExperimentResult([t104, t105, t106, t107, t108, t109], figures, tables);
    }
}
