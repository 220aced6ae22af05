using Raccoon.Research.Runtime;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Runtime;

public class TorchRuntimeTests : IClassFixture<TorchFixture>
{
    [Fact]
    public void Forward_and_backward_give_the_analytic_gradient()
    {
        using var scope = NewDisposeScope();
        var w = tensor(new float[] { 1, -2, 3 }).requires_grad_();
        var x = tensor(new float[] { 0.5f, 4, -1 });
        var loss = (w * x).pow(2).sum(); // d/dw = 2 w x^2
        loss.backward();
        Assert.Equal(new float[] { 0.5f, -64f, 6f }, w.grad!.data<float>().ToArray());
    }

    [Fact]
    public void A_linear_layer_trains_one_step_downhill()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var layer = nn.Linear(4, 1);
        var opt = optim.SGD(layer.parameters(), 0.1);
        var x = randn(16, 4);
        var y = x.sum(1, keepdim: true);
        float Loss() => nn.functional.mse_loss(layer.forward(x), y).item<float>();
        float before = Loss();
        opt.zero_grad();
        nn.functional.mse_loss(layer.forward(x), y).backward();
        opt.step();
        Assert.True(Loss() < before);
    }

    [Fact]
    public void Versions_and_threads_are_reported()
    {
        Assert.Equal("0.107.0", TorchRuntime.TorchSharpVersion);
        Assert.StartsWith("2.10.0", TorchRuntime.LibTorchVersion);
        Assert.Equal(2, torch.get_num_threads());
    }
}

public class NnpackTests : IClassFixture<TorchFixture>
{
    [Fact]
    public void Nnpack_is_switched_off_exactly_where_it_cannot_start_and_convolutions_still_run()
    {
        // Linux x64 (this machine and CI): libtorch's symbols were found and probed.
        Assert.NotNull(Nnpack.Available);
        Assert.Equal(Nnpack.Available, Nnpack.Enabled());
        Assert.Equal(Nnpack.Available == false, TorchRuntime.NnpackNote is not null);
        // A convolution large enough for NNPACK's path (batch >= 16, 3x3) runs either way.
        using var scope = NewDisposeScope();
        manual_seed(1);
        var conv = nn.Conv2d(3, 8, 3, padding: 1);
        var y = conv.forward(randn(16, 3, 16, 16));
        Assert.Equal(new long[] { 16, 8, 16, 16 }, y.shape);
    }
}
