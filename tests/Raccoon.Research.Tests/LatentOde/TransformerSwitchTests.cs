using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Checkpointing;
using Raccoon.Research.Blocks.Embeddings;
using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Blocks.FeedForward;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.LatentOde;

/// <summary>The document's switches: every combination builds, fused == reference, cache == recomputation.</summary>
public class TransformerSwitchTests : IClassFixture<TorchFixture>
{
    public static IEnumerable<object[]> EveryChoice() =>
        from ffn in Enum.GetValues<FeedForwardKind>()
        from pos in Enum.GetValues<AttentionPositions>()
        from layout in Enum.GetValues<QkvLayout>()
        from norm in Enum.GetValues<NormOrder>()
        from causal in new[] { false, true }
        select new object[] { ffn, pos, layout, norm, causal };

    [Theory]
    [MemberData(nameof(EveryChoice))]
    public void FusedKernelEqualsReferenceAndCacheEqualsRecomputation(FeedForwardKind ffn, AttentionPositions pos, QkvLayout layout, NormOrder norm, bool causal)
    {
        manual_seed(11);
        using var block = new TransformerBlock(new TransformerBlockConfig(32, 4, 24, causal, norm, ffn, pos, layout));
        using var x = randn(2, 9, 32);
        using var _ = no_grad();
        block.Attention.Kernel = AttentionKernel.Reference;
        var reference = block.forward(x);
        block.Attention.Kernel = AttentionKernel.Fused;
        var fused = block.forward(x);
        Assert.Equal(new long[] { 2, 9, 32 }, reference.shape);
        Assert.True(reference.allclose(fused, 1e-5, 1e-5), $"fused differs by {(reference - fused).abs().max().item<float>()}");
        if (!causal) return;
        foreach (var kernel in Enum.GetValues<AttentionKernel>())
        {
            block.Attention.Kernel = kernel;
            using var cache = new KvCache();
            var steps = Enumerable.Range(0, 9).Select(t => block.Forward(x.narrow(1, t, 1), cache)).ToArray();
            var cached = cat(steps, 1);
            Assert.True(reference.allclose(cached, 1e-5, 1e-5), $"{kernel}: cached differs by {(reference - cached).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void FusedQkvLayoutEqualsSeparateWithTheSameWeights()
    {
        manual_seed(4);
        var separate = new MultiHeadSelfAttention(new(64, 4, Layout: QkvLayout.Separate));
        var fused = new MultiHeadSelfAttention(new(64, 4, Layout: QkvLayout.Fused));
        fused.CopyFrom(separate);
        Assert.Equal(Parameters.Total(separate), Parameters.Total(fused));
        using var x = randn(3, 5, 64);
        using var _ = no_grad();
        Assert.True(separate.forward(x).allclose(fused.forward(x), 1e-5, 1e-5));
        // the projections alone (what T1-05 times) give the same per-head queries, keys and values
        var (qs, ks, vs) = separate.Project(x);
        var (qf, kf, vf) = fused.Project(x);
        Assert.Equal([3L, 4, 5, 16], qf.shape);
        Assert.True(qs.allclose(qf, 1e-5, 1e-5) && ks.allclose(kf, 1e-5, 1e-5) && vs.allclose(vf, 1e-5, 1e-5));
    }

    [Fact]
    public void RopeScoresDependOnlyOnTheOffset()
    {
        var rope = new RotaryPositionEmbedding(16);
        manual_seed(5);
        using var q = randn(1, 1, 1, 16).expand(1, 1, 12, 16);
        using var k = randn(1, 1, 1, 16).expand(1, 1, 12, 16);
        var scores = rope.forward(q, 0).matmul(rope.forward(k, 0).transpose(-2, -1))[0, 0]; // (12, 12)
        for (int i = 0; i + 1 < 12; i++)
            for (int j = 0; j + 1 < 12; j++)
                Assert.Equal(scores[i, j].item<float>(), scores[i + 1, j + 1].item<float>(), 4);
        // Shifting every position by 7 changes no score.
        var shifted = rope.forward(q, 7).matmul(rope.forward(k, 7).transpose(-2, -1))[0, 0];
        Assert.True(scores.allclose(shifted, 1e-4, 1e-4));
        // Rotation keeps each vector's norm.
        Assert.True(rope.forward(q, 3).norm(-1).allclose(q.norm(-1), 1e-5, 1e-5));
        Assert.Throws<ArgumentException>(() => new RotaryPositionEmbedding(15));
    }

    [Fact]
    public void AlibiSlopesAreThePapersGeometricSequence()
    {
        Assert.Equal([0.25, 0.0625, 0.015625, 0.00390625], AlibiBias.SlopesFor(4));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => Math.Pow(2, -i)), AlibiBias.SlopesFor(8));
        Assert.Equal([0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125], AlibiBias.SlopesFor(6));
        var bias = new AlibiBias(4).forward(3, 5, 2); // queries at 2, 3, 4
        Assert.Equal(new long[] { 4, 3, 5 }, bias.shape);
        Assert.Equal(0f, bias[0, 0, 2].item<float>());
        Assert.Equal(-0.25f * 2, bias[0, 0, 0].item<float>());
        Assert.Equal(-0.0625f * 4, bias[1, 2, 0].item<float>());
    }

    [Fact]
    public void GluFeedForwardsHoldHalfAgainTheReluParameters()
    {
        var relu = FeedForwards.Create(FeedForwardKind.Relu, 128, 128);
        var swiglu = FeedForwards.Create(FeedForwardKind.SwiGlu, 128, 128);
        var geglu = FeedForwards.Create(FeedForwardKind.GeGlu, 128, 128);
        Assert.Equal(33_024, Parameters.Total(relu));
        Assert.Equal(49_536, Parameters.Total(swiglu));
        Assert.Equal(49_536, Parameters.Total(geglu));
        int matched = FeedForwards.MatchedHidden(FeedForwardKind.SwiGlu, 128);
        Assert.Equal(85, matched);
        // Same weights, different gate: SwiGLU and GeGLU are different functions.
        manual_seed(8);
        var swish = new GatedFeedForward(8, 6, GluActivation.Swish);
        var gelu = new GatedFeedForward(8, 6, GluActivation.Gelu);
        gelu.load_state_dict(swish.state_dict());
        using var x = randn(4, 8);
        using (no_grad()) Assert.False(swish.forward(x).allclose(gelu.forward(x), 1e-4, 1e-4));
        Assert.Equal(3 * 128 * 85 + 2 * 85 + 128, Parameters.Total(FeedForwards.Create(FeedForwardKind.SwiGlu, 128, matched)));
    }

    [Fact]
    public void CheckpointedGradientsEqualPlainGradients()
    {
        manual_seed(6);
        var blocks = Enumerable.Range(0, 3).Select(_ => new TransformerBlock(new TransformerBlockConfig(32, 4, 32, FeedForward: FeedForwardKind.SwiGlu, Positions: AttentionPositions.Rope))).ToList();
        using var x = randn(2, 6, 32);
        Tensor Head(Tensor y) => y.pow(2).mean();
        var plainLoss = Head(blocks.Aggregate(x, (h, b) => b.forward(h)));
        plainLoss.backward();
        var plain = blocks.SelectMany(b => b.parameters()).Select(p => p.grad!.clone()).ToList();
        foreach (var b in blocks) b.zero_grad();
        double loss = GradientCheckpointing.Backward(blocks.Select(b => (Func<Tensor, Tensor>)b.forward).ToList(), x, Head);
        var checkpointed = blocks.SelectMany(b => b.parameters()).Select(p => p.grad!).ToList();
        Assert.Equal(plainLoss.item<float>(), loss, 5);
        Assert.Equal(plain.Count, checkpointed.Count);
        for (int i = 0; i < plain.Count; i++) Assert.True(plain[i].allclose(checkpointed[i], 1e-5, 1e-6), $"gradient {i} differs");
    }

    [Fact]
    public void HeadCountThatDoesNotDivideTheWidthIsRejected()
    {
        Assert.Contains("divisible", Assert.Throws<ArgumentException>(() => new MultiHeadSelfAttention(new(30, 4))).Message);
    }
}
