using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Measurements;

public sealed class OperationCountTests(TorchFixture _) : IClassFixture<TorchFixture>
{
    [Fact]
    public void Linear_and_embedding()
    {
        var l = Flops.Linear(rows: 6, inFeatures: 4, outFeatures: 3);
        Assert.Equal(72, l.Macs);           // 6*4*3
        Assert.Equal(144 + 18, l.Flops);    // 2 per MAC + bias add per output
        Assert.Equal(144, Flops.Linear(6, 4, 3, bias: false).Flops);
        var e = Flops.Embedding(10, 8);
        Assert.Equal((0L, 0L), (e.Macs, e.Flops));
        Assert.Throws<ArgumentOutOfRangeException>(() => Flops.Linear(0, 4, 3));
    }

    [Fact]
    public void Transformer_block_by_hand()
    {
        // Pre-norm block, B=1, T=4, D=8, 2 heads, MLP 8 -> 32 -> 8 with GELU.
        const long b = 1, t = 4, d = 8, rows = b * t;
        var block = OperationCount.Of("block",
            Flops.LayerNorm(rows, d, name: "ln1"),
            Flops.Attention(new SelfAttentionConfig((int)d, Heads: 2, Causal: true), b, t),
            Flops.Elementwise(rows * d, name: "residual 1"),
            Flops.LayerNorm(rows, d, name: "ln2"),
            Flops.Linear(rows, d, 4 * d, name: "fc"),
            Flops.Elementwise(rows * 4 * d, name: "gelu"),
            Flops.Linear(rows, 4 * d, d, name: "proj"),
            Flops.Elementwise(rows * d, name: "residual 2"));

        // attention: qkv 768 MACs, scores 128, weights x v 128, output 256
        Assert.Equal(1280, block["attention"].Macs);
        // qkv 1536 + 96 bias, scores 256, scale 32, softmax 5*32, weights x v 256, output 512 + 32
        Assert.Equal(2880, block["attention"].Flops);
        Assert.Equal(1280 + 1024 + 1024, block.Macs);
        Assert.Equal(224 + 2880 + 32 + 224 + 2176 + 128 + 2080 + 32, block.Flops); // 7776

        var model = block.Times(3, "3 blocks");
        Assert.Equal(3 * 7776, model.Flops);
        Assert.Equal(1 + 8 + 6, block.ToTable().Rows.Count); // block, its 8 parts and the attention's 6
        Assert.Contains("FLOPs", block.ToFigure().PlotlyJson);
    }

    [Fact]
    public void Attention_variants_by_hand()
    {
        // B=2, T=5, D=12, 4 heads (head dim 3), no output projection.
        var a = Flops.Attention(2, 5, 12, heads: 4, outputProjection: false);
        Assert.Equal(4320 + 600 + 600, a.Macs);                  // qkv 10*12*36; scores and weights x v 2*4*5*5*3 each
        Assert.Equal(9000 + 1200 + 200 + 1000 + 1200, a.Flops);  // qkv 8640 + 360 bias; scale 200; softmax 5*200
        var withOut = Flops.Attention(2, 5, 12, heads: 4, outputProjection: true);
        Assert.Equal(a.Macs + 1440, withOut.Macs);
        Assert.Equal(a.Flops + 2880 + 120, withOut.Flops);
        var oneHead = Flops.Attention(2, 5, 12, heads: 1, outputProjection: false);
        Assert.Equal(a.Macs, oneHead.Macs);                      // heads split the contraction, not add to it
        Assert.Equal(9000 + 1200 + 50 + 250 + 1200, oneHead.Flops);

        // Causal and fused kernels do the same arithmetic: the count depends only on the shape.
        var causal = Flops.Attention(new SelfAttentionConfig(12, 4, Causal: true, OutputProjection: false), 2, 5);
        Assert.Equal((a.Macs, a.Flops), (causal.Macs, causal.Flops));
        Assert.Throws<ArgumentException>(() => Flops.Attention(1, 5, 10, heads: 4));
    }

    [Fact]
    public void Conv2d_stack_by_hand()
    {
        // (2, 3, 32, 32) -> conv 3x3 pad 1 -> relu -> conv 3x3 stride 2 pad 1 -> batch norm (eval)
        var stack = OperationCount.Of("stack",
            Flops.Conv2d(2, 3, 8, 32, 32, kernel: 3, padding: 1, name: "conv1"),
            Flops.Elementwise(2 * 8 * 32 * 32, name: "relu"),
            Flops.Conv2d(2, 8, 16, 32, 32, kernel: 3, stride: 2, padding: 1, name: "conv2"),
            Flops.BatchNorm(2 * 16 * 16 * 16, training: false));
        Assert.Equal(442368, stack["conv1"].Macs);   // 2*8*32*32 outputs * 3*9
        Assert.Equal(589824, stack["conv2"].Macs);   // 2*16*16*16 outputs * 8*9
        Assert.Equal(1032192, stack.Macs);
        Assert.Equal(901120 + 16384 + 1187840 + 32768, stack.Flops);
    }

