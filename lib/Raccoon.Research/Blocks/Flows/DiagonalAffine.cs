using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Flows;

/// <summary>
/// Elementwise affine flow y = scale * x + shift with learned scale and shift vectors (2D parameters),
/// as SimpleRaccoon's affine flow layer: scale starts at 0.1, shift at 0, and the 1e-8 guards of the
/// upstream (log(|scale| + 1e-8) and division by scale + 1e-8) are kept so trained numbers match.
/// </summary>
public sealed class DiagonalAffine : Flow
{
    const double Guard = 1e-8;
    readonly Parameter scale, shift;

    public int Dim { get; }

    public DiagonalAffine(int dim, double initialScale = 0.1, string name = "diagonal_affine") : base(name)
    {
        Dim = dim;
        scale = new Parameter(full(dim, initialScale));
        shift = new Parameter(zeros(dim));
        RegisterComponents();
    }

    public Parameter Scale => scale;
    public Parameter Shift => shift;

    public override (Tensor Z, Tensor LogDet) Forward(Tensor x, Tensor? context = null)
    {
        RequireBatch(x, Dim, "DiagonalAffine");
        var z = scale * x + shift; // (B, D)
        var logDet = (scale.abs() + Guard).log().sum().expand(x.shape[0]); // same for every sample: (B)
        return (z, logDet);
    }

    public override (Tensor X, Tensor LogDet) Inverse(Tensor z, Tensor? context = null)
    {
        RequireBatch(z, Dim, "DiagonalAffine");
        var x = (z - shift) / (scale + Guard); // (B, D)
        var logDet = -(scale.abs() + Guard).log().sum().expand(z.shape[0]); // (B)
        return (x, logDet);
    }
}
