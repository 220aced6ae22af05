using System.Globalization;
using Raccoon.Research.Measurements.Parity;
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
        Assert.True(check.Agrees(t), $"{key} differs from PyTorch: {string.Join("; ", check.Disagreements(t))}");
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
}
