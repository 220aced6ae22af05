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
    /// native folder by itself: load TorchSharp's native library by full path from beside this assembly. On Linux
    /// the later by-name loads then resolve to it (glibc matches the SONAME); elsewhere a DllImport resolver on
    /// TorchSharp hands them the loaded library (Windows also matches a loaded DLL by name).
    /// </summary>
    static void Preload()
    {
        var layout = NativeLayout(HostOs.Current, RuntimeInformation.ProcessArchitecture);
        string? native = NativeFolder();
        if (native is null) return;
        string lib = Path.Combine(native, layout.File);
        if (HostOs.Current == OSPlatform.Linux)
        {
            if (!ElfSymbolVersions.SystemLibStdCxxDefines(ElfSymbolVersions.RequiredByTorchSharp)
                && ElfSymbolVersions.ReadRequirements(File.ReadAllBytes(lib)).Any(r => r.Version == ElfSymbolVersions.RequiredByTorchSharp && !r.IsWeak))
                throw new InvalidOperationException(
                    $"{lib} requires {ElfSymbolVersions.RequiredByTorchSharp}, which this machine's libstdc++ lacks, and the build did not fix it. " +
                    "Build the project with `dotnet build` (Directory.Build.targets marks the requirement weak); see environment.md.");
            NativeLibrary.Load(lib);
            return;
        }
        IntPtr handle = NativeLibrary.Load(lib);
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, (name, _, _) => IsTorchSharpNative(name, layout.File) ? handle : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // TorchSharp or the host set a resolver already: the by-name load still finds the loaded library on Windows
        }
    }

    /// <summary>Whether a DllImport name means TorchSharp's native library (<c>LibTorchSharp</c>, with or without
    /// prefix and extension).</summary>
    public static bool IsTorchSharpNative(string name, string file) =>
        name == file || name == "LibTorchSharp" || name == "libLibTorchSharp" || name == Path.GetFileNameWithoutExtension(file);

    /// <summary>Where TorchSharp's CPU packages put the native library it imports, for an operating system and
    /// architecture: runtimes/RID/native/FILE (libtorch-cpu-linux-x64, -win-x64 and -osx-arm64; Linux arm64 laid out
    /// the same way where a package provides it).</summary>
    public static (string Rid, string File) NativeLayout(OSPlatform os, Architecture arch) =>
        os == OSPlatform.Windows ? ("win-x64", "LibTorchSharp.dll")
        : os == OSPlatform.OSX ? ("osx-arm64", "libLibTorchSharp.dylib")
        : (arch == Architecture.Arm64 ? "linux-arm64" : "linux-x64", "libLibTorchSharp.so");

    /// <summary>The folder holding TorchSharp's native library for this process, or null when the host resolves it itself.</summary>
    public static string? NativeFolder() =>
        NativeFolder([AppContext.BaseDirectory, Path.GetDirectoryName(typeof(TorchRuntime).Assembly.Location)], HostOs.Current, RuntimeInformation.ProcessArchitecture, File.Exists);

    /// <summary>The first of <paramref name="roots"/> whose runtimes/RID/native holds the native library of
    /// <paramref name="os"/> and <paramref name="arch"/> (<see cref="NativeLayout"/>), as that folder; null if none.</summary>
    public static string? NativeFolder(IEnumerable<string?> roots, OSPlatform os, Architecture arch, Func<string, bool> exists)
    {
        var (rid, file) = NativeLayout(os, arch);
        foreach (var dir in HostOs.NativeFolders(rid, roots))
            if (exists(Path.Combine(dir, file))) return dir;
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
