using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Checkpointing;
using Raccoon.Research.Blocks.Embeddings;
using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Blocks.FeedForward;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Models.LatentOde;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.LatentOde;

public class LatentOdeModelTests : IClassFixture<TorchFixture>
{
    static long Under(nn.Module m, string prefix) => Parameters.Named(m).Where(p => p.Name.StartsWith(prefix, StringComparison.Ordinal)).Sum(p => p.Tensor.numel());

    [Fact]
    public void Linear_weights_are_truncated_normal_draws_not_a_constant()
    {
        // TorchSharp 0.107's trunc_normal_(w, 0, 0.02) fills w with 0.02: every hidden unit started identical.
        manual_seed(1);
        using var m = new DeterministicLatentOde(LatentOdeConfig.Upstream);
        var linears = m.named_modules().Where(x => x.module is TorchSharp.Modules.Linear && !x.name.Contains("att_mh")).ToList();
        Assert.NotEmpty(linears);
        foreach (var (name, module) in linears)
        {
            var w = ((TorchSharp.Modules.Linear)module).weight!;
            Assert.True(w.unique().output.numel() > w.numel() / 2, $"{name}: {w.unique().output.numel()} distinct values in {w.numel()}");
            Assert.InRange(w.std().item<float>(), 0.018, 0.022);
        }
        // The draw is the truncated one: N(0, 1) cut at +-1 has standard deviation 0.5396 and nothing outside.
        using var t = empty(200_000);
        Raccoon.Research.Blocks.Initialization.TruncatedNormal(t, 0, 1, -1, 1);
        Assert.True(t.abs().max().item<float>() <= 1f);
        Assert.InRange(t.std().item<float>(), 0.535, 0.544);
        Assert.InRange(t.mean().item<float>(), -0.01, 0.01);
    }

    [Fact]
    public void UpstreamModelHasUpstreamsCountsPerModule()
    {
        using var m = new DeterministicLatentOde(LatentOdeConfig.Upstream);
        Assert.Equal(637_278, Parameters.Total(m));
        Assert.Equal(414_784, Under(m, "encoder."));
        Assert.Equal(1_920, Under(m, "encoder.emb."));
        Assert.Equal(8_320, Under(m, "encoder.in_proj."));
        for (int i = 0; i < 4; i++) Assert.Equal(99_072, Under(m, $"encoder.trunk.{i}."));
        Assert.Equal(8_256, Under(m, "encoder.proj."));
        Assert.Equal(84_288, Under(m, "p_ode."));
        Assert.Equal(121_502, Under(m, "p_observe."));
        Assert.Equal(1_920, Under(m, "p_observe.token_emb."));
        Assert.Equal(8_320, Under(m, "p_observe.latent_proj."));
        Assert.Equal(8_320, Under(m, "p_observe.token_proj."));
        Assert.Equal(99_072, Under(m, "p_observe.block."));
        Assert.Equal(3_870, Under(m, "p_observe.proj_out."));
        Assert.Equal(16_576, Under(m, "predictor."));
        Assert.Equal(128, Under(m, "p_init"));
        // One block: 2 LayerNorms, 4 bias-free 128 x 128 attention matrices, fc1/fc2 with bias.
        Assert.Equal(512, Under(m, "encoder.trunk.0.att_ln.") + Under(m, "encoder.trunk.0.ffn_ln."));
        Assert.Equal(4 * 16_384, Under(m, "encoder.trunk.0.att_mh."));
        Assert.Equal(2 * 16_512, Under(m, "encoder.trunk.0.ffn."));
    }

    [Fact]
    public void StructureIsFourBidirectionalBlocksOneCausalBlockFourHeads()
    {
        using var m = new DeterministicLatentOde(LatentOdeConfig.Upstream);
        Assert.Equal(4, m.Encoder.Blocks.Count);
        Assert.All(m.Encoder.Blocks, b => Assert.False(b.Config.Causal));
        Assert.True(m.Decoder.Block.Config.Causal);
        Assert.All(m.Encoder.Blocks.Append(m.Decoder.Block), b => Assert.Equal((4, 32), (b.Config.Heads, b.Config.Attention.HeadDim)));
    }

