using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.FeedForward;

/// <summary>
/// Two linear layers with an activation between them: in -> hidden -> out (out defaults to in).
/// No residual: models add it where their architecture puts it. The activation is a parameter
/// (ReLU by default, as RustGPT) so other documents reuse the block with GELU or others.
/// </summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    readonly Linear fc1, fc2;
    readonly nn.Module<Tensor, Tensor> activation;

    public int InDim { get; }
    public int HiddenDim { get; }
    public int OutDim { get; }

    public FeedForward(int inDim, int hiddenDim, int? outDim = null, nn.Module<Tensor, Tensor>? activation = null,
        bool bias = true, string name = "feed_forward") : base(name)
    {
        if (inDim < 1 || hiddenDim < 1 || outDim is < 1)
            throw new ArgumentException($"feed-forward dimensions must be positive: {inDim} -> {hiddenDim} -> {outDim ?? inDim}");
        InDim = inDim;
        HiddenDim = hiddenDim;
        OutDim = outDim ?? inDim;
        fc1 = nn.Linear(inDim, hiddenDim, hasBias: bias);
        fc2 = nn.Linear(hiddenDim, OutDim, hasBias: bias);
        this.activation = activation ?? nn.ReLU();
        RegisterComponents();
    }

    /// <summary>The second linear layer, for callers that need only some of its outputs (a hypernetwork cut to a few rows).</summary>
    public Linear Output => fc2;

    public override Tensor forward(Tensor x) // (..., In) -> (..., Out)
    {
        using var scope = NewDisposeScope();
        return fc2.forward(Hidden(x)).MoveToOuterDisposeScope(); // (..., Out)
    }

    /// <summary>activation(fc1(x)): (..., In) -> (..., Hidden).</summary>
    public Tensor Hidden(Tensor x)
    {
        if (x.shape[^1] != InDim)
            throw new ArgumentException($"feed-forward expects last dimension {InDim}, got ({string.Join(", ", x.shape)})");
        using var scope = NewDisposeScope();
        return activation.forward(fc1.forward(x)).MoveToOuterDisposeScope();
    }
}