    [Fact]
    public void Conv_output_sizes_match_torch()
    {
        using var conv2d = nn.Conv2d(3, 4, (3, 5), stride: (2, 1), padding: (1, 2), dilation: (2, 1));
        using var y2 = conv2d.call(zeros(1, 3, 17, 11));
        Assert.Equal(y2.shape[2], Flops.ConvOutputLength(17, 3, 2, 1, 2));
        Assert.Equal(y2.shape[3], Flops.ConvOutputLength(11, 5, 1, 2, 1));
        var count = Flops.Conv2d(1, 3, 4, 17, 11, (3, 5), (2, 1), (1, 2), (2, 1));
        Assert.Equal(y2.numel() * 3 * 15, count.Macs);

        using var conv1d = nn.Conv1d(6, 4, 3, stride: 2, padding: 1, groups: 2);
        using var y1 = conv1d.call(zeros(2, 6, 9));
        var c1 = Flops.Conv1d(2, 6, 4, 9, 3, stride: 2, padding: 1, groups: 2);
        Assert.Equal(y1.numel() * 3 * 3, c1.Macs);   // (6/2 channels) x kernel 3 per output
        Assert.Equal(2 * c1.Macs + y1.numel(), c1.Flops);
        Assert.Throws<ArgumentException>(() => Flops.Conv1d(1, 6, 4, 9, 3, groups: 4));
        Assert.Throws<ArgumentException>(() => Flops.ConvOutputLength(2, 5));
    }

    [Fact]
    public void Normalisations()
    {
        Assert.Equal(4 * 10 * 7, Flops.LayerNorm(4, 10).Flops);
        Assert.Equal(4 * 10 * 5, Flops.LayerNorm(4, 10, affine: false).Flops);
        Assert.Equal(100 * 7, Flops.BatchNorm(100, training: true).Flops);
        Assert.Equal(100 * 2, Flops.BatchNorm(100, training: false, affine: false).Flops);
    }

    [Fact]
    public void Recurrent_cells_by_hand_and_against_their_weights()
    {
        var gru = Flops.GruCell(batch: 3, inputSize: 5, hiddenSize: 7);
        Assert.Equal(756, gru.Macs);                 // 3 * 3*7*(5+7)
        Assert.Equal(1512 + 3 * 7 * 17, gru.Flops);
        var lstm = Flops.LstmCell(3, 5, 7);
        Assert.Equal(1008, lstm.Macs);               // 3 * 4*7*(5+7)
        Assert.Equal(2016 + 3 * 7 * 21, lstm.Flops);
        Assert.Equal(2016 + 3 * 7 * 13, Flops.LstmCell(3, 5, 7, bias: false).Flops);

        // One MAC per weight per row: the weight matrices of torch's cells have exactly MACs/batch entries.
        using var gruCell = nn.GRUCell(5, 7, bias: false);
        using var lstmCell = nn.LSTMCell(5, 7, bias: false);
        Assert.Equal(gru.Macs / 3, Parameters.Total(gruCell));
        Assert.Equal(lstm.Macs / 3, Parameters.Total(lstmCell));
    }

    [Fact]
    public void Flows_and_sde_steps_by_hand()
    {
        // Conditioner 3 -> 16 -> tanh -> 6 (s and t for 3 dims), batch 4.
        var conditioner = OperationCount.Of("mlp", Flops.Linear(4, 3, 16), Flops.Elementwise(4 * 16, name: "tanh"), Flops.Linear(4, 16, 6));
        Assert.Equal((576L, 1304L), (conditioner.Macs, conditioner.Flops));
        var coupling = Flops.AffineCoupling(4, 3, conditioner);
        Assert.Equal(576, coupling.Macs);
        Assert.Equal(1304 + 4 * 3 * 4, coupling.Flops);
        Assert.Equal("conditioner", coupling.Parts[0].Name);

        var diag = Flops.DiagonalAffine(4, 6);
        Assert.Equal((0L, 4L * 6 + 2L * 24), (diag.Macs, diag.Flops)); // log det per dim, multiply-add per element

        var drift = Flops.Linear(4, 6, 6);            // 144 MACs, 312 FLOPs
        var em = Flops.EulerMaruyamaStep(4, 6, drift, OperationCount.Zero);
        Assert.Equal((144L, 312L + 120L), (em.Macs, em.Flops));
        var withDiffusionNet = Flops.EulerMaruyamaStep(4, 6, drift, drift);
        Assert.Equal((288L, 624L + 120L), (withDiffusionNet.Macs, withDiffusionNet.Flops));
        var euler = Flops.EulerStep(4, 6, drift);
        Assert.Equal(312 + 48, euler.Flops);
        Assert.Equal(100 * (312 + 48), euler.Times(100, "100 steps").Flops);
    }
}
