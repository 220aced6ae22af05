using Raccoon.Research.Blocks.Embeddings;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Flows;

/// <summary>
/// RealNVP's multi-scale architecture (Dinh et al. 2017, section 3.6) for vectors, time-conditioned like
/// <see cref="TimeConditionedCouplingFlow"/>: at each scale a stack of affine couplings with alternating masks runs
/// on the coordinates still in play; then the first half of them is factored out (it goes to z as it is) and the rest
/// passes on to the next scale. With D = 16 and 3 scales the couplings run at widths 16, 8, 4 and z is
/// [8 factored out at scale 1, 4 at scale 2, the last 4]. Vectors need no squeeze (images use it to trade space for
/// channels). Each coupling is conditioned on the same embedding of one time value, computed once; the context
/// passed to Forward/Inverse is the raw time (B, 1). Invertible, with log|det J| the sum of the couplings' log-dets
/// (a factored-out block is the identity from then on).
/// </summary>
public sealed class MultiScaleCouplingFlow : Flow
{
    readonly MultiFrequencyTimeEmbedding timeEmbedding;
    readonly ModuleList<FlowSequence> scales;

    public int Dim { get; }

    /// <summary>The width each scale's couplings run at: D, then what is left after each factoring out.</summary>
    public IReadOnlyList<int> Widths { get; }

    /// <summary>The coordinates each scale hands to z: half of its width (rounded down) for every scale but the
    /// last, which hands over all of its width. They add up to D, in z's order.</summary>
    public IReadOnlyList<int> FactoredOut { get; }

    /// <param name="scales">Number of scales (1 = a flat coupling stack).</param>
    /// <param name="couplingsPerScale">Couplings at each scale, masks alternating parity 0, 1, 0, ... (2: every
    /// coordinate at that scale is transformed once).</param>
    public MultiScaleCouplingFlow(int dim, int hidden, int scales = 3, int couplingsPerScale = 2, int timeDim = 32,
        int hiddenLayers = 2, double scaleRange = 3.0, CouplingInput input = CouplingInput.MaskedFull,
        double maxFrequency = 1000.0, ScaleBound bound = ScaleBound.SoftClamp, string name = "multi_scale_flow") : base(name)
    {
        if (scales < 1) throw new ArgumentException($"a multi-scale flow needs at least one scale, got {scales}");
        if (couplingsPerScale < 1) throw new ArgumentException($"each scale needs at least one coupling, got {couplingsPerScale}");
        Widths = ScaleWidths(dim, scales);
        FactoredOut = Widths.Select((w, s) => s < scales - 1 ? w / 2 : w).ToList();
        Dim = dim;
        timeEmbedding = new MultiFrequencyTimeEmbedding(timeDim, maxFrequency: maxFrequency);
        this.scales = nn.ModuleList(Widths.Select((w, s) => new FlowSequence(Enumerable.Range(0, couplingsPerScale).Select(i =>
            (Flow)new AffineCoupling(w, hidden, AffineCoupling.AlternatingMask(w, i % 2), timeDim, hiddenLayers, scaleRange, input, bound: bound)),
            $"scale_{s}")).ToArray());
        RegisterComponents();
    }

    /// <summary>The widths at which the couplings of each scale run: D, D - floor(D/2), ...; every scale needs at
    /// least 2 coordinates, so each alternating mask keeps one and transforms one.</summary>
    public static IReadOnlyList<int> ScaleWidths(int dim, int scales)
    {
        var widths = new List<int> { dim };
        for (int s = 1; s < scales; s++) widths.Add(widths[^1] - widths[^1] / 2);
        if (widths[^1] < 2)
            throw new ArgumentException($"{scales} scales leave {widths[^1]} coordinate(s) of D = {dim} at the last scale; a coupling needs at least 2");
        return widths;
    }

    /// <summary>The coupling stacks, one per scale, finest (width D) first.</summary>
    public IReadOnlyList<FlowSequence> Scales => scales.ToList();

    public override (Tensor Z, Tensor LogDet) Forward(Tensor x, Tensor? time = null)
    {
        RequireBatch(x, Dim, "MultiScaleCouplingFlow");
        var ctx = timeEmbedding.forward(RequireTime(time));                     // (B, timeDim)
        var logDet = zeros(x.shape[0], dtype: x.dtype, device: x.device);       // (B)
        var parts = new List<Tensor>();
        var h = x;                                                              // (B, Widths[0])
        for (int s = 0; s < scales.Count; s++)
        {
            var (next, ld) = scales[s].Forward(h, ctx);                         // (B, Widths[s])
            logDet = logDet + ld;
            int k = FactoredOut[s];
            parts.Add(next[.., ..k]);                                           // (B, FactoredOut[s]) to z
            h = next[.., k..];                                                  // (B, Widths[s + 1]) on to the next scale
        }
        return (cat(parts, 1), logDet);                                         // (B, D)
    }

    public override (Tensor X, Tensor LogDet) Inverse(Tensor z, Tensor? time = null)
    {
        RequireBatch(z, Dim, "MultiScaleCouplingFlow");
        var ctx = timeEmbedding.forward(RequireTime(time));                     // (B, timeDim)
        var logDet = zeros(z.shape[0], dtype: z.dtype, device: z.device);       // (B)
        var parts = z.split(FactoredOut.Select(k => (long)k).ToArray(), 1);     // one block per scale
        Tensor h = parts[^1];                                                   // (B, Widths[^1])
        for (int s = scales.Count - 1; s >= 0; s--)
        {
            if (s < scales.Count - 1) h = cat([parts[s], h], 1);               // (B, Widths[s])
            var (prev, ld) = scales[s].Inverse(h, ctx);
            h = prev;
            logDet = logDet + ld;
        }
        return (h, logDet);                                                     // (B, D)
    }

    static Tensor RequireTime(Tensor? time) =>
        time ?? throw new ArgumentException("a time-conditioned flow needs the time (batch, 1) as its context");
}
