using Raccoon.Research.Runtime;
using Raccoon.Research.Tests.Support;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Runtime;

/// <summary>The one place models and tensors move to the device; CUDA without the CUDA libtorch says what to install.</summary>
public class TorchDeviceTests : IClassFixture<TorchFixture>
{
    [Theory]
    [InlineData("cpu", ComputeDevice.Cpu)]
    [InlineData("CUDA", ComputeDevice.Cuda)]
    [InlineData(" gpu ", ComputeDevice.Cuda)]
    public void Device_names_parse(string text, ComputeDevice device) => Assert.Equal(device, TorchDevice.Parse(text));

    [Theory]
    [InlineData("tpu")]
    [InlineData("")]
    [InlineData(null)]
    public void An_unknown_device_is_named(string? text)
    {
        var e = Assert.Throws<ArgumentException>(() => TorchDevice.Parse(text));
        Assert.Contains("use cpu or cuda", e.Message);
    }

    [Fact]
    public void On_the_cpu_tensors_and_modules_stay_where_they_are()
    {
        TorchDevice.Use(ComputeDevice.Cpu, 2);
        using var x = ones(2, 3);
        Assert.Same(x, TorchDevice.To(x));
        Assert.Same(x, TorchDevice.ToCpu(x));
        using var layer = nn.Linear(3, 2);
        Assert.Same(layer, TorchDevice.To(layer));
        Assert.Equal(TorchSharp.DeviceType.CPU, TorchDevice.Torch.type);
    }

    [Fact]
    public void Cuda_on_a_cpu_only_libtorch_fails_at_once_saying_what_to_install()
    {
        if (TorchSharp.torch.cuda.is_available()) Assert.Skip("this machine has a CUDA libtorch and a GPU");
        var e = Assert.Throws<InvalidOperationException>(() => TorchDevice.Use(ComputeDevice.Cuda, 2));
        Assert.Contains(TorchDevice.CudaPackage, e.Message);
        Assert.Contains(TorchDevice.LibTorchPackageVersion, e.Message);
        Assert.Contains("environment.md", e.Message);
        Assert.Equal(ComputeDevice.Cpu, TorchDevice.Current); // the failed switch changed nothing
    }
}
