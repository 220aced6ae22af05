using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Checkpointing;

/// <summary>
/// Gradient checkpointing for a chain of segments (TorchSharp has no torch.utils.checkpoint): the forward
/// pass runs without a graph and keeps only each segment's input; the backward pass walks the segments
/// from the last, recomputes one segment with its graph, back-propagates through it and frees it. Peak
/// activation memory is one segment's graph plus the segment boundaries instead of every segment's graph,
/// at the price of a second forward pass. Gradients accumulate into the parameters as loss.backward() does.
/// </summary>
public static class GradientCheckpointing
{
    /// <summary>Computes loss = <paramref name="head"/>(segments(input)) and its gradients; returns the loss value.</summary>
    public static double Backward(IReadOnlyList<Func<Tensor, Tensor>> segments, Tensor input, Func<Tensor, Tensor> head)
    {
        if (segments.Count == 0) throw new ArgumentException("gradient checkpointing needs at least one segment");
        var boundaries = new List<Tensor> { input };
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var x = input;
            for (int i = 0; i < segments.Count - 1; i++)
            {
                x = segments[i](x);
                boundaries.Add(x);
                x.MoveToOuterDisposeScope();
            }
        }
        double lossValue = double.NaN;
        Tensor? upstream = null; // gradient of the loss with respect to the current segment's output
        try
        {
            for (int i = segments.Count - 1; i >= 0; i--)
            {
                using var scope = NewDisposeScope();
                bool first = i == 0;
                var x = first ? boundaries[0] : boundaries[i].detach().requires_grad_(true);
                using var grad = enable_grad();
                var y = segments[i](x);
                if (upstream is null)
                {
                    var loss = head(y);
                    lossValue = loss.item<float>();
                    loss.backward();
                }
                else y.backward([upstream]);
                upstream?.Dispose();
                upstream = first ? null : x.grad?.detach().clone().MoveToOuterDisposeScope();
            }
        }
        finally
        {
            upstream?.Dispose();
            for (int i = 1; i < boundaries.Count; i++) boundaries[i].Dispose();
        }
        return lossValue;
    }
}
