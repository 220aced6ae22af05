using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Measurements;

public sealed class ParametersTests(TorchFixture _) : IClassFixture<TorchFixture>
{
    // LayerNorm(d): 2d; SelfAttention(d) with biases and output projection: 4(d*d + d); MLP: d*4d + 4d + 4d*d + d.
    static long BlockByHand(long d) => 2 * d + 4 * (d * d + d) + 2 * d + (d * 4 * d + 4 * d) + (4 * d * d + d);

    [Fact]
    public void Transformer_block_counts_by_hand_and_per_component()
    {
        using var block = new TinyBlock(8, 2);
        var tree = Parameters.Count(block, "block");

        Assert.Equal(BlockByHand(8), tree.Parameters); // 16 + 288 + 16 + 288 + 264 = 872
        Assert.Equal(872, tree.Parameters);
        Assert.Equal(tree.Parameters, Parameters.Total(block));
        Assert.Equal(tree.Parameters, tree.Trainable);
        Assert.Equal(0, tree.Frozen);
        Assert.Equal(0, tree.Buffers);
        Assert.Equal(0, tree.Own);
        Assert.Equal(["ln1", "attn", "ln2", "mlp"], tree.Children.Select(c => c.Name));
        Assert.Equal(288, tree["attn"].Parameters);
        Assert.Equal("SelfAttention", tree["attn"].Kind);
        Assert.Equal(72, tree["attn.wq"].Parameters);
        Assert.Equal(288 + 264, tree["mlp"].Parameters);
        Assert.Equal(264, tree["mlp.proj"].Parameters);
        Assert.Equal(0, tree["mlp.act"].Parameters);
        Assert.Equal(2, tree["mlp.fc"].Depth);
    }

    [Fact]
    public void Tied_weights_count_once_as_pytorch_parameters_does()
    {
        const int vocab = 11, d = 8, layers = 2;
        using var untied = new TinyLanguageModel(vocab, d, 2, layers, tie: false);
        using var tied = new TinyLanguageModel(vocab, d, 2, layers, tie: true);
        long body = vocab * d + layers * BlockByHand(d) + 2 * d;

        Assert.Equal(body + vocab * d, Parameters.Count(untied).Parameters);
        var tree = Parameters.Count(tied, "lm");
        Assert.Equal(body, tree.Parameters);
        Assert.Equal(Parameters.Total(tied), tree.Parameters);
        Assert.Equal(vocab * d, tree["tok"].Parameters); // the shared tensor belongs to the first module that names it
        Assert.Equal(0, tree["head"].Parameters);
        Assert.Equal(BlockByHand(d), tree["blocks.1"].Parameters);
        Assert.Equal(2 * BlockByHand(d), tree["blocks"].Parameters);
    }

    [Fact]
    public void Frozen_parameters_and_buffers_are_counted_apart()
    {
        using var net = nn.Sequential(("conv", nn.Conv2d(3, 4, 3)), ("bn", nn.BatchNorm2d(4)), ("fc", nn.Linear(4, 2)));
        foreach (var p in ((nn.Module)net).named_parameters().Where(p => p.name.StartsWith("fc."))) p.parameter.requires_grad = false;
        var tree = Parameters.Count(net, "net");

        Assert.Equal(3 * 4 * 9 + 4 + 8 + 10, tree.Parameters); // conv 112, bn 8, fc 10
        Assert.Equal(10, tree.Frozen);
        Assert.Equal(120, tree.Trainable);
        Assert.Equal(4 + 4 + 1, tree.Buffers); // running mean, running var, batches seen
        Assert.Equal(9, tree["bn"].Buffers);
        Assert.Equal(10, Parameters.Total(net) - Parameters.Trainable(net));
        Assert.Equal(9, Parameters.Buffers(net));

        var tensors = Parameters.Tensors(net);
        Assert.Equal(["conv.weight", "conv.bias", "bn.weight", "bn.bias", "fc.weight", "fc.bias"], tensors.Where(t => !t.IsBuffer).Select(t => t.Name));
        Assert.Equal([4L, 3, 3, 3], tensors[0].Shape);
        Assert.Equal(3, tensors.Count(t => t.IsBuffer));
    }

    [Fact]
    public void Flat_view_and_table_list_every_module_down_to_a_depth()
    {
        using var block = new TinyBlock(8, 2);
        var tree = Parameters.Count(block, "block");

        var flat = tree.Flat();
        Assert.Equal(("", 872L), flat[0]);
        Assert.Contains(("attn.wk", 72L), flat);
        Assert.Equal(tree.Flatten().Count(), flat.Count);

        var table = tree.ToTable(maxDepth: 1);
        Assert.Equal(5, table.Rows.Count);
        Assert.Equal("block", table.Rows[0][0]);
        Assert.Equal("872", table.Rows[0][3]);
        Assert.Equal(tree.Flatten().Count(), tree.ToDataFrame().Rows.Count);
        Assert.Contains("\"attn\"", tree.ToFigure().PlotlyJson);
        Assert.Throws<KeyNotFoundException>(() => tree["nope"]);
    }
}
