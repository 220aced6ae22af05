using BenchmarkDotNet.Attributes;
using Raccoon.Research.Blocks.Flows;
using Raccoon.Research.Runtime;
using static TorchSharp.torch;

namespace Raccoon.Research.Benchmarks;

/// <summary>
/// The two flow layers the documents weigh against each other: an affine coupling layer (an MLP
/// conditioner, hidden 64, computes scale and shift from the kept half) against the elementwise diagonal
/// affine layer (two learned vectors), forward with log-determinant and inverse, on a (256, D) batch.
/// </summary>
[MemoryDiagnoser]
public class FlowBenchmarks
{
    AffineCoupling coupling = null!;
    DiagonalAffine diagonal = null!;
    Tensor x = null!;

    [Params(16, 64)]
    public int Dim { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TorchDevice.Use(Threads.Device, Threads.Count);
        manual_seed(0);
        coupling = TorchDevice.To(new AffineCoupling(Dim, hidden: 64, AffineCoupling.AlternatingMask(Dim, 0)));
        diagonal = TorchDevice.To(new DiagonalAffine(Dim));
        coupling.eval();
        diagonal.eval();
        x = randn(256, Dim, device: TorchDevice.Torch);
    }

    [Benchmark(Baseline = true)]
    public void DiagonalAffineForward() => Scoped(() => diagonal.Forward(x));

    [Benchmark]
    public void AffineCouplingForward() => Scoped(() => coupling.Forward(x));

    [Benchmark]
    public void DiagonalAffineInverse() => Scoped(() => diagonal.Inverse(x));

    [Benchmark]
    public void AffineCouplingInverse() => Scoped(() => coupling.Inverse(x));

    static void Scoped(Func<(Tensor, Tensor)> f)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        f();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        coupling.Dispose();
        diagonal.Dispose();
        x.Dispose();
    }
}
