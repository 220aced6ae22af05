using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks;

/// <summary>x + inner(x): RustGPT's attention and feed-forward layers carry their residual inside,
/// so a flat layer stack of them needs the residual as part of the layer.</summary>
public sealed class Residual : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> inner;

    public nn.Module<Tensor, Tensor> Inner => inner;

    public Residual(nn.Module<Tensor, Tensor> inner, string name = "residual") : base(name)
    {
        this.inner = inner;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x + inner.forward(x)).MoveToOuterDisposeScope();
    }
}
