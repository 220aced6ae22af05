using TorchSharp;
using static TorchSharp.torch;
using Raccoon.Research.Blocks.Normalization;

namespace Raccoon.Research.Blocks.Mixing;

/// <summary>
/// RustGPT's HyperMixer block (commit 69aa104), pre-norm with the residuals on the normalised
/// values: x1 = LN1(x); x2 = x1 + TokenMix(x1); x3 = LN2(x2); out = x3 + FFN(x3). The block's input
/// itself is not carried past LN1, as upstream.
/// </summary>
public sealed class HyperMixerBlock : nn.Module<Tensor, Tensor>
{
    readonly StdLayerNorm norm1, norm2;
    readonly HyperTokenMixer token_mixing;
    readonly FeedForward.FeedForward channel_mixing;

    public HyperTokenMixer TokenMixing => token_mixing;

    public HyperMixerBlock(HyperTokenMixerConfig mixer, int hiddenDim, FeedForward.FeedForward? sharedHypernetwork = null, string name = "HyperMixerBlock") : base(name)
    {
        norm1 = new StdLayerNorm(mixer.ModelDim);
        token_mixing = new HyperTokenMixer(mixer, sharedHypernetwork);
        norm2 = new StdLayerNorm(mixer.ModelDim);
        channel_mixing = new FeedForward.FeedForward(mixer.ModelDim, hiddenDim, name: "channel_mixing");
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // (B, T, D) -> (B, T, D)
    {
        using var scope = NewDisposeScope();
        var x1 = norm1.forward(x);
        if (!is_grad_enabled())
        {
            // without gradients, the residual sums go in place into the branch outputs (a + b is b + a in IEEE arithmetic,
            // so bit for bit the same values) and the norm's input is reused: two full-size allocations fewer
            var y2 = token_mixing.forward(x1).add_(x1);
            var y3 = norm2.forward(y2);
            return channel_mixing.forward(y3).add_(y3).MoveToOuterDisposeScope();
        }
        var x2 = x1 + token_mixing.forward(x1);
        var x3 = norm2.forward(x2);
        return (x3 + channel_mixing.forward(x3)).MoveToOuterDisposeScope();
    }
}
