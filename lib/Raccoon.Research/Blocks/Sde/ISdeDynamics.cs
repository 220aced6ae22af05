using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Sde;

/// <summary>Coefficients of a diagonal Itô SDE dz = f(z, t) dt + g(z, t) dW.</summary>
public interface ISdeDynamics
{
    /// <summary>z (B, D), t (B, 1) or null for a time-homogeneous process -> drift f (B, D) and diffusion g (broadcastable to (B, D)).</summary>
    (Tensor Drift, Tensor Diffusion) Coefficients(Tensor z, Tensor? t);
}
