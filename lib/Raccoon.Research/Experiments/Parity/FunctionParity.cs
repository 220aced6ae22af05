using System.Diagnostics;
using Raccoon.Research.IO;
using Raccoon.Research.Views;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.Parity;

/// <summary>How far one C# tensor is from PyTorch's: the largest absolute difference, and that over the largest
/// magnitude of PyTorch's tensor (at least <paramref name="Scale"/>'s floor), so entries near zero do not blow it up.</summary>
public sealed record TensorDifference(string Name, double MaxAbs, double MaxRel, double Scale);

/// <summary>
/// What agreeing within fp32 means here. Both sides compute in fp32 with different BLAS and kernels (libtorch 2.10's
/// against Debian's torch 1.13 with OpenBLAS), which sum in different orders: each sum carries a relative rounding of
/// about its length times 6e-8, so an output or a loss agrees to about 1e-5 of its size, and 1e-4 leaves room for
/// the depth of these models. A gradient passes through the whole graph twice and subtracts nearly equal terms, so
/// it gets 1e-3 of the largest entry of that gradient, and a gradient far smaller than the model's largest (below
/// <see cref="GradientFloor"/> of it) is compared on that floor, as its rounding is set by the larger terms it came
/// from. The 5 SGD steps compound the gradients' differences into the losses: 1e-3.
/// </summary>
public sealed record FunctionTolerance(double Output = 1e-4, double Loss = 1e-4, double Gradient = 1e-3, double GradientFloor = 1e-6, double Steps = 1e-3)
{
    public static FunctionTolerance Fp32 { get; } = new();
}

/// <summary>One case's function check: the C# model and PyTorch's definition with the same weights, inputs and seeds.</summary>
/// <param name="Gradients">Every parameter's gradient after one backward pass, by PyTorch's name.</param>
/// <param name="Steps">The losses of <see cref="FunctionParity.Steps"/> SGD steps from the same state, as one tensor.</param>
public sealed record FunctionCheck(
    string Key, string Document, string Model, string Size, long Parameters,
    TensorDifference Output, TensorDifference Loss, IReadOnlyList<TensorDifference> Gradients, TensorDifference Steps,
    IReadOnlyList<double> CSharpLosses, IReadOnlyList<double> PyTorchLosses, double Seconds)
{
    /// <summary>The SGD steps' learning rate (<see cref="FunctionParity.StepSize"/> over the first gradient's norm).</summary>
    public double LearningRate { get; init; }

    /// <summary>The gradient furthest from PyTorch's (relative).</summary>
    public TensorDifference WorstGradient => Gradients.MaxBy(g => g.MaxRel)!;

    /// <summary>The largest relative difference of the output and of every gradient: the report's function column.</summary>
    public double MaxRel => Math.Max(Output.MaxRel, Gradients.Count == 0 ? 0 : WorstGradient.MaxRel);

    public bool Agrees(FunctionTolerance t) =>
        Output.MaxRel <= t.Output && Loss.MaxRel <= t.Loss && Gradients.All(g => g.MaxRel <= t.Gradient) && Steps.MaxRel <= t.Steps;

    /// <summary>Which checks exceed the tolerance, in words (empty when all agree).</summary>
    public IReadOnlyList<string> Disagreements(FunctionTolerance t)
    {
        var said = new List<string>();
        if (Output.MaxRel > t.Output) said.Add($"output {Output.MaxRel:0.0e0} > {t.Output:0e0}");
        if (Loss.MaxRel > t.Loss) said.Add($"loss {Loss.MaxRel:0.0e0} > {t.Loss:0e0}");
        foreach (var g in Gradients.Where(g => g.MaxRel > t.Gradient)) said.Add($"gradient of {g.Name} {g.MaxRel:0.0e0} > {t.Gradient:0e0}");
        if (Steps.MaxRel > t.Steps) said.Add($"{Steps.Name} {Steps.MaxRel:0.0e0} > {t.Steps:0e0}");
        return said;
    }
}

/// <summary>
/// Function parity of a case with its PyTorch definition: the C# model (built at the case's small check sizes)
/// writes its state under PyTorch's names and its inputs as safetensors; the PyTorch side loads both into its
/// definition; then each side, from the same state and the same seed before each random draw (libtorch's CPU
/// generator gives the same numbers on both sides, so a model that samples draws the same noise), runs the
/// eval-mode forward pass, the train-mode loss and its backward pass, and <see cref="Steps"/> SGD steps of a fixed
/// size. Plain SGD rather than Adam: Adam divides each gradient by its own running size, so rounding in a gradient
/// near zero would become a step of the full learning rate.
/// </summary>
public static class FunctionParity
{
    public const int Steps = 5;
    /// <summary>How far (in parameter norm) each of the <see cref="Steps"/> SGD steps moves the model. 0.2 made the HyperMixer's
    /// fifth step (loss 8.85 -> 5.28 in five steps) land where fp32 rounding is amplified a thousandfold on an AMD EPYC:
    /// steps 1-4 agreed within 6e-7, step 5 differed by 3e-3 (5.2774 vs 5.2617). The check is whether both sides apply
    /// the same update, so the steps are kept shorter than that.</summary>
    public const double StepSize = 0.1;

    /// <summary>Checks every case of <paramref name="cases"/> that has a check, with one PyTorch process.</summary>
    public static IReadOnlyList<FunctionCheck> Run(IReadOnlyList<ParityCase> cases, PyTorchPeer peer, int threads, int seed = 1, Action<string>? say = null)
    {
        var checks = new List<FunctionCheck>();
        foreach (var c in cases.Where(c => c.Check is not null))
        {
            say?.Invoke($"{c.Key}: function check");
            checks.Add(Check(c, peer, threads, seed));
        }
        return checks;
    }

