using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Runtime;

/// <summary>Where tensors live and models run: the CPU (what this project's package reference carries) or a CUDA GPU.</summary>
public enum ComputeDevice { Cpu, Cuda }

/// <summary>
/// The one place models, tensors and batches move to the chosen device. <see cref="Use"/> picks the
/// device once per process (the command line's <c>--device</c>, a notebook's RACCOON_DEVICE) and fails at
/// once, saying what to install, when the native libtorch loaded cannot drive it; <see cref="To{T}(T)"/>
/// and <see cref="To(Tensor)"/> move a module or a tensor there.
/// </summary>
public static class TorchDevice
{
    /// <summary>The CUDA libtorch package that pairs with this project's TorchSharp (same libtorch version, CUDA 12.8 build).</summary>
    public const string CudaPackage = "libtorch-cuda-12.8-linux-x64";
    public const string CpuPackage = "libtorch-cpu-linux-x64";
    /// <summary>The libtorch version TorchSharp 0.107 is built against (Directory.Packages.props, LibTorchVersion).</summary>
    public const string LibTorchPackageVersion = "2.10.0";

    static readonly object Gate = new();

    /// <summary>The device chosen with <see cref="Use"/> (the CPU until then).</summary>
    public static ComputeDevice Current { get; private set; } = ComputeDevice.Cpu;

    /// <summary>The torch device for <see cref="Current"/>.</summary>
    public static Device Torch => Current == ComputeDevice.Cuda ? CUDA : CPU;

    /// <summary>"cpu" or "cuda" to a device; anything else is an <see cref="ArgumentException"/> naming the value and the choices.</summary>
    public static ComputeDevice Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "cpu" => ComputeDevice.Cpu,
        "cuda" or "gpu" => ComputeDevice.Cuda,
        _ => throw new ArgumentException($"unknown device '{text}': use cpu or cuda"),
    };

    public static string Name(ComputeDevice device) => device == ComputeDevice.Cuda ? "cuda" : "cpu";

    /// <summary>
    /// Loads libtorch (<see cref="TorchRuntime.Initialize"/>) and makes <paramref name="device"/> the one
    /// models and tensors move to. CUDA where the loaded libtorch is the CPU build, or no GPU answers, is an
    /// <see cref="InvalidOperationException"/> that says what to install, before any work is done.
    /// </summary>
    public static void Use(ComputeDevice device, int? threads = null)
    {
        TorchRuntime.Initialize(threads);
        lock (Gate)
        {
            if (device == ComputeDevice.Cuda)
            {
                string? why = null;
                try
                {
                    torch.InitializeDeviceType(DeviceType.CUDA);
                }
                catch (Exception e) when (e is NotSupportedException or InvalidOperationException or DllNotFoundException or TypeInitializationException)
                {
                    why = e.Message;
                }
                if (!torch.cuda.is_available()) throw new InvalidOperationException(CudaMissingMessage(why));
            }
            Current = device;
        }
    }

    /// <summary>What to do when CUDA was asked for and the loaded libtorch cannot give it.</summary>
    public static string CudaMissingMessage(string? detail = null) =>
        $"--device cuda: the libtorch loaded ({TorchRuntime.LibTorchVersion}) has no usable CUDA device" +
        (Short(detail) is { Length: > 0 } d ? $" ({d})" : "") +
        $". This build references {CpuPackage}, the CPU-only libtorch. On a machine with an NVIDIA GPU and driver, " +
        $"reference {CudaPackage} version {LibTorchPackageVersion} (the libtorch TorchSharp {TorchRuntime.TorchSharpVersion} expects) " +
        $"instead of {CpuPackage} in lib/Raccoon.Research/Raccoon.Research.csproj and rebuild (see environment.md, \"Running on a GPU\"); " +
        "or run with --device cpu.";

    static string? Short(string? detail) =>
        detail?.Split('\n')[0].Split("Trace from")[0].Trim().TrimEnd('.', ' ');

    /// <summary>Moves <paramref name="module"/> to the chosen device (in place, as torch does) and returns it.</summary>
    public static T To<T>(T module) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(module);
        if (Current != ComputeDevice.Cpu) module.to(Torch);
        return module;
    }

    /// <summary>The tensor on the chosen device: itself when it is there already, else a copy there.</summary>
    public static Tensor To(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.device_type == Torch.type ? tensor : tensor.to(Torch);
    }

    /// <summary>The tensor on the CPU, for reading its values back: itself when it is there already.</summary>
    public static Tensor ToCpu(Tensor tensor) => tensor.device_type == DeviceType.CPU ? tensor : tensor.cpu();
}
