using System.Globalization;
using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Models.LatentOde;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.LatentOde;

/// <summary>T1-01 and T1-02 from the built upstream model: its blocks, heads and masks, and which norm
/// order its block's output actually follows (compared numerically with both formulas on the same weights).</summary>
public sealed class LatentOdeStructureExperiment : IExperiment
{
    public string Name => "latent-ode-structure";
    public string Title => "Latent ODE model: structure, parameter counts and the block's norm order";
    public IReadOnlyList<string> Claims => ["T1-01", "T1-02"];

    public ExperimentResult Run(ExperimentContext context)
    {
        manual_seed(context.Seed);
        using var model = new DeterministicLatentOde(LatentOdeConfig.Upstream);
        var enc = model.Encoder.Blocks;
        var dec = model.Decoder.Block;
        int encBidirectional = enc.Count(b => !b.Config.Causal);
        var heads = enc.Append(dec).Select(b => b.Config.Heads).Distinct().ToList();
        // Causality measured, not read from a flag: does changing the last token move the first position's output?
        using var x = randn(1, 10, 128);
        using var x2 = x.clone();
        using (no_grad()) x2[0, 9] = randn(128);
        double Leak(TransformerBlock b) { using var _ = no_grad(); return (b.forward(x) - b.forward(x2))[0, 0].abs().max().item<float>(); }
        double encLeak = Leak(enc[0]), decLeak = Leak(dec);
        var t101 = Measurement.Of("T1-01",
            $"Built upstream model: {enc.Count} encoder blocks ({encBidirectional} bidirectional: changing the last token moves the first position's output by {encLeak:0.###}), " +
            $"1 decoder block, causal (the same change moves its first output by {decLeak:0.###}); heads per block {string.Join("/", heads)} of width {dec.Config.Attention.HeadDim}; " +
            $"{Parameters.Total(model):N0} parameters.",
            [
                new Quantity("encoderBlocks", enc.Count, "blocks"), new Quantity("bidirectionalEncoderBlocks", encBidirectional, "blocks"),
                new Quantity("causalDecoderBlocks", dec.Config.Causal ? 1 : 0, "blocks"),
                new Quantity("fewestHeads", heads.Min(), "heads"), new Quantity("mostHeads", heads.Max(), "heads"),
                new Quantity("encoderFutureLeak", encLeak), new Quantity("decoderFutureLeak", decLeak),
            ],
            evidence: "DeterministicLatentOde(LatentOdeConfig.Upstream)");

        var block = enc[0];
        double pre, post;
        using (no_grad())
        {
            var y = block.forward(x);
            var r = x + block.Attention.forward(block.AttentionNorm.forward(x));
            var preY = r + block.FeedForward.forward(block.FeedForwardNorm.forward(r));
            var q = block.AttentionNorm.forward(x + block.Attention.forward(x));
            var postY = block.FeedForwardNorm.forward(q + block.FeedForward.forward(q));
            pre = (y - preY).abs().max().item<float>();
            post = (y - postY).abs().max().item<float>();
        }
        var t102 = Measurement.Of("T1-02",
            $"Upstream's block output differs from x + f(LN(x)) (pre-norm) by at most {pre:0.##E+0} and from LN(x + f(x)) (post-norm) by {post:0.###}, same weights.",
            [new Quantity("preNormDistance", pre), new Quantity("postNormDistance", post)],
            evidence: "TransformerBlock of the upstream encoder against both formulas, same weights");

        var rows = new List<IReadOnlyList<string>>();
        void Row(string module, string prefix) => rows.Add([module, Parameters.Named(model).Where(p => p.Name.StartsWith(prefix, StringComparison.Ordinal)).Sum(p => p.Tensor.numel()).ToString("N0", CultureInfo.InvariantCulture)]);
        Row("encoder", "encoder."); Row("  embedding", "encoder.emb."); Row("  input Linear", "encoder.in_proj.");
        for (int i = 0; i < 4; i++) Row($"  block {i}", $"encoder.trunk.{i}.");
        Row("  output Linear", "encoder.proj."); Row("prior ODE", "p_ode."); Row("observation decoder", "p_observe.");
        Row("  causal block", "p_observe.block."); Row("predictor (unused)", "predictor."); Row("p_init (unused)", "p_init");
        rows.Add(["total", Parameters.Total(model).ToString("N0", CultureInfo.InvariantCulture)]);
        return new ExperimentResult([t101, t102], null, [new Table("Parameters of the upstream DeterministicLatentODE (30, 64, 128, 64)", ["module", "parameters"], rows).Named("parameters")]);
    }
}
