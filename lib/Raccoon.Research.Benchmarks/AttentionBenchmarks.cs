using BenchmarkDotNet.Attributes;
using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Runtime;
using static TorchSharp.torch;

namespace Raccoon.Research.Benchmarks;

/// <summary>
/// The shared self-attention block's two kernels over the same weights: separate Q/K/V projections with an
/// explicit T x T softmax (Reference, the baseline) against one fused QKV matmul and
/// scaled_dot_product_attention (Fused). Inference forward of a (4, T, 64) batch with 4 heads.
/// </summary>
[MemoryDiagnoser]
public class AttentionBenchmarks
{
    SelfAttention attention = null!;
    Tensor x = null!;

    [Params(64, 256, 1024)]
    public int SequenceLength { get; set; }

    [Params(false, true)]
    public bool Causal { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TorchDevice.Use(Threads.Device, Threads.Count);
        manual_seed(0);
        attention = TorchDevice.To(new SelfAttention(new SelfAttentionConfig(64, Heads: 4, Causal: Causal)));
        attention.eval();
        x = randn(4, SequenceLength, 64, device: TorchDevice.Torch);
    }

    [Benchmark(Baseline = true)]
    public void Reference() => Run(AttentionKernel.Reference);

    [Benchmark]
    public void Fused() => Run(AttentionKernel.Fused);

    void Run(AttentionKernel kernel)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        attention.Kernel = kernel;
        attention.call(x);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        attention.Dispose();
        x.Dispose();
    }
}

/// <summary>Torch's intra-op threads for every benchmark: RACCOON_BENCH_THREADS, else every core; and the
/// device they run on: RACCOON_DEVICE (cpu or cuda, as `--device` of the command line), else the CPU.</summary>
static class Threads
{
    public static ComputeDevice Device => TorchDevice.Parse(Environment.GetEnvironmentVariable("RACCOON_DEVICE") is { Length: > 0 } d ? d : "cpu");

    public static int Count => int.TryParse(Environment.GetEnvironmentVariable("RACCOON_BENCH_THREADS"), out int n) && n > 0 ? n : Environment.ProcessorCount;
}
