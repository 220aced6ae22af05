using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Measurements;

/// <summary>
/// A map's Jacobian assembled by reverse mode alone, one backward pass per output coordinate (no forward-mode or
/// Jacobian-vector product), to check a flow's closed-form log-determinant against the exact one.
/// </summary>
public static class Jacobian
{
    /// <summary>J[b, i, j] = d output[b, i] / d input[b, j] for a map applied sample by sample (the samples of the
    /// batch independent of each other), one backward pass per output coordinate.</summary>
    public static Tensor Rows(Tensor output, Tensor input)
    {
        if (output.dim() != 2 || input.dim() != 2 || output.shape[0] != input.shape[0])
            throw new ArgumentException($"output and input must be (batch, dim) with the same batch: output {string.Join("x", output.shape)}, input {string.Join("x", input.shape)}");
        var rows = new List<Tensor>();
        for (int i = 0; i < output.shape[1]; i++)
            rows.Add(torch.autograd.grad([output[.., i].sum()], [input], retain_graph: true)[0]); // (B, D_in)
        return stack(rows, 1); // (B, D_out, D_in)
    }

    /// <summary>The largest |log-det the map returns - log|det J|| over the batch, J from <see cref="Rows"/> at
    /// <paramref name="input"/>.</summary>
    public static double LogDetError(Func<Tensor, (Tensor Output, Tensor LogDet)> map, Tensor input)
    {
        var x = input.detach().clone().requires_grad_();
        var (y, logDet) = map(x);
        var (_, exact) = linalg.slogdet(Rows(y, x));
        return (logDet.detach() - exact).abs().max().item<double>();
    }
}
