using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Sde;

/// <summary>
/// Upstream's RaccoonDynamics: a drift MLP [z, t] -> D (Linear-SiLU-Linear-SiLU-Linear) and a
/// log-diffusion MLP [z, t] -> D (Linear-SiLU-Linear) whose output is clamped to
/// [log sigmaMin, log sigmaMax] before exp, so the noise scale stays bounded. Xavier-normal weights, zero biases.
/// </summary>
public sealed class NeuralSdeDynamics : nn.Module, ISdeDynamics
{
    readonly Sequential drift_net, log_diffusion_net;

    public double SigmaMin { get; }
    public double SigmaMax { get; }

    public NeuralSdeDynamics(int latentDim, int hiddenDim, double sigmaMin = 1e-4, double sigmaMax = 1.0, string name = "sde_dynamics") : base(name)
    {
        SigmaMin = sigmaMin;
        SigmaMax = sigmaMax;
        drift_net = nn.Sequential(
            nn.Linear(latentDim + 1, hiddenDim), nn.SiLU(),
            nn.Linear(hiddenDim, hiddenDim), nn.SiLU(),
            nn.Linear(hiddenDim, latentDim));
        log_diffusion_net = nn.Sequential(
            nn.Linear(latentDim + 1, hiddenDim), nn.SiLU(),
            nn.Linear(hiddenDim, latentDim));
        foreach (var net in new[] { drift_net, log_diffusion_net })
            foreach (var layer in net.children().OfType<Linear>())
            {
                Initialization.XavierNormal(layer.weight!, gain: 1.0); // upstream's xavier_normal_ (TorchSharp's draws uniform)
                nn.init.zeros_(layer.bias!);
            }
        RegisterComponents();
    }

    public Sequential DriftNet => drift_net;
    public Sequential LogDiffusionNet => log_diffusion_net;

    public (Tensor Drift, Tensor Diffusion) Coefficients(Tensor z, Tensor? t)
    {
        if (t is null) throw new ArgumentException("the neural SDE reads the time: pass t of shape (batch, 1)");
        var zt = cat([z, t], 1);                                                             // (B, D + 1)
        var drift = drift_net.forward(zt);                                                   // (B, D)
        var logDiffusion = log_diffusion_net.forward(zt).clamp(Math.Log(SigmaMin), Math.Log(SigmaMax)); // (B, D)
        return (drift, logDiffusion.exp());
    }
}
