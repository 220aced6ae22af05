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
        if (!training && !is_grad_enabled()) return Folded(x);
        return Layered(x);
    }

    /// <summary>The layers one by one, as upstream composes them: Conv1d, BatchNorm1d, ReLU, channels first.</summary>
    public Tensor Layered(Tensor x) // (B, T, E) -> (B, L)
    {
        var h = x.transpose(1, 2); // (B, E, T): channels first for Conv1d
        for (int i = 0; i < convs.Count; i++)
            h = nn.functional.relu(norms[i].forward(convs[i].forward(h))); // (B, C_i, T)
        var pooled = h.mean([2]); // (B, C_last)
        return fc.forward(pooled); // (B, L)
    }

    /// <summary>
    /// The same function in eval mode without gradients, in fewer kernels: each BatchNorm's running statistics folded
    /// into its convolution (W' = W s, b' = (b - mean) s + beta with s = gamma / sqrt(var + eps), computed on every call
    /// from the current weights, so nothing goes stale), the convolution as one matrix product over the k shifted copies
    /// of the padded sequence, kept channels last (B, T, C) from the embedding to the pooling, and ReLU in place. Equal
    /// to <see cref="Layered"/> up to float rounding (the test bounds it); the SimpleRaccoon's inference spends most of its
    /// time here (benchmark: overhead).
    /// </summary>
    public Tensor Folded(Tensor x) // (B, T, E) -> (B, L)
    {
        long batch = x.shape[0], time = x.shape[1];
        var h = x;
        for (int i = 0; i < convs.Count; i++)
        {
            var conv = convs[i];
            var norm = norms[i];
            var w = conv.weight!; // (C_out, C_in, k)
            long cOut = w.shape[0], cIn = w.shape[1], k = w.shape[2];
            var scale = norm.running_var!.add(norm.eps).rsqrt_().mul_(norm.weight!);                        // (C_out)
            var weight = (w * scale.view(-1, 1, 1)).permute(2, 1, 0).reshape(k * cIn, cOut);                // (k C_in, C_out)
            var bias = (conv.bias! - norm.running_mean!).mul_(scale).add_(norm.bias!);                     // (C_out)
            long pad = k / 2;
            var padded = nn.functional.pad(h, [0, 0, pad, pad]);                                             // (B, T + 2p, C_in)
            var shifted = k == 1 ? padded : cat(Enumerable.Range(0, (int)k).Select(j => padded.narrow(1, j, time)).ToList(), 2); // (B, T, k C_in)
            h = addmm(bias, shifted.reshape(batch * time, k * cIn), weight, 1, 1).view(batch, time, cOut).relu_(); // (B, T, C_out)
        }
        return fc.forward(h.mean([1])); // (B, L)
    }
}
