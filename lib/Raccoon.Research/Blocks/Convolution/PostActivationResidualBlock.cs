using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Convolution;

/// <summary>
/// x + Dropout2d(ConvBnAct(ConvBnAct(x))): each convolution is followed by its normalisation and
/// activation (post-activation), the second without dropout, and nothing follows the addition.
/// Channels and spatial size are kept; models downsample between blocks.
/// </summary>
public sealed class PostActivationResidualBlock : nn.Module<Tensor, Tensor>
{
    readonly ConvBnAct conv1, conv2;
    readonly nn.Module<Tensor, Tensor> drop;

    public int Channels { get; }

    public PostActivationResidualBlock(int channels, int kernel = 3, double dropout = 0, string activation = "gelu",
        double bnEps = 1e-5, string name = "residual_block") : base(name)
    {
        Channels = channels;
        conv1 = new ConvBnAct(channels, channels, kernel, 1, dropout, activation, bnEps);
        conv2 = new ConvBnAct(channels, channels, kernel, 1, 0, activation, bnEps); // one dropout per branch, at its end
        drop = dropout > 0 ? nn.Dropout2d(dropout) : nn.Identity();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // (B, C, H, W) -> (B, C, H, W)
    {
        using var scope = NewDisposeScope();
        var branch = drop.forward(conv2.forward(conv1.forward(x)));
        return (branch + x).MoveToOuterDisposeScope();
    }
}
