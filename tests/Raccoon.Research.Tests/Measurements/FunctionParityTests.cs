using System.Globalization;
using Raccoon.Research.IO;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Measurements;

/// <summary>One PyTorch process for every function check of the class (starting it and importing torch takes seconds).</summary>
public sealed class PyTorchPeerFixture : IDisposable
{
    readonly Lazy<PyTorchPeer?> peer;
    string? missing;

    public PyTorchPeerFixture()
    {
        TorchRuntime.Initialize(2);
        peer = new Lazy<PyTorchPeer?>(() =>
        {
            try
            {
                return PyTorchPeer.Start(2);
            }
            catch (InvalidOperationException e) when (e.Message.StartsWith("no Python here imports torch", StringComparison.Ordinal)
                                                       && Environment.GetEnvironmentVariable("CI") is null)
            {
                missing = e.Message;
                return null;
            }
        });
    }

    /// <summary>The peer; PyTorch is a test dependency (.ci/run installs it): on CI its absence fails, elsewhere it skips.</summary>
    public PyTorchPeer Peer => peer.Value ?? throw Skip();

    Exception Skip()
    {
        Assert.Skip(missing!);
        return new InvalidOperationException();
    }

    public void Dispose()
    {
        if (peer.IsValueCreated) peer.Value?.Dispose();
    }
}

/// <summary>Every parity case computes PyTorch's function: with the same weights, inputs and seeds, the outputs, the loss,
/// every gradient and the losses of 5 SGD steps agree within fp32 tolerance (<see cref="FunctionTolerance.Fp32"/>).</summary>
public class FunctionParityTests(PyTorchPeerFixture fixture) : IClassFixture<PyTorchPeerFixture>
{
    public static TheoryData<string> Checked => new(ParityCases.All.Where(c => c.Check is not null).Select(c => c.Key));

    [Theory]
    [MemberData(nameof(Checked))]
    public void The_same_weights_give_PyTorchs_outputs_loss_gradients_and_steps(string key)
    {
        var c = ParityCases.All.Single(x => x.Key == key);
        var check = FunctionParity.Check(c, fixture.Peer, threads: 2);
        var t = FunctionTolerance.Fp32;
        Assert.True(check.Agrees(t), $"{key} differs from PyTorch: {string.Join("; ", check.Disagreements(t))}; " +
            string.Create(CultureInfo.InvariantCulture, $"step losses C# [{string.Join(", ", check.CSharpLosses.Select(x => x.ToString("R", CultureInfo.InvariantCulture)))}], PyTorch [{string.Join(", ", check.PyTorchLosses.Select(x => x.ToString("R", CultureInfo.InvariantCulture)))}]"));
        Assert.NotEmpty(check.Gradients);
        Assert.Equal(FunctionParity.Steps, check.CSharpLosses.Count);
        TestContext.Current.SendDiagnosticMessage(string.Create(CultureInfo.InvariantCulture,
            $"{key}: output {check.Output.MaxRel:0.0e0}, loss {check.Loss.MaxRel:0.0e0}, worst gradient {check.WorstGradient.Name} {check.WorstGradient.MaxRel:0.0e0}, steps {check.Steps.MaxRel:0.0e0}, {check.Seconds:0.0} s"));
    }

