using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Convolution;

/// <summary>
/// Conv2d (no bias: BatchNorm's shift takes its place) -> BatchNorm2d -> activation -> Dropout2d.
/// Padding defaults to kernel / 2, so stride 1 keeps the spatial size and stride 2 halves it.
/// </summary>
public sealed class ConvBnAct : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv;
    readonly BatchNorm2d bn;
    readonly nn.Module<Tensor, Tensor> act;
    readonly nn.Module<Tensor, Tensor> drop;

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Stride { get; }

    public ConvBnAct(int inChannels, int outChannels, int kernel = 3, int stride = 1, double dropout = 0,
        string activation = "gelu", double bnEps = 1e-5, string name = "conv_bn_act") : base(name)
    {
        if (inChannels < 1 || outChannels < 1 || kernel < 1 || stride < 1)
            throw new ArgumentException($"conv-bn-act needs positive channels, kernel and stride: {inChannels} -> {outChannels}, k {kernel}, s {stride}");
        if (dropout is < 0 or >= 1) throw new ArgumentException($"dropout must be in [0, 1): {dropout}");
        InChannels = inChannels;
        OutChannels = outChannels;
        Stride = stride;
        conv = nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: kernel / 2, bias: false);
        bn = nn.BatchNorm2d(outChannels, eps: bnEps);
        act = Activation(activation);
        drop = dropout > 0 ? nn.Dropout2d(dropout) : nn.Identity();
        RegisterComponents();
    }

    public Conv2d Conv => conv;
    public BatchNorm2d Norm => bn;

    public override Tensor forward(Tensor x) // (B, Cin, H, W) -> (B, Cout, H / stride, W / stride)
    {
        using var scope = NewDisposeScope();
        return drop.forward(act.forward(bn.forward(conv.forward(x)))).MoveToOuterDisposeScope();
    }

    /// <summary>The activation by name: "gelu" (upstream's default) or "relu" (its suggestion for faster CPUs).</summary>
    public static nn.Module<Tensor, Tensor> Activation(string name) => name.ToLowerInvariant() switch
    {
        "gelu" => nn.GELU(),
        "relu" => nn.ReLU(),
        _ => throw new ArgumentException($"unknown activation '{name}' (expected gelu or relu)"),
    };
}
