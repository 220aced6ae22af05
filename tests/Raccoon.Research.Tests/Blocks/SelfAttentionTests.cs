using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Blocks;

public sealed class SelfAttentionTests(TorchFixture _) : IClassFixture<TorchFixture>
{
    public static TheoryData<int, bool, bool> Variants() => new()
    {
        { 1, false, true }, { 1, true, true }, { 4, false, true }, { 4, true, true },
        { 1, false, false }, { 1, true, false }, { 4, false, false }, { 4, true, false },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Reference_and_fused_kernels_agree_over_the_same_weights(int heads, bool causal, bool outputProjection)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var attention = new SelfAttention(new SelfAttentionConfig(16, heads, causal, OutputProjection: outputProjection), AttentionKernel.Reference);
        var x = randn(3, 9, 16);

        var reference = attention.call(x);
        attention.Kernel = AttentionKernel.Fused;
        var fused = attention.call(x);

        Assert.Equal([3L, 9, 16], fused.shape);
        Assert.True(reference.allclose(fused, rtol: 1e-5, atol: 1e-5), $"max difference {(reference - fused).abs().max().item<float>()}");
    }

    [Fact]
    public void Causal_attention_ignores_the_future_in_both_kernels()
    {
        using var scope = NewDisposeScope();
        using var attention = new SelfAttention(new SelfAttentionConfig(8, 2, Causal: true));
        var x = randn(1, 6, 8);
        var changed = x.clone();
        changed[0, 5] = randn(8); // only the last step differs
        foreach (var kernel in new[] { AttentionKernel.Reference, AttentionKernel.Fused })
        {
            attention.Kernel = kernel;
            var a = attention.call(x);
            var b = attention.call(changed);
            Assert.True(a[0, ..5].allclose(b[0, ..5], atol: 1e-6), $"{kernel}: earlier steps saw the future");
            Assert.False(a[0, 5].allclose(b[0, 5], atol: 1e-6));
        }
    }

    [Theory]
    [InlineData(16, 1, true, true, true, 4 * (16 * 16 + 16))]        // Wq, Wk, Wv, Wo with biases
    [InlineData(16, 4, true, true, true, 4 * (16 * 16 + 16))]        // heads split D, they add no weights
    [InlineData(16, 1, true, false, true, 3 * (16 * 16 + 16))]       // RustGPT's single-head layer: no output projection
    [InlineData(16, 1, false, false, true, 3 * 16 * 16)]             // no biases at all
    [InlineData(12, 3, false, true, false, 4 * 12 * 12)]
    [InlineData(12, 3, true, true, false, 3 * (12 * 12 + 12) + 12 * 12)]
    public void Parameter_count_equals_hand_arithmetic(int dim, int heads, bool qkvBias, bool outputProjection, bool outputBias, long expected)
    {
        using var attention = new SelfAttention(new SelfAttentionConfig(dim, heads, QkvBias: qkvBias, OutputProjection: outputProjection, OutputBias: outputBias));
        var tree = Parameters.Count(attention);
        Assert.Equal(expected, tree.Parameters);
        Assert.Equal(dim * dim + (qkvBias ? dim : 0), tree["wq"].Parameters);
        Assert.Equal(outputProjection ? 4 : 3, tree.Children.Count);
    }

    [Fact]
    public void Wrong_shapes_are_refused_by_name()
    {
        Assert.Throws<ArgumentException>(() => new SelfAttention(new SelfAttentionConfig(10, 4)));
        using var attention = new SelfAttention(new SelfAttentionConfig(8, 2));
        using var x = randn(2, 5, 6);
        var e = Assert.Throws<ArgumentException>(() => attention.call(x));
        Assert.Contains("(batch, time, 8)", e.Message);
    }
}
