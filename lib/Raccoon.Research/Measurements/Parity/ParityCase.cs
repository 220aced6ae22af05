using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Measurements.Parity;

/// <summary>
/// One model at one size, built twice: here from the library, and in PyTorch by the benchmark's own
/// definition of the same architecture (<c>benchmarks/pytorch/</c>, the module named by the part of
/// <see cref="Key"/> before the slash). Both sides get <see cref="Arguments"/> (sizes, batch, sequence
/// length) and build random inputs of the same shapes; the parameter counts must be equal.
/// </summary>
/// <param name="Key">"document-name/model", e.g. "glyph-cnn/full": the PyTorch side's registry key.</param>
/// <param name="Document">"000" to "004".</param>
/// <param name="Model">The model as the ledger names it, e.g. "Full glyph CNN (upstream)".</param>
/// <param name="Size">What one step processes, in words: "batch 256 of 16x16 grids".</param>
/// <param name="Arguments">Sizes sent to the PyTorch side as JSON (numbers and strings only).</param>
/// <param name="Build">Builds the C# model and its inputs (a fixed seed is set before it is called).</param>
/// <param name="Flops">Analytic FLOPs of one forward pass at this size where the library counts them
/// (achieved GFLOP/s is reported for these), else null.</param>
/// <param name="Bound">"matmul" or "convolution" for a step whose FLOPs are in one kind of kernel
/// (compared with that kernel's measured peak), else null.</param>
public sealed record ParityCase(
    string Key, string Document, string Model, string Size, IReadOnlyDictionary<string, object> Arguments,
    Func<ParityModel> Build, double? Flops = null, string? Bound = null)
{
    public string Module => Key[..Key.IndexOf('/')];
}

/// <summary>A built model and what the benchmark runs on it: inference (eval mode, no gradients) and the
/// training loss (train mode); the benchmark adds zero_grad, backward and an Adam step.</summary>
public sealed class ParityModel(nn.Module module, Func<Tensor> inference, Func<Tensor> loss) : IDisposable
{
    public nn.Module Module { get; } = module;

    /// <summary>One forward pass on the fixed inputs; called in eval mode under no_grad.</summary>
    public Func<Tensor> Inference { get; } = inference;

    /// <summary>The training objective on the fixed inputs (a scalar); called in train mode.</summary>
    public Func<Tensor> Loss { get; } = loss;

    /// <summary>Tensors the model's closures hold (its inputs), disposed with it.</summary>
    public List<IDisposable> Held { get; } = [];

    public long Parameters => Module.parameters().Sum(p => p.numel());

    /// <summary>Every parameter's shape, sorted, as "d0xd1x...": the PyTorch side sends its own to compare.</summary>
    public IReadOnlyList<string> Shapes =>
        Module.parameters().Select(p => string.Join("x", p.shape)).Order(StringComparer.Ordinal).ToList();

    public void Dispose()
    {
        foreach (var h in Held) h.Dispose();
        Module.Dispose();
    }
}
