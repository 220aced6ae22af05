using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.FeedForward;

/// <summary>The feed-forward of a transformer block, selected by name: ReLU (two matrices), SwiGLU, GeGLU (three).</summary>
public enum FeedForwardKind { Relu, SwiGlu, GeGlu }

public static class FeedForwards
{
    /// <summary>The one switch from a kind to its block: in -> hidden -> in with biases.</summary>
    public static nn.Module<Tensor, Tensor> Create(FeedForwardKind kind, int dim, int hidden, bool bias = true) => kind switch
    {
        FeedForwardKind.Relu => new FeedForward(dim, hidden, bias: bias, name: "ffn"),
        FeedForwardKind.SwiGlu => new GatedFeedForward(dim, hidden, GluActivation.Swish, bias, name: "ffn"),
        FeedForwardKind.GeGlu => new GatedFeedForward(dim, hidden, GluActivation.Gelu, bias, name: "ffn"),
        _ => throw new ArgumentException($"unknown feed-forward kind {kind}"),
    };

    /// <summary>The hidden width that gives a GLU kind the parameters of a ReLU FFN of width <paramref name="reluHidden"/> (2/3 of it, rounded).</summary>
    public static int MatchedHidden(FeedForwardKind kind, int reluHidden) => kind == FeedForwardKind.Relu ? reluHidden : (int)Math.Round(2.0 * reluHidden / 3.0);
}