    public static FunctionCheck Check(ParityCase c, PyTorchPeer peer, int threads, int seed = 1, double stepSize = StepSize)
    {
        var check = c.Check ?? throw new ArgumentException($"case {c.Key} has no function check", nameof(c));
        long started = Stopwatch.GetTimestamp();
        string folder = Path.Combine(Path.GetTempPath(), $"raccoon-function-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            using var scope = NewDisposeScope();
            torch.manual_seed(seed);
            using var model = check.Build();
            var names = c.Names ?? ParameterNames.Same;
            var initial = ModelWeights.State(model.Module, names);
            ModelWeights.SaveTensors(Path.Combine(folder, "weights.safetensors"), initial);
            ModelWeights.SaveTensors(Path.Combine(folder, "inputs.safetensors"), model.Inputs);
            var cs = RunCSharp(model, names, initial, seed, stepSize);
            peer.Check(c, folder, seed, threads, Steps, cs.LearningRate);
            var py = ModelWeights.LoadTensors(Path.Combine(folder, "result.safetensors"));
            var pyGrads = py.Where(kv => kv.Key.StartsWith("grad.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["grad.".Length..], kv => kv.Value);
            if (!cs.Gradients.Keys.Order(StringComparer.Ordinal).SequenceEqual(pyGrads.Keys.Order(StringComparer.Ordinal)))
                throw new InvalidOperationException($"{c.Key}: parameters with a gradient differ: C# only {string.Join(", ", cs.Gradients.Keys.Except(pyGrads.Keys))}; PyTorch only {string.Join(", ", pyGrads.Keys.Except(cs.Gradients.Keys))}");
            double largest = pyGrads.Values.Select(g => g.abs().max().item<float>()).DefaultIfEmpty(0).Max();
            var gradients = cs.Gradients.Keys.Order(StringComparer.Ordinal)
                .Select(k => Difference(k, cs.Gradients[k], pyGrads[k], FunctionTolerance.Fp32.GradientFloor * largest)).ToList();
            var pyLosses = py["losses"].to(ScalarType.Float64).data<double>().ToArray();
            return new FunctionCheck(c.Key, c.Document, c.Model, check.Size, model.Module.parameters().Sum(p => p.numel()),
                Difference("output", cs.Output, py["output"], 0), Difference("loss", cs.Loss, py["loss"], 0), gradients,
                Difference($"{Steps}-step losses", tensor(cs.Losses.ToArray()), py["losses"], 0), cs.Losses, pyLosses,
                Stopwatch.GetElapsedTime(started).TotalSeconds) { LearningRate = cs.LearningRate };
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    sealed record CSharpRun(Tensor Output, Tensor Loss, Dictionary<string, Tensor> Gradients, List<double> Losses, double LearningRate);

    /// <summary>The C# side of serve.py's check, in the same order with the same seeds. The steps' learning rate is
    /// <paramref name="stepSize"/> over the norm of the first gradient, so each step moves the parameters by about
    /// <paramref name="stepSize"/> whatever the loss's scale (the path flow's ELBO is in the hundreds, a classifier's
    /// loss near 1); PyTorch is sent the same number.</summary>
    static CSharpRun RunCSharp(ParityModel model, ParameterNames names, IReadOnlyDictionary<string, Tensor> initial, int seed, double stepSize)
    {
        var module = model.Module;
        var map = names.Map(module.state_dict().Keys);
        void Restore()
        {
            using var _ = no_grad();
            foreach (var (name, t) in module.state_dict())
                if (map.TryGetValue(name, out var p)) t.copy_(initial[p]);
        }

        module.eval();
        torch.manual_seed(seed);
        Tensor output;
        using (no_grad()) output = model.Inference().detach().to(ScalarType.Float32);
        module.train();
        torch.manual_seed(seed + 1);
        module.zero_grad();
        var loss = model.Loss();
        loss.backward();
        var grads = module.named_parameters().Where(p => p.parameter.grad is not null)
            .ToDictionary(p => map[p.name], p => p.parameter.grad!.detach().clone(), StringComparer.Ordinal);
        double norm = Math.Sqrt(grads.Values.Sum(g => g.to(ScalarType.Float64).square().sum().item<double>()));
        double lr = stepSize / Math.Max(norm, 1e-12);

        Restore();
        module.zero_grad();
        using var sgd = optim.SGD(module.parameters(), lr);
        var losses = new List<double>();
        for (int k = 0; k < Steps; k++)
        {
            using var step = NewDisposeScope();
            torch.manual_seed(seed + 2 + k);
            var value = model.Loss();
            losses.Add(value.item<float>());
            sgd.zero_grad();
            value.backward();
            sgd.step();
        }
        Restore();
        module.zero_grad();
        return new CSharpRun(output, loss.detach(), grads, losses, lr);
    }

    static TensorDifference Difference(string name, Tensor csharp, Tensor pytorch, double floor)
    {
        if (!csharp.shape.SequenceEqual(pytorch.shape))
            throw new InvalidOperationException($"{name}: C# shape [{string.Join(", ", csharp.shape)}], PyTorch [{string.Join(", ", pytorch.shape)}]");
        using var a = csharp.detach().to(ScalarType.Float64);
        using var b = pytorch.detach().to(ScalarType.Float64);
        if (a.numel() == 0) return new TensorDifference(name, 0, 0, 0);
        using var diff = (a - b).abs().max();
        using var size = b.abs().max();
        double abs = diff.item<double>(), scale = Math.Max(size.item<double>(), floor);
        if (!double.IsFinite(abs)) return new TensorDifference(name, double.PositiveInfinity, double.PositiveInfinity, scale);
        return new TensorDifference(name, abs, scale > 0 ? abs / scale : abs == 0 ? 0 : double.PositiveInfinity, scale);
    }
}
