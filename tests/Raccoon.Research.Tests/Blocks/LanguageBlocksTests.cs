using Raccoon.Research.Blocks.Mixing;
using Raccoon.Research.Blocks.Normalization;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using FF = Raccoon.Research.Blocks.FeedForward.FeedForward;

namespace Raccoon.Research.Tests.Blocks;

public class LanguageBlocksTests : IClassFixture<TorchFixture>
{
    [Fact]
    public void StdLayerNormDividesByStdPlusEps()
    {
        var norm = new StdLayerNorm(4, eps: 0.5);
        var x = tensor(new float[] { 1, 2, 3, 6, -1, -1, 1, 1 }, [2, 4]);
        var y = norm.forward(x);
        // row 0: mean 3, population std sqrt(3.5); row 1: mean 0, std 1
        double s0 = Math.Sqrt(3.5);
        float[] expected = [(float)(-2 / (s0 + 0.5)), (float)(-1 / (s0 + 0.5)), 0, (float)(3 / (s0 + 0.5)), -1 / 1.5f, -1 / 1.5f, 1 / 1.5f, 1 / 1.5f];
        Assert.Equal(expected, y.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal(8, norm.parameters().Sum(p => p.numel()));
        Assert.Throws<ArgumentException>(() => norm.forward(zeros(2, 5)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WithoutGradientsTheNormAndTheBlockGiveTheSameBitsInPlace(bool causal)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var block = new HyperMixerBlock(new HyperTokenMixerConfig(ModelDim: 16, MixHidden: 8, MaxLength: 12, HyperHidden: 4, Causal: causal), hiddenDim: 32);
        foreach (var p in block.parameters()) using (no_grad()) p.add_(randn_like(p) * 0.1); // not the initial 1 and 0 of the norms
        block.eval();
        var x = randn(2, 12, 16) * 2 + 0.5;
        var before = x.data<float>().ToArray();
        var norm = new StdLayerNorm(16);
        using (no_grad()) { norm.parameters().First().mul_(1.7); norm.parameters().Last().add_(0.3); }
        Tensor blockWithGraph = block.forward(x), normWithGraph = norm.forward(x);
        Tensor blockInPlace, normInPlace;
        using (no_grad()) { blockInPlace = block.forward(x); normInPlace = norm.forward(x); }
        Assert.Equal(blockWithGraph.data<float>().ToArray(), blockInPlace.data<float>().ToArray());
        Assert.Equal(normWithGraph.data<float>().ToArray(), normInPlace.data<float>().ToArray());
        Assert.Equal(before, x.data<float>().ToArray()); // the in-place work never touches the input
    }

    [Fact]
    public void FeedForwardCountsAndActivation()
    {
        manual_seed(1);
        var relu = new FF(128, 256);
        Assert.Equal(65_920, relu.parameters().Sum(p => p.numel()));
        var hyper = new FF(128, 32, 10_384);
        Assert.Equal(128 * 32 + 32 + 32 * 10_384 + 10_384, hyper.parameters().Sum(p => p.numel()));
        var gelu = new FF(8, 16, activation: nn.GELU());
        gelu.load_state_dict(new FF(8, 16).state_dict());
        var x = randn(3, 5, 8);
        Assert.Equal([3L, 5, 8], gelu.forward(x).shape);
        var reluTwin = new FF(8, 16);
        reluTwin.load_state_dict(gelu.state_dict());
        Assert.False(gelu.forward(x).allclose(reluTwin.forward(x))); // the activation is the only difference
    }

    static HyperTokenMixerConfig Tiny(bool causal) => new(ModelDim: 6, MixHidden: 4, MaxLength: 7, HyperHidden: 3, Causal: causal);

    [Fact]
    public void HypernetworkGeneratesThePublishedSizes()
    {
        var c = new HyperTokenMixerConfig();
        Assert.Equal(10_384, c.GeneratedSize);
        Assert.Equal(c.HypernetworkParameters, new HyperTokenMixer(c).parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void UpstreamMixingMatchesAPerChannelLoop()
    {
        manual_seed(2);
        var mixer = new HyperTokenMixer(Tiny(false));
        var x = randn(2, 5, 6);
        var y = mixer.forward(x);
        using var noGrad = no_grad();
        for (int b = 0; b < 2; b++)
        {
            var g = mixer.Hypernetwork.forward(x[b].mean([0L])); // (G)
            var w1 = g.narrow(0, 0, 28).view(7, 4).narrow(0, 0, 5);
            var b1 = g.narrow(0, 28, 4);
            var w2 = g.narrow(0, 32, 28).view(4, 7).narrow(1, 0, 5);
            var b2 = g.narrow(0, 60, 7).narrow(0, 0, 5);
            for (int c = 0; c < 6; c++)
            {
                var col = x[b, .., c];                                         // (T)
                var mixed = nn.functional.relu(col.matmul(w1) + b1).matmul(w2) + b2; // (T)
                Assert.True(mixed.allclose(y[b, .., c], rtol: 1e-4, atol: 1e-5));
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BatchedMixingAgreesWithTheReferenceLoopInValuesAndGradients(bool causal)
    {
        manual_seed(11);
        var mixer = new HyperTokenMixer(Tiny(causal));
        var x = randn(3, 6, 6).requires_grad_(true);
        var upstream = randn(3, 6, 6); // a fixed random cotangent, so every output entry matters
        (Tensor Y, Tensor[] Grads) Run(Func<Tensor, Tensor> mix)
        {
            mixer.zero_grad();
            x.grad?.zero_();
            var y = mix(x);
            (y * upstream).sum().backward();
            return (y.detach().clone(), [x.grad!.clone(), .. mixer.parameters().Select(p => p.grad!.clone())]);
        }
        var (fast, fastGrads) = Run(mixer.forward);
        var (reference, referenceGrads) = Run(mixer.ReferenceForward);
        Assert.True(fast.allclose(reference, rtol: 1e-4, atol: 1e-5));
        Assert.Equal(referenceGrads.Length, fastGrads.Length);
        for (int i = 0; i < fastGrads.Length; i++)
        {
            Assert.True(referenceGrads[i].abs().max().item<float>() > 0, $"gradient {i} is zero: the check would be vacuous");
            Assert.True(fastGrads[i].allclose(referenceGrads[i], rtol: 1e-4, atol: 1e-5), $"gradient {i}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CausalMixingIgnoresTheFutureUpstreamDoesNot(bool causal)
    {
        manual_seed(3);
        var mixer = new HyperTokenMixer(Tiny(causal));
        var x = randn(1, 6, 6);
        var changed = x.clone();
        changed[0, 4] = randn(6); // touch position 4 only
        var y0 = mixer.forward(x);
        var y1 = mixer.forward(changed);
        bool pastSame = y0.narrow(1, 0, 4).allclose(y1.narrow(1, 0, 4), rtol: 1e-5, atol: 1e-6);
        Assert.Equal(causal, pastSame);
        Assert.False(y0.narrow(1, 4, 2).allclose(y1.narrow(1, 4, 2))); // position 4 onwards does see it
    }

    [Fact]
    public void CausalMixingOfAPrefixEqualsThePrefixOfTheMixing()
    {
        manual_seed(4);
        var mixer = new HyperTokenMixer(Tiny(true));
        var x = randn(2, 7, 6);
        var full = mixer.forward(x);
        for (int t = 1; t < 7; t++)
            Assert.True(mixer.forward(x.narrow(1, 0, t)).allclose(full.narrow(1, 0, t), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void CausalMixingMatchesGeneratingEverythingPerPosition()
    {
        manual_seed(9);
        var c = Tiny(true);
        var mixer = new HyperTokenMixer(c);
        var x = randn(2, 5, 6);
        var y = mixer.forward(x);
        using var noGrad = no_grad();
        long[] degree = [0, 1, 3, 5]; // floor(k * 7 / 4)
        for (int j = 0; j < 5; j++)
        {
            var g = mixer.Hypernetwork.forward(x.narrow(1, 0, j + 1).mean([1L])); // (B, G) from the running mean
            var w1 = g.narrow(1, 0, 28).view(2, 7, 4);
            var b1 = g.narrow(1, 28, 4);
            var w2 = g.narrow(1, 32, 28).view(2, 4, 7);
            var b2 = g.narrow(1, 60, 7);
            var expected = b2[.., j].unsqueeze(1).expand(2, 6).clone(); // (B, D)
            for (int k = 0; k < 4; k++)
            {
                if (degree[k] > j) continue;                           // hidden unit k may not feed output j
                var pre = b1[.., k].unsqueeze(1).expand(2, 6).clone();
                for (int i = 0; i <= degree[k] && i < 5; i++)
                    pre += x[.., i, ..] * w1[.., i, k].unsqueeze(1);
                expected += nn.functional.relu(pre) * w2[.., k, j].unsqueeze(1);
            }
            Assert.True(expected.allclose(y[.., j, ..], rtol: 1e-4, atol: 1e-5), $"position {j}");
        }
    }

    [Fact]
    public void MixerRejectsBadShapes()
    {
        var mixer = new HyperTokenMixer(Tiny(false));
        Assert.Contains("maximum length 7", Assert.Throws<ArgumentException>(() => mixer.forward(zeros(1, 8, 6))).Message);
        Assert.Throws<ArgumentException>(() => mixer.forward(zeros(1, 3, 5)));
        Assert.Throws<ArgumentException>(() => mixer.forward(zeros(0, 3, 6)));
        var wrong = new FF(6, 3, 10);
        Assert.Contains("shared hypernetwork", Assert.Throws<ArgumentException>(() => new HyperTokenMixer(Tiny(false), wrong)).Message);
    }
}
