using System.Reflection;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace Raccoon.Research.Runtime;

/// <summary>
/// In a host without a deps.json (a notebook kernel loading the library with #r) nothing tells .NET that
/// libSkiaSharp lives in runtimes/RID/native beside the library; this resolver looks there after the
/// default search fails, as TorchRuntime does for libtorch.
/// </summary>
public static class SkiaNative
{
    static int installed;

    public static void Ensure()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1) return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(SKBitmap).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // the host set a resolver of its own already
        }
    }

    static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (NativeLibrary.TryLoad(name, assembly, path, out var handle)) return handle;
        string rid = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win-x64"
            : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx"
            : RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        string file = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? name + ".dll"
            : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? name + ".dylib" : name + ".so";
        foreach (var root in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(SkiaNative).Assembly.Location) })
        {
            if (string.IsNullOrEmpty(root)) continue;
            string candidate = Path.Combine(root, "runtimes", rid, "native", file);
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out handle)) return handle;
        }
        return IntPtr.Zero;
    }
}
