using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Sde;

/// <summary>
/// A deep time-conditioned drift field f(z, t) for a latent ODE, as upstream's PriorODE:
/// [z, t] -> depth x (Linear -> LayerNorm -> SiLU) -> [LayerNorm] -> Linear -> D.
/// Hidden Linears are Xavier-uniform with zero bias; the output Linear is orthogonal with zero bias.
/// </summary>
public sealed class NeuralOdeDrift : nn.Module<Tensor, Tensor, Tensor>
{
    readonly Sequential drift_net;

    public int Depth { get; }

    /// <param name="normBeforeOutput">Upstream's 5-layer PriorODE adds a LayerNorm before the output Linear.</param>
    public NeuralOdeDrift(int latentDim, int hiddenDim, int depth, bool normBeforeOutput = false, string name = "ode_drift") : base(name)
    {
        if (depth < 1) throw new ArgumentException($"drift depth must be at least 1, got {depth}");
        Depth = depth;
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long width = latentDim + 1;
        for (int i = 0; i < depth; i++)
        {
            var linear = nn.Linear(width, hiddenDim);
            nn.init.xavier_uniform_(linear.weight!, gain: 1.0);
            nn.init.zeros_(linear.bias!);
            layers.Add(linear);
            layers.Add(nn.LayerNorm(hiddenDim));
            layers.Add(nn.SiLU());
            width = hiddenDim;
        }
        if (normBeforeOutput) layers.Add(nn.LayerNorm(hiddenDim));
        var output = nn.Linear(hiddenDim, latentDim);
        nn.init.orthogonal_(output.weight!);
        nn.init.zeros_(output.bias!);
        layers.Add(output);
        drift_net = nn.Sequential(layers);
        RegisterComponents();
    }

    public override Tensor forward(Tensor z, Tensor t) => drift_net.forward(cat([z, t], 1)); // (B, D), (B, 1) -> (B, D)
}
