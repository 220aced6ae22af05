using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Flows;

/// <summary>
/// An invertible map with a tractable Jacobian: every flow returns the transformed batch and
/// log|det J| per sample, and has an inverse whose log-det is the negative of the forward one.
/// <paramref name="context"/> is an optional conditioning input (B, C) the flow may read (time features).
/// </summary>
public abstract class Flow : nn.Module
{
    protected Flow(string name) : base(name) { }

    /// <summary>x (B, D) -> (z (B, D), log|det dz/dx| (B)).</summary>
    public abstract (Tensor Z, Tensor LogDet) Forward(Tensor x, Tensor? context = null);

    /// <summary>z (B, D) -> (x (B, D), log|det dx/dz| (B)).</summary>
    public abstract (Tensor X, Tensor LogDet) Inverse(Tensor z, Tensor? context = null);

    protected static void RequireBatch(Tensor x, long dim, string who)
    {
        if (x.dim() != 2 || x.shape[1] != dim)
            throw new ArgumentException($"{who} expects (batch, {dim}), got ({string.Join(", ", x.shape)})");
    }
}
