using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Raccoon.Research.Views;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Measurements;

/// <summary>Where a timing was taken: every timing record carries one, so a reader knows which machine,
/// thread count, build and library versions a figure belongs to.</summary>
/// <param name="LogicalCores">Cores this process may use (<see cref="Environment.ProcessorCount"/>).</param>
/// <param name="PhysicalCores">Distinct (socket, core) pairs in /proc/cpuinfo; null where unknown.</param>
/// <param name="TorchThreads">Intra-op threads torch used for the measurement.</param>
/// <param name="Optimized">Whether the library was built with the JIT optimizer on (Release); Debug timings are not comparable.</param>
public sealed record MachineContext(
    string CpuModel, int LogicalCores, int? PhysicalCores, int TorchThreads, string TorchSharpVersion, string LibTorchVersion,
    string DotNetVersion, string OperatingSystem, bool Optimized, string HostName)
{
    /// <summary>The context of this process now (torch must be initialized: see <see cref="TorchRuntime.Initialize"/>).</summary>
    public static MachineContext Current()
    {
        var (model, physical) = ReadCpuInfo();
        return new MachineContext(
            model, Environment.ProcessorCount, physical, TorchSharp.torch.get_num_threads(), TorchRuntime.TorchSharpVersion, TorchRuntime.LibTorchVersion,
            RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription, IsOptimized(typeof(MachineContext).Assembly), Environment.MachineName);
    }

    /// <summary>One line for a caption: "AMD EPYC 7B13, 2 threads of 2 cores, TorchSharp 0.107.0, libtorch 2.10.0".</summary>
    public string Summary =>
        $"{CpuModel}, {TorchThreads} torch thread{(TorchThreads == 1 ? "" : "s")} of {LogicalCores} cores, TorchSharp {TorchSharpVersion}, libtorch {LibTorchVersion}{(Optimized ? "" : ", DEBUG build")}";

    public Table ToTable() => new("Machine", ["property", "value"],
    [
        ["CPU", CpuModel], ["logical cores", LogicalCores.ToString(CultureInfo.InvariantCulture)], ["physical cores", PhysicalCores?.ToString(CultureInfo.InvariantCulture) ?? "unknown"],
        ["torch threads", TorchThreads.ToString(CultureInfo.InvariantCulture)], ["TorchSharp", TorchSharpVersion], ["libtorch", LibTorchVersion],
        [".NET", DotNetVersion], ["OS", OperatingSystem], ["optimized build", Optimized ? "yes" : "no"], ["host", HostName],
    ]);

    /// <summary>Model name and physical core count from /proc/cpuinfo (Linux); the architecture elsewhere.</summary>
    static (string Model, int? Physical) ReadCpuInfo()
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path)) return (RuntimeInformation.ProcessArchitecture.ToString(), null);
        string? model = null;
        string physicalId = "0";
        var cores = new HashSet<string>();
        foreach (var line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            if (key == "model name" || (model is null && key is "Hardware" or "cpu model")) model ??= value;
            else if (key == "physical id") physicalId = value;
            else if (key == "core id") cores.Add(physicalId + ":" + value);
        }
        return (model ?? RuntimeInformation.ProcessArchitecture.ToString(), cores.Count > 0 ? cores.Count : null);
    }

    /// <summary>This machine's memory in bytes: MemTotal of /proc/meminfo (Linux), the GC's view of the machine elsewhere.</summary>
    public static long MemoryBytes() => ReadMemInfo("MemTotal") ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Memory a new allocation can take now without swapping: MemAvailable of /proc/meminfo (Linux), the GC's
    /// view of the machine elsewhere. It moves with every other process on the machine.</summary>
    public static long AvailableMemoryBytes() => ReadMemInfo("MemAvailable") ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    static long? ReadMemInfo(string key) =>
        File.Exists("/proc/meminfo") ? MemInfoBytes(File.ReadLines("/proc/meminfo"), key) : null;

    /// <summary>The bytes of <paramref name="key"/> in /proc/meminfo's lines ("MemTotal:       24573948 kB"); null when absent.</summary>
    public static long? MemInfoBytes(IEnumerable<string> lines, string key)
    {
        foreach (var line in lines)
        {
            if (!line.StartsWith(key + ":", StringComparison.Ordinal)) continue;
            var parts = line[(key.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length is < 1 or > 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long value) || (parts.Length == 2 && parts[1] != "kB"))
                throw new FormatException($"/proc/meminfo: cannot read '{line}' as a size in kB");
            return value * 1024;
        }
        return null;
    }

    /// <summary>Whether this library was built with the JIT optimizer on: stored with every result and named by every ledger row.</summary>
    public static bool LibraryOptimized { get; } = IsOptimized(typeof(MachineContext).Assembly);

    static bool IsOptimized(Assembly assembly) =>
        assembly.GetCustomAttribute<System.Diagnostics.DebuggableAttribute>() is not { IsJITOptimizerDisabled: true };
}
