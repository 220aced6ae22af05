using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Encoders;

/// <summary>
/// SimpleRaccoon's CNN encoder after the embedding: Conv1d (same padding) -> BatchNorm1d -> ReLU per
/// layer (upstream channels 32, 32, 16, kernel 3), global average pooling over time, and a Linear to the latent.
/// </summary>
public sealed class ConvEncoder1d : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<Conv1d> convs;
    readonly ModuleList<BatchNorm1d> norms;
    readonly Linear fc;

    public IReadOnlyList<int> Channels { get; }

    public ConvEncoder1d(int inputDim, IReadOnlyList<int> channels, int latentDim, int kernelSize = 3, string name = "conv_encoder") : base(name)
    {
        if (channels.Count == 0) throw new ArgumentException("the CNN encoder needs at least one convolution");
        if (kernelSize % 2 != 1) throw new ArgumentException($"kernel size must be odd for same padding, got {kernelSize}");
        Channels = channels.ToArray();
        convs = nn.ModuleList<Conv1d>();
        norms = nn.ModuleList<BatchNorm1d>();
        int width = inputDim;
        foreach (int c in channels)
        {
            convs.Add(nn.Conv1d(width, c, kernelSize, padding: kernelSize / 2));
            norms.Add(nn.BatchNorm1d(c));
            width = c;
        }
        fc = nn.Linear(width, latentDim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // (B, T, E) -> (B, L)
    {
        var h = x.transpose(1, 2); // (B, E, T): channels first for Conv1d
        for (int i = 0; i < convs.Count; i++)
            h = nn.functional.relu(norms[i].forward(convs[i].forward(h))); // (B, C_i, T)
        var pooled = h.mean([2]); // (B, C_last)
        return fc.forward(pooled); // (B, L)
    }
}
