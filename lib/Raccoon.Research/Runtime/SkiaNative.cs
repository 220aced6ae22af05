using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using SkiaSharp;

namespace Raccoon.Research.Runtime;

/// <summary>
/// In a host without a deps.json (a notebook kernel loading the library with #r) nothing tells .NET that
/// libSkiaSharp and libHarfBuzzSharp (ScottPlot sets its text through HarfBuzz) live in runtimes/RID/native beside
/// the library; this resolver looks there after the default search fails, as TorchRuntime does for libtorch. It is
/// set both as each assembly's DllImport resolver and on its load context's ResolvingUnmanagedDll, so it still
/// applies where the host set a resolver of its own first or loads the library into a context of its own. In such a
/// host it also keeps one copy of the managed SkiaSharp (below).
/// </summary>
public static class SkiaNative
{
    static int installed;

    static readonly string[] SharedManaged = ["SkiaSharp", "HarfBuzzSharp", "SkiaSharp.HarfBuzz"];

    static readonly Assembly[] Managed = [typeof(SKBitmap).Assembly, typeof(HarfBuzzSharp.Blob).Assembly];

    public static void Ensure()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1) return;
        // The notebook kernel (Roslyn scripting) loads each #r'd assembly into a context of its own and resolves a
        // dependency it cannot find in the default context by identity: ScottPlot asks for SkiaSharp 3.119, the
        // library is bound to 4.155, and the kernel loaded a second copy of SkiaSharp for ScottPlot, so a ScottPlot
        // method taking or returning a SkiaSharp type was "not found" (MissingMethodException). The default
        // context's Resolving event comes first: it hands every asker the one SkiaSharp (and HarfBuzz) this library uses.
        // It returns only an assembly already loaded (touching a type here would ask for an assembly and re-enter).
        AssemblyLoadContext.Default.Resolving += (_, name) => Array.IndexOf(SharedManaged, name.Name) < 0 ? null
            : AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == name.Name).MaxBy(a => a.GetName().Version);
        foreach (var assembly in Managed)
        {
            try
            {
                NativeLibrary.SetDllImportResolver(assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // the host set a resolver of its own already: the load context's event below still applies
            }
            if (AssemblyLoadContext.GetLoadContext(assembly) is { } context)
                context.ResolvingUnmanagedDll += (asking, name) => Managed.Contains(asking) ? Beside(name) : IntPtr.Zero;
        }
    }

    static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        NativeLibrary.TryLoad(name, assembly, path, out var handle) ? handle : Beside(name);

    /// <summary>The native library <paramref name="name"/> in runtimes/RID/native beside the process or the library.</summary>
    public static IntPtr Beside(string name)
    {
        foreach (string candidate in Candidates(name, AppContext.BaseDirectory, Path.GetDirectoryName(typeof(SkiaNative).Assembly.Location)))
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        return IntPtr.Zero;
    }

    /// <summary>Where <see cref="Beside"/> looks for <paramref name="name"/> under each root, for this operating system
    /// and architecture as the SkiaSharp packages lay their natives out.</summary>
    public static IEnumerable<string> Candidates(string name, params string?[] roots)
    {
        var os = HostOs.Current;
        bool arm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;
        string rid = os == OSPlatform.Windows ? (arm64 ? "win-arm64" : "win-x64") : os == OSPlatform.OSX ? "osx" : arm64 ? "linux-arm64" : "linux-x64";
        string file = HostOs.LibraryFile(name, os);
        foreach (var dir in HostOs.NativeFolders(rid, roots)) yield return Path.Combine(dir, file);
    }
}
