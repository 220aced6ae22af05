using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Measurements;

public sealed class MemoryTests(TorchFixture _) : IClassFixture<TorchFixture>
{
    [Fact]
    public void Weights_buffers_gradients_and_adam_state_match_tensor_sizes()
    {
        using var net = nn.Sequential(("fc", nn.Linear(100, 50)), ("bn", nn.BatchNorm1d(50)));
        Assert.Equal((5000 + 50 + 50 + 50) * 4, Memory.WeightBytes(net));      // float32
        Assert.Equal(50 * 4 + 50 * 4 + 8, Memory.BufferBytes(net));            // running mean, var (float32), batches seen (int64)
        Assert.Equal(Memory.WeightBytes(net), Memory.GradientBytes(net));
        Assert.Equal(2 * Memory.WeightBytes(net), Memory.AdamStateBytes(net));
        Assert.Equal(3 * Memory.WeightBytes(net), Memory.AdamStateBytes(net, amsgrad: true));

        using var adam = optim.Adam(net.parameters(), 1e-3);
        Assert.Equal(Memory.AdamStateBytes(net), Memory.OptimizerStateBytes(adam)); // what Adam really allocated
        using var sgd = optim.SGD(net.parameters(), 1e-2);
        Assert.Equal(0, Memory.OptimizerStateBytes(sgd));

        net.to(float64);
        Assert.Equal((5000 + 50 + 50 + 50) * 8, Memory.WeightBytes(net));
    }

    [Fact]
    public void Saved_file_holds_the_weights_and_a_little_more()
    {
        using var net = nn.Sequential(("fc", nn.Linear(100, 50)), ("bn", nn.BatchNorm1d(50)));
        long file = Memory.SavedFileBytes(net);
        long tensors = Memory.WeightBytes(net) + Memory.BufferBytes(net);
        Assert.InRange(file, tensors, tensors + 1024); // names, shapes and types cost bytes, not kilobytes
    }

    [Fact]
    public void Footprint_record_renders_as_table_and_chart()
    {
        using var block = new TinyBlock(8, 2);
        using var x = randn(2, 5, 8);
        var m = Memory.Measure("block", block, () => block.call(x));
        Assert.Equal(872, m.Parameters);
        Assert.Equal(872 * 4, m.WeightBytes);
        Assert.Equal(872 * 4 * 4, m.TrainingStateBytes); // weights + gradients + two moments, no buffers
        Assert.NotNull(m.Activations);
        Assert.True(m.Activations!.HeldByScopeBytes > m.Activations.OutputBytes);
        Assert.Equal(2 * 5 * 8 * 4, m.Activations.OutputBytes);
        Assert.Equal("weights", m.ToTable().Rows[0][0]);
        Assert.Contains("\"bar\"", m.ToFigure().PlotlyJson);
        Assert.Contains("\"weightBytes\"", m.ToJson());
    }
}

[Collection(nameof(ProcessMemoryCollection))]
public sealed class ActivationMemoryTests(TorchFixture _) : IClassFixture<TorchFixture>
{
    [Fact]
    public void Activations_of_a_forward_are_counted_by_scope_and_by_what_backward_keeps()
    {
        using var x = randn(256, 1024);                           // input: not counted
        using var w1 = randn(1024, 1024).requires_grad_();
        using var w2 = randn(1024, 1).requires_grad_();
        var a = Memory.Activations("mlp", () =>
        {
            var h = x.matmul(w1);                                 // (256, 1024): 1 MiB, not needed by backward
            var s = h.sigmoid();                                  // (256, 1024): 1 MiB, saved (sigmoid's result, matmul's input)
            return s.matmul(w2);                                  // (256, 1): the output, 1 KiB
        }, inputs: [x, w1, w2]);

        Assert.Equal(3, a.HeldByScopeTensors);
        Assert.Equal(2 * 1048576 + 1024, a.HeldByScopeBytes);
        Assert.Equal(1024, a.OutputBytes);
        if (a.KeptForBackwardBytes is null) Assert.Skip("no glibc mallinfo2 here");
        Assert.InRange(a.KeptForBackwardBytes!.Value, 1048576 + 1024 - 16384, 1048576 + 1024 + 65536); // s and the output, not h (give or take small native bookkeeping)
    }

    [Fact]
    public void A_view_of_the_input_is_not_an_activation()
    {
        using var x = randn(64, 64);
        var a = Memory.Activations("view", () => x.view(4096), inputs: [x]);
        Assert.Equal(0, a.HeldByScopeBytes);
    }

    [Fact]
    public void Peak_resident_growth_sees_a_transient_tensor()
    {
        if (!ProcessMemory.Available || !ProcessMemory.ResetPeak()) Assert.Skip("the peak resident size cannot be reset here");
        long? growth = Memory.PeakResidentGrowth(() =>
        {
            using var big = ones(16L << 20); // 64 MiB, written so every page is resident
        });
        Assert.NotNull(growth);
        Assert.InRange(growth!.Value, 60L << 20, 200L << 20);
        var now = ProcessMemory.Read();
        Assert.True(now.PeakResidentBytes >= now.ResidentBytes);
    }
}
