using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Embeddings;
using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Blocks;

public class EncoderTests : IClassFixture<TorchFixture>
{
    static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());

    [Fact]
    public void Mean_pooled_mlp_encoder_gives_mean_and_log_variance()
    {
        using var scope = NewDisposeScope();
        var encoder = new MeanPooledMlpEncoder(inputDim: 32, hiddenDim: 64, latentDim: 32);
        // Linear(32,64) 2112 + Linear(64,64) 4160 + two heads Linear(64,32) 2080 each
        Assert.Equal(2112 + 4160 + 2080 + 2080, Count(encoder));
        var x = randn(5, 50, 32);
        var (mean, logvar) = encoder.forward(x);
        Assert.Equal(new long[] { 5, 32 }, mean.shape);
        Assert.Equal(new long[] { 5, 32 }, logvar.shape);
        var (permuted, _) = encoder.forward(x.flip(1)); // mean pooling ignores order
        Assert.True((permuted - mean).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void Conv_encoder_pools_three_conv_layers_to_the_latent()
    {
        using var scope = NewDisposeScope();
        var encoder = new ConvEncoder1d(inputDim: 32, channels: [32, 32, 16], latentDim: 32);
        // Conv1d(32,32,3) 3104 + BN 64; Conv1d(32,32,3) 3104 + BN 64; Conv1d(32,16,3) 1552 + BN 32; Linear(16,32) 544
        Assert.Equal(3104 + 64 + 3104 + 64 + 1552 + 32 + 544, Count(encoder));
        Assert.Equal(new long[] { 4, 32 }, encoder.forward(randn(4, 50, 32)).shape);
        Assert.Equal(new long[] { 4, 32 }, encoder.forward(randn(4, 7, 32)).shape); // any length
    }

    [Theory]
    [InlineData(3, 50)]
    [InlineData(5, 7)]
    [InlineData(1, 1)]
    public void Conv_encoder_in_eval_folds_its_batch_norms_and_gives_the_layered_function(int kernel, int length)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var encoder = new ConvEncoder1d(inputDim: 32, channels: [32, 32, 16], latentDim: 32, kernelSize: kernel);
        var optimizer = optim.Adam(encoder.parameters(), 0.05);
        // trained a few steps so the running statistics and the affine weights are not their initial 0, 1
        encoder.train();
        for (int i = 0; i < 5; i++)
        {
            optimizer.zero_grad();
            encoder.forward(randn(8, 20, 32) * 3 + 1).pow(2).mean().backward();
            optimizer.step();
        }
        encoder.eval();
        var x = randn(4, length, 32);
        using var _ = no_grad();
        var layered = encoder.Layered(x);
        var viaForward = encoder.forward(x);   // eval + no_grad: the folded path
        var folded = encoder.Folded(x);
        Assert.Equal(new long[] { 4, 32 }, folded.shape);
        Assert.Equal(folded.data<float>().ToArray(), viaForward.data<float>().ToArray());
        double scale = layered.abs().max().item<float>();
        Assert.True((folded - layered).abs().max().item<float>() <= 1e-5 * Math.Max(1, scale),
            $"folded differs from layered by {(folded - layered).abs().max().item<float>()} (scale {scale})");

        // the fold reads the current weights on every call: a changed running mean changes the output at once
        encoder.named_buffers().First(b => b.name.EndsWith("running_mean", StringComparison.Ordinal)).buffer.add_(1);
        Assert.True((encoder.Folded(x) - encoder.Layered(x)).abs().max().item<float>() <= 1e-5 * Math.Max(1, scale));
        Assert.True((encoder.Folded(x) - folded).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void Transformer_encoder_blocks_have_the_counted_parameters_and_both_kernels_agree()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var encoder = new TransformerEncoder(new TransformerEncoderConfig(ModelDim: 64, Heads: 4, Blocks: 4, FfnHidden: 256));
        Assert.Equal(16, encoder.Config.HeadDim);
        // per block: 2 LayerNorms 2*128; Wq, Wk, Wv, Wo 4*64*64 (no bias); FFN 64*256+256 + 256*64+64
        long perBlock = 2 * 128 + 4 * 4096 + 16640 + 16448;
        Assert.Equal(49_728, perBlock);
        Assert.Equal(4 * perBlock, Count(encoder));
        var x = randn(3, 50, 64);
        using var _ = no_grad();
        var fused = encoder.forward(x);
        encoder.Kernel = AttentionKernel.Reference;
        var reference = encoder.forward(x);
        Assert.Equal(new long[] { 3, 50, 64 }, fused.shape);
        Assert.True((fused - reference).abs().max().item<float>() < 1e-4f);
    }

    [Fact]
    public void Sinusoidal_positions_alternate_sin_and_cos()
    {
        using var scope = NewDisposeScope();
        var pe = new SinusoidalPositionalEncoding(lenMax: 1e5).forward(zeros(1, 3, 4)); // (1, T=3, C=4)
        Assert.Equal(Math.Sin(2.0), pe[0, 2, 0].item<float>(), 5);
        Assert.Equal(Math.Cos(2.0), pe[0, 2, 1].item<float>(), 5);
        Assert.Equal(Math.Sin(2.0 / Math.Pow(1e5, 0.5)), pe[0, 2, 2].item<float>(), 5);
        Assert.Equal(Math.Cos(2.0 / Math.Pow(1e5, 0.5)), pe[0, 2, 3].item<float>(), 5);
    }

    [Fact]
    public void Time_embedding_spans_frequencies_one_to_a_thousand()
    {
        using var scope = NewDisposeScope();
        var emb = new MultiFrequencyTimeEmbedding(32).forward(full(2, 1, 0.5f)); // (2, 32)
        Assert.Equal(new long[] { 2, 32 }, emb.shape);
        Assert.Equal(Math.Sin(0.5), emb[0, 0].item<float>(), 5);       // f = 1
        Assert.Equal(Math.Sin(500.0), emb[0, 15].item<float>(), 3);    // f = 1000
        Assert.Equal(Math.Cos(0.5), emb[1, 16].item<float>(), 5);
    }
}
