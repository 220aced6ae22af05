using Raccoon.Research.Blocks.Convolution;
using Raccoon.Research.Models.GlyphCnn;
using Raccoon.Research.Tests.Support;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.GlyphCnn;

public class GlyphCnnModelTests : IClassFixture<TorchFixture>
{
    // embedding, stem, stage 0, stage 1 (with its stride-2 conv), stage 2 (with its stride-2 conv), head, total; at 1197 classes
    [Theory]
    [InlineData("full", 98_304, 83_136, 498_816, 2_159_232, 3_984_896, 373_933, 7_198_317)]
    [InlineData("light", 65_536, 36_992, 147_968, 664_832, 1_550_208, 357_421, 2_822_957)]
    [InlineData("tiny", 49_152, 20_832, 83_328, 374_208, 701_696, 171_181, 1_400_397)]
    public void CountsAreUpstreamsAt1197Classes(string variant, long embedding, long stem, long s0, long s1, long s2, long head, long total)
    {
        using var m = new GlyphCnnClassifier(GlyphCnnConfig.ByName(variant));
        Assert.Equal(total, m.ParameterCount);
        Assert.Equal([embedding, stem, s0, s1, s2, head], m.Components().Select(c => c.Parameters).ToArray());
        Assert.Equal(["embedding", "stem", "stage 0", "stage 1", "stage 2", "head"], m.Components().Select(c => c.Name).ToArray());
        Assert.Equal(stem + s0 + s1 + s2, m.TrunkParameters);
    }

    [Theory]
    [InlineData("full", 350_700_000)]
    [InlineData("light", 114_800_000)]
    [InlineData("tiny", 61_800_000)]
    public void MacsPerGlyphAreTheSpecs(string variant, long macs)
    {
        using var m = new GlyphCnnClassifier(GlyphCnnConfig.ByName(variant));
        Assert.InRange(m.Operations().Macs, macs - 50_000, macs + 50_000); // specs give them to 0.1M
    }

    [Fact]
    public void ForwardGivesLogitsPerClassAndDownsamplesTwice()
    {
        manual_seed(1);
        using var m = new GlyphCnnClassifier(GlyphCnnConfig.Tiny(classes: 7));
        m.eval();
        using var grids = randint(0, 1024, [3, 16, 16], dtype: ScalarType.Int64);
        using var logits = m.forward(grids);
        Assert.Equal([3L, 7L], logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void ResidualBlockAddsItsBranchWithNoActivationAfter()
    {
        manual_seed(2);
        using var block = new PostActivationResidualBlock(4);
        block.eval();
        using var x = randn(2, 4, 5, 5);
        using var y = block.forward(x);
        // a GELU after the add would bound the output below by about -0.17; the plain sum is not bounded
        Assert.True(y.min().item<float>() < -0.5);
        Assert.Equal(x.shape, y.shape);
    }

    [Fact]
    public void BadGridsGetClearErrors()
    {
        using var m = new GlyphCnnClassifier(GlyphCnnConfig.Tiny(classes: 3));
        var e1 = Assert.Throws<ArgumentException>(() => m.forward(full(new long[] { 1, 16, 16 }, 1024L, dtype: ScalarType.Int64)));
        Assert.Contains("0..1023", e1.Message);
        Assert.Throws<ArgumentException>(() => m.forward(full(new long[] { 1, 16, 16 }, -1L, dtype: ScalarType.Int64)));
        var e2 = Assert.Throws<ArgumentException>(() => m.forward(zeros(new long[] { 2, 16, 15 }, dtype: ScalarType.Int64)));
        Assert.Contains("(B, 16, 16)", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => m.forward(zeros(new long[] { 0, 16, 16 }, dtype: ScalarType.Int64)));
        Assert.Contains("empty", e3.Message);
        Assert.Throws<ArgumentException>(() => m.forward(zeros(2, 16, 16)));
        Assert.Throws<ArgumentException>(() => GlyphCnnConfig.ByName("huge"));
    }
}
