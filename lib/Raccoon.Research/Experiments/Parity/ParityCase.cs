using Raccoon.Research.IO;
using Raccoon.Research.Views;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.Parity;

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
/// <param name="Check">The same model at the small sizes of the function check (<see cref="FunctionParity"/>), or null
/// where the case has none.</param>
/// <param name="Names">The C# module's state names as PyTorch's definition (upstream's names) spells them, where they differ.</param>
/// <param name="Recipe">What upstream's own code does around the model in one inference call and one training step
/// (optimizer, clipping, guards, readouts): both sides time exactly that.</param>
public sealed record ParityCase(
    string Key, string Document, string Model, string Size, IReadOnlyDictionary<string, object> Arguments,
    Func<ParityModel> Build, StepRecipe Recipe, double? Flops = null, string? Bound = null, ParityCheck? Check = null, ParameterNames? Names = null)
{
    public string Module => Key[..Key.IndexOf('/')];

    /// <summary>The FLOPs of a training step: about three forward passes of work (the forward, and backward's two products
    /// per layer); null where <see cref="Flops"/> is.</summary>
    public double? TrainingFlops => 3 * Flops;
}

/// <summary>The sizes a case's function check runs at: small (batch 2, short sequences, small widths where the
/// structure allows), with the upstream's structure, layer counts and function. Both sides get <see cref="Arguments"/>.</summary>
/// <param name="Size">What the check runs, in words.</param>
/// <param name="Build">Builds the C# model and its named inputs at these sizes.</param>
public sealed record ParityCheck(string Size, IReadOnlyDictionary<string, object> Arguments, Func<ParityModel> Build);

/// <summary>A built model and what the benchmark runs on it: inference (eval mode, no gradients) and the
/// training loss (train mode); the case's <see cref="StepRecipe"/> adds what upstream does around them (readouts, guards,
/// backward, clipping, its optimizer's step).</summary>
/// <param name="inputs">The fixed inputs the closures read, named as the PyTorch definition names them (the function
/// check writes them and the PyTorch side copies them into its own).</param>
public sealed class ParityModel(nn.Module module, Func<Tensor> inference, Func<Tensor> loss, IReadOnlyDictionary<string, Tensor>? inputs = null) : IDisposable
{
    public nn.Module Module { get; } = module;

    /// <summary>One forward pass on the fixed inputs; called in eval mode under no_grad.</summary>
    public Func<Tensor> Inference { get; } = inference;

    /// <summary>The training objective on the fixed inputs (a scalar); called in train mode.</summary>
    public Func<Tensor> Loss { get; } = loss;

    /// <summary>The training objective with the logits it was computed from and their targets (class ids, one per row of
    /// the logits flattened to (n, classes)), for a recipe that reads them (accuracy, a clip at the logits); null where
    /// the case's recipe needs only the loss. Its loss is <see cref="Loss"/>'s.</summary>
    public Func<(Tensor Loss, Tensor Logits, Tensor Targets)>? Scored { get; init; }

    /// <summary>The fixed inputs by name, disposed with the model.</summary>
    public IReadOnlyDictionary<string, Tensor> Inputs { get; } = inputs ?? new Dictionary<string, Tensor>();

    /// <summary>Other tensors the model's closures hold, disposed with it.</summary>
    public List<IDisposable> Held { get; } = [];

    public long Parameters => Module.parameters().Sum(p => p.numel());

    /// <summary>Every parameter's shape, sorted, as "d0xd1x...": the PyTorch side sends its own to compare.</summary>
    public IReadOnlyList<string> Shapes =>
        Module.parameters().Select(p => string.Join("x", p.shape)).Order(StringComparer.Ordinal).ToList();

    public void Dispose()
    {
        foreach (var h in Held) h.Dispose();
        foreach (var t in Inputs.Values) t.Dispose();
        Module.Dispose();
    }
}
