using Raccoon.Research.Blocks.Embeddings;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Flows;

/// <summary>
/// Upstream's RaccoonFlow: a stack of affine couplings with alternating masks (parity 0, 1, 0, 1, ...)
/// all conditioned on the multi-frequency embedding of one time value. The context passed to
/// Forward/Inverse is the raw time (B, 1); it is embedded once and shared by every coupling.
/// </summary>
public sealed class TimeConditionedCouplingFlow : Flow
{
    readonly MultiFrequencyTimeEmbedding timeEmbedding;
    readonly FlowSequence couplings;

    public TimeConditionedCouplingFlow(int dim, int hidden, int layers = 4, int timeDim = 32, int hiddenLayers = 2,
        double scaleRange = 3.0, CouplingInput input = CouplingInput.MaskedFull, string name = "coupling_flow",
        double maxFrequency = 1000.0, ScaleBound bound = ScaleBound.SoftClamp) : base(name)
    {
        timeEmbedding = new MultiFrequencyTimeEmbedding(timeDim, maxFrequency: maxFrequency);
        couplings = new FlowSequence(Enumerable.Range(0, layers).Select(i =>
            (Flow)new AffineCoupling(dim, hidden, AffineCoupling.AlternatingMask(dim, i % 2), timeDim, hiddenLayers, scaleRange, input, bound: bound)));
        RegisterComponents();
    }

    public FlowSequence Couplings => couplings;

    public override (Tensor Z, Tensor LogDet) Forward(Tensor x, Tensor? time = null) =>
        couplings.Forward(x, timeEmbedding.forward(RequireTime(time)));

    public override (Tensor X, Tensor LogDet) Inverse(Tensor z, Tensor? time = null) =>
        couplings.Inverse(z, timeEmbedding.forward(RequireTime(time)));

    static Tensor RequireTime(Tensor? time) =>
        time ?? throw new ArgumentException("a time-conditioned flow needs the time (batch, 1) as its context");
}
