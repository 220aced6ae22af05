using Raccoon.Research.Blocks.Flows;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.PathFlow;

/// <summary>
/// The document's RaccoonMultiScaleFlow, built as sketched: coarse, medium and fine time-conditioned RealNVPs on
/// avg_pool1d(x, 4), avg_pool1d(x, 2) and x, "combined" by a sum. The sketch adds tensors of widths D/4, D/2 and
/// D; here the coarse and medium outputs are repeated back to D (repeat_interleave) so the sum is defined. The
/// result is not invertible and has no log-determinant; it is a cost comparison only. The fine flow is the
/// flat RealNVP itself, so the multi-scale flow does the flat flow's work plus two smaller flows.
/// </summary>
public sealed class MultiScaleFlow : TorchSharp.torch.nn.Module
{
    readonly TimeConditionedCouplingFlow coarse, medium, fine;
    public int Dim { get; }

    public MultiScaleFlow(int dim, int hidden = 128, int layers = 6, int timeDim = 64, string name = "multi_scale_flow") : base(name)
    {
        if (dim < 8 || dim % 4 != 0) throw new ArgumentException($"the multi-scale flow needs D divisible by 4 and at least 8, got {dim}");
        Dim = dim;
        coarse = Flat(dim / 4, hidden, layers, timeDim, "coarse_flow");
        medium = Flat(dim / 2, hidden, layers, timeDim, "medium_flow");
        fine = Flat(dim, hidden, layers, timeDim, "fine_flow");
        RegisterComponents();
    }

    /// <summary>The flat flow of upstream 002 (TimeCondRealNVP) at width D.</summary>
    public static TimeConditionedCouplingFlow Flat(int dim, int hidden = 128, int layers = 6, int timeDim = 64, string name = "flat_flow") =>
        new(dim, hidden, layers, timeDim, hiddenLayers: 2, scaleRange: 1.5, maxFrequency: 16, bound: ScaleBound.Tanh, name: name);

    public Tensor Forward(Tensor x, Tensor t)
    {
        var pooled4 = nn.functional.avg_pool1d(x.unsqueeze(1), 4).squeeze(1);
        var pooled2 = nn.functional.avg_pool1d(x.unsqueeze(1), 2).squeeze(1);
        var zc = coarse.Forward(pooled4, t).Z.repeat_interleave(4, 1);
        var zm = medium.Forward(pooled2, t).Z.repeat_interleave(2, 1);
        var zf = fine.Forward(x, t).Z;
        return zc + zm + zf;
    }
}
