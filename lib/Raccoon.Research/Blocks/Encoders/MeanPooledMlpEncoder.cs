using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Encoders;

/// <summary>
/// Upstream RaccoonLogClassifier's encoder after the embedding: a per-token MLP
/// (Linear-SiLU-Linear-SiLU), mean over positions, then linear heads for the mean and the log-variance
/// of a diagonal Gaussian over the latent.
/// </summary>
public sealed class MeanPooledMlpEncoder : nn.Module<Tensor, (Tensor Mean, Tensor LogVar)>
{
    readonly Sequential trunk;
    readonly Linear mean_head, logvar_head;

    public MeanPooledMlpEncoder(int inputDim, int hiddenDim, int latentDim, string name = "mean_pooled_mlp_encoder") : base(name)
    {
        trunk = nn.Sequential(
            nn.Linear(inputDim, hiddenDim), nn.SiLU(),
            nn.Linear(hiddenDim, hiddenDim), nn.SiLU());
        mean_head = nn.Linear(hiddenDim, latentDim);
        logvar_head = nn.Linear(hiddenDim, latentDim);
        RegisterComponents();
    }

    public override (Tensor Mean, Tensor LogVar) forward(Tensor x) // (B, T, E)
    {
        var h = trunk.forward(x);    // (B, T, H)
        var pooled = h.mean([1]);    // (B, H)
        return (mean_head.forward(pooled), logvar_head.forward(pooled)); // 2 x (B, L)
    }
}