    [Fact]
    public void A_model_off_by_a_tenth_of_a_percent_is_caught()
    {
        var c = ParityCases.All.Single(x => x.Key == "log-classifiers/simple-upstream");
        var check = c.Check!;
        var scaled = c with
        {
            Check = check with
            {
                Build = () =>
                {
                    var m = check.Build();
                    return new ParityModel(m.Module, () => m.Inference() * 1.001, () => m.Loss() * 1.001, m.Inputs);
                },
            },
        };
        var result = FunctionParity.Check(scaled, fixture.Peer, threads: 2);
        var t = FunctionTolerance.Fp32;
        Assert.False(result.Agrees(t));
        Assert.InRange(result.Output.MaxRel, 0.5e-3, 2e-3);
        Assert.InRange(result.Loss.MaxRel, 0.5e-3, 2e-3);
        Assert.Contains(result.Disagreements(t), d => d.StartsWith("output ", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_parity_case_has_a_function_check()
    {
        Assert.Equal(15, ParityCases.All.Count);
        Assert.All(ParityCases.All, c => Assert.NotNull(c.Check));
    }

    [Fact]
    public void Names_map_to_snake_case_and_rules_and_a_null_rule_leaves_a_name_out()
    {
        Assert.Equal("flow.time_embedding.freqs", ParameterNames.SnakeCase.ToPyTorch("flow.timeEmbedding.freqs"));
        Assert.Equal("z0_log_std", ParameterNames.SnakeCase.ToPyTorch("z0LogStd"));
        var names = new ParameterNames(true, (@"^flow\.layers\.", "flow."), (@"_mask$", null)); // rules see the snake_case name
        Assert.Equal("flow.0.scale", names.ToPyTorch("flow.layers.0.scale"));
        Assert.Null(names.ToPyTorch("mixer.input_mask"));
        Assert.Equal(["a"], names.Map(["a", "mixer.inputMask"]).Values);
        var clash = Assert.Throws<InvalidOperationException>(() => new ParameterNames((@"^b$", "a")).Map(["a", "b"]));
        Assert.Contains("'a' and 'b' both map to PyTorch's 'a'", clash.Message);
    }

    [Fact]
    public void Weights_saved_under_PyTorchs_names_load_back_into_a_fresh_model_and_a_foreign_file_is_refused()
    {
        var c = ParityCases.All.Single(x => x.Key == "log-classifiers/simple-upstream");
        string dir = Repo.TempDir("weights");
        string path = Path.Combine(dir, "model.safetensors");
        torch.manual_seed(1);
        using var a = c.Check!.Build();
        torch.manual_seed(2);
        using var b = c.Check!.Build();
        ModelWeights.Save(a.Module, path, c.Names);
        var saved = ModelWeights.LoadTensors(path);
        Assert.Contains("flow.0.scale", saved.Keys);
        Assert.Contains("encoder.norms.0.running_mean", saved.Keys);
        ModelWeights.Load(b.Module, path, c.Names);
        foreach (var (name, t) in a.Module.state_dict())
            Assert.True(t.allclose(b.Module.state_dict()[name], 0, 0), name);
        var e = Assert.Throws<InvalidDataException>(() => ModelWeights.Load(b.Module, path)); // without the names
        Assert.Contains("missing flow.layers.0.scale", e.Message);
        foreach (var t in saved.Values) t.Dispose();
    }

    [Fact]
    public void The_report_says_which_cases_agree()
    {
        FunctionCheck Check(string key, double output, double gradient) => new(key, "000", key, "batch 2", 10,
            new TensorDifference("output", output, output, 1), new TensorDifference("loss", 0, 0, 1), [new TensorDifference("w", gradient, gradient, 1)],
            new TensorDifference("5-step losses", 0, 0, 1), [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], 0.1);
        var run = new ParityRun(DateTime.UtcNow, MachineContext.Current(), "1.13", "generic", "python3", new ParityOptions(2), [], [], [], [], 1,
            [Check("A", 1e-6, 2e-5), Check("B", 3e-4, 1e-5)]);
        Assert.Equal("agrees, 2.0e-5", run.FunctionCell("A"));
        Assert.Equal("DIFFERS, 3.0e-4", run.FunctionCell("B"));
        Assert.Equal("", run.FunctionCell("C"));
        Assert.Equal("1 of 2 checked models agree with PyTorch within fp32 tolerance; B differs (output 3.0e-4 > 1e-4).", run.Findings()[0]);
        Assert.Equal(["yes", "NO"], run.FunctionTable().Rows.Select(r => r[^1]));
    }
}