    [Fact]
    public void UpstreamBlockIsPreNorm()
    {
        manual_seed(3);
        using var m = new DeterministicLatentOde(LatentOdeConfig.Upstream);
        var block = m.Encoder.Blocks[0];
        using var x = randn(2, 7, 128);
        using var _ = no_grad();
        var r = x + block.Attention.forward(block.AttentionNorm.forward(x));
        var pre = r + block.FeedForward.forward(block.FeedForwardNorm.forward(r));
        Assert.True(block.forward(x).allclose(pre, 1e-5, 1e-5));
    }

    [Fact]
    public void TaskIsUpstreams67TokenTargetLetterSequence()
    {
        var task = new TargetLetterTask(seed: 5);
        var batch = task.Batch(50);
        Assert.Equal(new long[] { 50, 67 }, batch.shape);
        Assert.Equal(30, TargetLetterTask.Alphabet.Length);
        for (int b = 0; b < 50; b++)
        {
            string s = TargetLetterTask.Decode(batch[b]);
            Assert.Equal('?', s[0]);
            Assert.Equal('>', s[2]);
            char letter = s[1];
            Assert.InRange(letter, 'A', 'Z');
            Assert.All(s[3..], c => Assert.True(c == '_' || c == '!' || c == letter));
            Assert.True(s[3..].Count(c => c == letter) <= 8);
        }
    }

    [Fact]
    public void LossTrainsAndIsFinite()
    {
        manual_seed(1);
        using var m = new DeterministicLatentOde(LatentOdeConfig.Upstream with { Slices = 16 });
        var task = new TargetLetterTask(seed: 1, bodyLength: 16);
        using var tokens = task.Batch(4);
        var loss = m.Loss(tokens);
        Assert.True(double.IsFinite(loss.Total.item<float>()));
        Assert.True(loss.Reconstruction > 0 && loss.LatentTest >= 0 && loss.OdeMatching >= 0);
        loss.Total.backward();
        Assert.All(Parameters.Named(m).Where(p => p.Name.StartsWith("encoder.")), p => Assert.NotNull(p.Tensor.grad));
    }

    [Fact]
    public void KvCacheEqualsFullRecomputation()
    {
        foreach (var config in new[] { LatentOdeConfig.Upstream, LatentOdeConfig.Modern, LatentOdeConfig.Upstream with { Positions = PositionEncoding.Alibi } })
        {
            manual_seed(2);
            using var m = new DeterministicLatentOde(config with { Slices = 8 });
            m.eval();
            using var tokens = new TargetLetterTask(seed: 2, bodyLength: 20).Batch(3);
            using var z = randn(3, 23, 64);
            using var _ = no_grad();
            var full = m.Decoder.forward(z, tokens);
            var cached = m.CachedLogits(z, tokens);
            Assert.True(full.allclose(cached, 1e-4, 1e-4), $"{config.Positions}: cached logits differ by {(full - cached).abs().max().item<float>()}");
            var a = m.Sample(3, 30, new Generator(9), kvCache: false);
            var b = m.Sample(3, 30, new Generator(9), kvCache: true);
            Assert.True(a.eq(b).all().item<bool>(), $"{config.Positions}: sampled tokens differ");
        }
    }

    [Fact]
    public void BadInputIsRejectedWithClearErrors()
    {
        Assert.Contains("divisible", Assert.Throws<ArgumentException>(() => new DeterministicLatentOde(LatentOdeConfig.Upstream with { Heads = 3 })).Message);
        using var m = new DeterministicLatentOde(LatentOdeConfig.Upstream with { Slices = 8 });
        Assert.Contains("vocabulary", Assert.Throws<ArgumentException>(() => m.forward(tensor(new long[] { 0, 31, 2 }).view(1, 3))).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => m.forward(zeros(1, 3))).Message);
        using var cache = new KvCache();
        cache.Append(zeros(2, 4, 1, 8), zeros(2, 4, 1, 8));
        Assert.Contains("one batch", Assert.Throws<ArgumentException>(() => cache.Append(zeros(3, 4, 1, 8), zeros(3, 4, 1, 8))).Message);
        Assert.Contains("body", Assert.Throws<ArgumentException>(() => new TargetLetterTask(1, bodyLength: 4)).Message);
    }
}
