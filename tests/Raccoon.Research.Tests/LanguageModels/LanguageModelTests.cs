using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Models.LanguageModels;
using Raccoon.Research.Tests.Support;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.LanguageModels;

public class LanguageModelTests : IClassFixture<TorchFixture>
{
    static readonly LanguageModelConfig Small = new(VocabularySize: 17, MaxLength: 12, ModelDim: 16, HiddenDim: 24, Layers: 2);

    [Fact]
    public void DocumentConfigurationGivesTheDocumentsCounts()
    {
        var c = LanguageModelConfig.Document;
        Assert.Equal(493_973, new TransformerLanguageModel(c).ParameterCount);
        Assert.Equal(1_386_917, new HyperMixerLanguageModel(c).ParameterCount);
        Assert.Equal(1_386_917, new HyperMixerLanguageModel(c, HyperMixerVariant.Causal).ParameterCount);
    }

    [Theory]
    [InlineData(100, 40)]
    [InlineData(533, 1024)]
    public void CountsFollowTheClosedForms(int v, int n)
    {
        var c = LanguageModelConfig.Document with { VocabularySize = v, MaxLength = n };
        Assert.Equal(257L * v + 128L * n + 346_752, new TransformerLanguageModel(c).ParameterCount);
        Assert.Equal(257L * v + 12_899L * n + 218_016, new HyperMixerLanguageModel(c).ParameterCount);
    }

    [Fact]
    public void SharingTheHypernetworkCountsItOnce()
    {
        var c = LanguageModelConfig.Document;
        long oneHyper = HyperMixerLanguageModel.MixerConfig(c, HyperMixerVariant.Upstream).HypernetworkParameters;
        Assert.Equal(1_386_917 - 2 * oneHyper, new HyperMixerLanguageModel(c with { ShareHypernetwork = true }).ParameterCount);
    }

    [Fact]
    public void LayerStacksAreTheDocumentsLists()
    {
        var c = LanguageModelConfig.Document;
        string[] transformer = ["Embeddings", .. Enumerable.Repeat(new[] { "SelfAttention", "LayerNorm", "FeedForward", "LayerNorm" }, 3).SelectMany(s => s), "OutputProjection"];
        string[] hyper = ["Embeddings", "HyperMixerBlock", "HyperMixerBlock", "HyperMixerBlock", "OutputProjection"];
        var t = new TransformerLanguageModel(c);
        var h = new HyperMixerLanguageModel(c);
        Assert.Equal(14, t.LayerStack.Count);
        Assert.Equal(5, h.LayerStack.Count);
        Assert.Equal(transformer, t.LayerStack.Select(l => l.Type));
        Assert.Equal(hyper, h.LayerStack.Select(l => l.Type));
        Assert.Equal(t.ParameterCount, t.LayerStack.Sum(l => l.Parameters));
        Assert.Equal(h.ParameterCount, h.LayerStack.Sum(l => l.Parameters));
        Assert.Equal(49_152, t.LayerStack[1].Parameters); // Wq, Wk, Wv with no bias and no output projection
    }

    public static TheoryData<string, bool> Models => new() { { "transformer", true }, { "causal", true }, { "upstream", false } };

    static LanguageModel Build(string kind) => kind switch
    {
        "transformer" => new TransformerLanguageModel(Small),
        "causal" => new HyperMixerLanguageModel(Small, HyperMixerVariant.Causal),
        _ => new HyperMixerLanguageModel(Small),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void OutputAtJDependsOnLaterTokensOnlyInTheUpstreamHyperMixer(string kind, bool causal)
    {
        manual_seed(5);
        var model = Build(kind);
        var tokens = randint(0, 17, [2, 10], dtype: ScalarType.Int64);
        var changed = tokens.clone();
        changed[.., 7] = (tokens[.., 7] + 1) % 17;
        using var noGrad = no_grad();
        var before = model.forward(tokens).narrow(1, 0, 7);
        var after = model.forward(changed).narrow(1, 0, 7);
        Assert.Equal(causal, before.allclose(after, rtol: 1e-4, atol: 1e-5));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TeacherForcedLossEqualsGenerationLossOnlyWhenCausal(string kind, bool causal)
    {
        manual_seed(6);
        var model = Build(kind);
        var tokens = randint(0, 17, [3, 9], dtype: ScalarType.Int64);
        double forced;
        using (no_grad()) forced = NextToken.TeacherForcedLoss(model, tokens).item<float>();
        double prefix = NextToken.PrefixLoss(model, tokens);
        Assert.Equal(causal, Math.Abs(forced - prefix) < 1e-4);
    }

    [Fact]
    public void AttentionKernelsGiveTheSameModelOutput()
    {
        manual_seed(7);
        var model = new TransformerLanguageModel(LanguageModelConfig.Document, AttentionKernel.Reference);
        var tokens = randint(0, 533, [2, 80], dtype: ScalarType.Int64);
        using var noGrad = no_grad();
        var reference = model.forward(tokens);
        model.Kernel = AttentionKernel.Fused;
        var fused = model.forward(tokens);
        Assert.True(reference.allclose(fused, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void BadInputsGiveClearErrors()
    {
        var model = new HyperMixerLanguageModel(Small);
        var tooLong = Assert.Throws<ArgumentException>(() => model.forward(zeros(1, 13, dtype: ScalarType.Int64)));
        Assert.Contains("13 tokens exceeds the maximum length 12", tooLong.Message);
        var outside = Assert.Throws<ArgumentException>(() => model.forward(full(1, 4, 17L, dtype: ScalarType.Int64)));
        Assert.Contains("token id 17 is outside the vocabulary [0, 17)", outside.Message);
        Assert.Throws<ArgumentException>(() => model.forward(zeros(0, 4, dtype: ScalarType.Int64)));
        Assert.Throws<ArgumentException>(() => model.forward(zeros(1, 4)));
        Assert.Throws<ArgumentException>(() => NextToken.TeacherForcedLoss(model, zeros(2, 1, dtype: ScalarType.Int64)));
    }

    [Fact]
    public void GreedyGenerationStopsAtTheEndTokenOrTheMaximumLength()
    {
        manual_seed(8);
        var model = new TransformerLanguageModel(Small);
        var out1 = NextToken.Greedy(model, [1, 2, 3], endToken: 0);
        Assert.True(out1.Count <= 9);
        Assert.True(out1.Count == 9 || out1[^1] == 0);
        Assert.Throws<ArgumentException>(() => NextToken.Greedy(model, [], endToken: 0));
    }
}
