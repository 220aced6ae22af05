using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Statistics;

/// <summary>
/// Multivariate normality by random slicing (upstream's SlicingUnivariateTest): project the samples on
/// K random unit directions, run the univariate Epps-Pulley test on each, and average. The directions
/// are drawn from a generator seeded with a step counter that advances on every call, so a run is
/// reproducible and each call sees fresh directions. Used as a differentiable loss term.
/// </summary>
public sealed class SlicedEppsPulley : nn.Module<Tensor, Tensor>
{
    readonly EppsPulley univariate;
    readonly Tensor global_step; // () int64, saved with the model as upstream does

    public int Slices { get; }

    public SlicedEppsPulley(int slices = 64, double tMax = 5.0, int points = 17, string name = "sliced_epps_pulley") : base(name)
    {
        Slices = slices;
        univariate = new EppsPulley(tMax, points);
        global_step = zeros(Array.Empty<long>(), dtype: ScalarType.Int64);
        RegisterComponents();
    }

    public long Step => global_step.item<long>();

    /// <summary>The K unit directions (D, K) used for step <paramref name="step"/>.</summary>
    public Tensor Directions(long dim, long step, Device? device = null)
    {
        using var generator = new Generator((ulong)step, device ?? CPU);
        var a = randn([dim, Slices], generator: generator, device: device);
        return a / (a.norm(0, true, 2) + 1e-12); // unit columns
    }

    /// <summary>x (*, N, D) -> mean statistic over slices (scalar).</summary>
    public override Tensor forward(Tensor x)
    {
        if (x.dim() < 2) throw new ArgumentException($"sliced Epps-Pulley expects (..., samples, dim), got ({string.Join(", ", x.shape)})");
        Tensor directions;
        using (no_grad())
        {
            directions = Directions(x.shape[^1], Step, x.device);
            global_step.add_(1);
        }
        return univariate.forward(x.matmul(directions)).mean(); // (*, N, K) -> (*, K) -> ()
    }
}
