using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Raccoon.Research.Runtime;

/// <summary>
/// Loads libtorch and fixes the thread count, once per process, before any tensor is made.
/// Call <see cref="Initialize"/> first in a program, a test or a notebook.
/// </summary>
public static class TorchRuntime
{
    static readonly object Gate = new();
    static bool _loaded;

    /// <summary>Threads torch uses for intra-op work; set by <see cref="Initialize"/>.</summary>
    public static int Threads { get; private set; } = Environment.ProcessorCount;

    /// <summary>
    /// Loads the native libraries (the patched LibTorchSharp where the build made one) and sets the
    /// number of intra-op threads (default: every core). Safe to call again to change the threads.
    /// </summary>
    public static void Initialize(int? threads = null)
    {
        lock (Gate)
        {
            if (!_loaded)
            {
                Preload();
                torch.InitializeDeviceType(DeviceType.CPU);
                Nnpack.SwitchOffWhereUnsupported(NativeFolder());
                _loaded = true;
            }
            int n = threads ?? Environment.ProcessorCount;
            if (n < 1) throw new ArgumentOutOfRangeException(nameof(threads), n, "threads must be at least 1");
            torch.set_num_threads(n);
            Threads = n;
        }
    }

    /// <summary>
    /// In a host without a deps.json (a notebook kernel loading the library with #r), torch finds no
    /// native folder by itself: load it by full path from beside this assembly, so that the
    /// later by-name loads resolve to the already-loaded library (glibc matches the SONAME).
    /// </summary>
    static void Preload()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return;
        string? native = NativeFolder();
        if (native is null) return;
        string lib = Path.Combine(native, "libLibTorchSharp.so");
        if (!ElfSymbolVersions.SystemLibStdCxxDefines(ElfSymbolVersions.RequiredByTorchSharp)
            && ElfSymbolVersions.ReadRequirements(File.ReadAllBytes(lib)).Any(r => r.Version == ElfSymbolVersions.RequiredByTorchSharp && !r.IsWeak))
            throw new InvalidOperationException(
                $"{lib} requires {ElfSymbolVersions.RequiredByTorchSharp}, which this machine's libstdc++ lacks, and the build did not fix it. " +
                "Build the project with `dotnet build` (Directory.Build.targets marks the requirement weak); see environment.md.");
        NativeLibrary.Load(lib);
    }

    /// <summary>The folder holding libLibTorchSharp.so for this process, or null when the host resolves it itself.</summary>
    public static string? NativeFolder()
    {
        string rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        foreach (var root in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(TorchRuntime).Assembly.Location) })
        {
            if (string.IsNullOrEmpty(root)) continue;
            string dir = Path.Combine(root, "runtimes", rid, "native");
            if (File.Exists(Path.Combine(dir, "libLibTorchSharp.so"))) return dir;
        }
        return null;
    }

    /// <summary>Where libtorch's NNPACK cannot run on this CPU and was switched off (see <see cref="Nnpack"/>): one line
    /// saying so, for a command to print once instead of libtorch's warning on every convolution; null otherwise.</summary>
    public static string? NnpackNote => Nnpack.Note;

    /// <summary>TorchSharp's package version (informational version of its assembly).</summary>
    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The libtorch version the native library reports.</summary>
    public static string LibTorchVersion => torch.__version__;
}
