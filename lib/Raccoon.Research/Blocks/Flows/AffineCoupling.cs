using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Flows;

/// <summary>What the coupling's conditioner network reads from x.</summary>
public enum CouplingInput
{
    /// <summary>x * mask: all D coordinates with the transformed ones zeroed (upstream RaccoonFlow).</summary>
    MaskedFull,
    /// <summary>Only the kept coordinates (D/2 for an alternating mask), as the document draws it.</summary>
    KeptOnly,
}

/// <summary>How the raw scale s of the conditioner is bounded.</summary>
public enum ScaleBound
{
    /// <summary>range * tanh(s / range): close to s for small s (upstream RaccoonFlow).</summary>
    SoftClamp,
    /// <summary>range * tanh(s): the path flow's couplings (clamp 1.5).</summary>
    Tanh,
}

/// <summary>
/// Affine coupling layer (RealNVP) with an optional conditioning context, as upstream's
/// time-conditioned coupling: coordinates with mask = 1 pass through and condition an MLP
/// (Linear-SiLU stack) that outputs scale and shift for all D coordinates; the scale is bounded by
/// range * tanh(s / range), and only the coordinates with mask = 0 are transformed:
/// y = x*m + (1-m) * (x * exp(s) + t), log|det J| = sum((1-m) * s).
/// </summary>
public sealed class AffineCoupling : Flow
{
    readonly Tensor mask;       // (D) of 0/1, 1 = passes through
    readonly Tensor? keptIndex; // (D_kept) positions where mask = 1; only for KeptOnly, so upstream's buffers stay as they are
    readonly Sequential conditioner;

    public int Dim { get; }
    public int ContextDim { get; }
    public double ScaleRange { get; }
    public CouplingInput Input { get; }
    public ScaleBound Bound { get; }

    /// <summary>The conditioner MLP (Linear, SiLU, ..., Linear), for initialisations a port needs (upstream 002 zeroes the last layer).</summary>
    public Sequential Conditioner => conditioner;

    /// <param name="hiddenLayers">Hidden Linear+SiLU layers before the output layer (upstream: 2).</param>
    public AffineCoupling(int dim, int hidden, Tensor mask, int contextDim = 0, int hiddenLayers = 2,
        double scaleRange = 3.0, CouplingInput input = CouplingInput.MaskedFull, string name = "affine_coupling",
        ScaleBound bound = ScaleBound.SoftClamp) : base(name)
    {
        if (mask.dim() != 1 || mask.shape[0] != dim) throw new ArgumentException($"mask must have shape ({dim}), got ({string.Join(", ", mask.shape)})");
        if (hiddenLayers < 1) throw new ArgumentException("the conditioner needs at least one hidden layer");
        Dim = dim;
        ContextDim = contextDim;
        ScaleRange = scaleRange;
        Input = input;
        Bound = bound;
        this.mask = mask.to_type(ScalarType.Float32).detach().clone();
        if (input == CouplingInput.KeptOnly) keptIndex = this.mask.nonzero().flatten();
        long conditionerIn = (keptIndex is null ? dim : keptIndex.shape[0]) + contextDim;

        var layers = new List<nn.Module<Tensor, Tensor>>();
        long width = conditionerIn;
        for (int i = 0; i < hiddenLayers; i++)
        {
            layers.Add(nn.Linear(width, hidden));
            layers.Add(nn.SiLU());
            width = hidden;
        }
        layers.Add(nn.Linear(width, 2L * dim)); // scale and shift for every coordinate
        conditioner = nn.Sequential(layers);
        RegisterComponents();
    }

    /// <summary>The alternating mask of upstream: ones at parity, parity+2, ... (the kept coordinates).</summary>
    public static Tensor AlternatingMask(int dim, int parity)
    {
        var m = zeros(dim);
        for (int i = parity; i < dim; i += 2) m[i] = 1f;
        return m;
    }

    public Tensor Mask => mask;

    (Tensor Scale, Tensor Shift) Parameters(Tensor x, Tensor? context)
    {
        RequireBatch(x, Dim, "AffineCoupling");
        if (ContextDim > 0 && (context is null || context.dim() != 2 || context.shape[1] != ContextDim || context.shape[0] != x.shape[0]))
            throw new ArgumentException($"AffineCoupling expects a context of shape ({x.shape[0]}, {ContextDim}), got {(context is null ? "none" : "(" + string.Join(", ", context.shape) + ")")}");
        var kept = keptIndex is null ? x * mask : x.index_select(1, keptIndex); // (B, D) or (B, D_kept)
        var h = ContextDim > 0 ? cat([kept, context!], 1) : kept;                              // (B, in)
        var st = conditioner.forward(h).chunk(2, 1);                                           // 2 x (B, D)
        var scale = Bound == ScaleBound.SoftClamp
            ? (st[0] / ScaleRange).tanh() * ScaleRange  // bounded to (-range, range) so exp() stays finite
            : st[0].tanh() * ScaleRange;                // same bound, steeper near 0 (path flow's clamp * tanh(s))
        return (scale, st[1]);
    }

    public override (Tensor Z, Tensor LogDet) Forward(Tensor x, Tensor? context = null)
    {
        var (scale, shift) = Parameters(x, context);
        var free = 1 - mask;                                          // (D) 1 = transformed
        var z = x * mask + free * (x * scale.exp() + shift);          // (B, D)
        var logDet = (scale * free).sum(1);                           // (B)
        return (z, logDet);
    }

    public override (Tensor X, Tensor LogDet) Inverse(Tensor z, Tensor? context = null)
    {
        var (scale, shift) = Parameters(z, context); // kept coordinates are unchanged, so the same scale/shift
        var free = 1 - mask;
        var x = z * mask + free * ((z - shift) * (-scale).exp());     // (B, D)
        var logDet = -(scale * free).sum(1);                          // (B)
        return (x, logDet);
    }
}
