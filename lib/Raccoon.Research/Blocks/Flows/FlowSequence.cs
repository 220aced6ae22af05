using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Flows;

/// <summary>Composition of flows: forward in order, inverse in reverse order, log-dets summed.
/// Every layer sees the same context.</summary>
public sealed class FlowSequence : Flow
{
    readonly ModuleList<Flow> layers;

    public FlowSequence(IEnumerable<Flow> layers, string name = "flow_sequence") : base(name)
    {
        this.layers = nn.ModuleList(layers.ToArray());
        if (this.layers.Count == 0) throw new ArgumentException("a flow sequence needs at least one layer");
        RegisterComponents();
    }

    public IReadOnlyList<Flow> Layers => layers.ToList();

    public override (Tensor Z, Tensor LogDet) Forward(Tensor x, Tensor? context = null)
    {
        var logDet = zeros(x.shape[0], dtype: x.dtype, device: x.device); // (B)
        var z = x;
        foreach (var layer in layers)
        {
            var (next, ld) = layer.Forward(z, context);
            z = next;
            logDet = logDet + ld;
        }
        return (z, logDet);
    }

    public override (Tensor X, Tensor LogDet) Inverse(Tensor z, Tensor? context = null)
    {
        var logDet = zeros(z.shape[0], dtype: z.dtype, device: z.device); // (B)
        var x = z;
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            var (prev, ld) = layers[i].Inverse(x, context);
            x = prev;
            logDet = logDet + ld;
        }
        return (x, logDet);
    }
}
