using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Sde;

/// <summary>
/// Ornstein-Uhlenbeck process dz = -theta z dt + sigma dW with two learnable scalars (SimpleRaccoon's SDE:
/// theta = sigma = 0.1 at start). Step is one Euler-Maruyama step; ExactMean/ExactVariance give the
/// closed-form transition z_t | z_0 ~ N(z_0 e^{-theta t}, sigma^2 (1 - e^{-2 theta t}) / (2 theta)) to check it against.
/// </summary>
public sealed class OrnsteinUhlenbeck : nn.Module, ISdeDynamics
{
    readonly Parameter theta, sigma;

    public OrnsteinUhlenbeck(double theta = 0.1, double sigma = 0.1, string name = "ornstein_uhlenbeck") : base(name)
    {
        this.theta = new Parameter(tensor((float)theta));
        this.sigma = new Parameter(tensor((float)sigma));
        RegisterComponents();
    }

    public Parameter Theta => theta;
    public Parameter Sigma => sigma;

    public (Tensor Drift, Tensor Diffusion) Coefficients(Tensor z, Tensor? t) => (-theta * z, sigma);

    /// <summary>One Euler-Maruyama step of size dt (upstream: 0.01): (B, D) -> (B, D).</summary>
    public Tensor Step(Tensor z, double dt = 0.01, Generator? generator = null) =>
        EulerMaruyama.Step(this, z, null, dt, generator); // time-homogeneous: no time input

    /// <summary>n steps of size dt.</summary>
    public Tensor Steps(Tensor z, int n, double dt = 0.01, Generator? generator = null)
    {
        for (int i = 0; i < n; i++) z = Step(z, dt, generator);
        return z;
    }

    public Tensor ExactMean(Tensor z0, double t) => z0 * (-theta * t).exp();

    public Tensor ExactVariance(double t) => sigma.square() * (1 - (-2 * t * theta).exp()) / (2 * theta);
}
