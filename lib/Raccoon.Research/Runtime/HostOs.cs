using System.Runtime.InteropServices;

namespace Raccoon.Research.Runtime;

/// <summary>The operating system this process runs on, as the native-library and font lookups tell them apart
/// (Windows, macOS, else Linux), and where NuGet's native packages put their libraries.</summary>
public static class HostOs
{
    public static OSPlatform Current { get; } = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? OSPlatform.Windows
        : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? OSPlatform.OSX : OSPlatform.Linux;

    /// <summary>The folder the build copies a package's natives for runtime <paramref name="rid"/> to under each of
    /// <paramref name="roots"/> (null or empty roots skipped): ROOT/runtimes/RID/native.</summary>
    public static IEnumerable<string> NativeFolders(string rid, IEnumerable<string?> roots)
    {
        foreach (var root in roots)
            if (!string.IsNullOrEmpty(root)) yield return Path.Combine(root, "runtimes", rid, "native");
    }

    /// <summary>The file a native library called <paramref name="name"/> (no extension) has on <paramref name="os"/>.</summary>
    public static string LibraryFile(string name, OSPlatform os) =>
        name + (os == OSPlatform.Windows ? ".dll" : os == OSPlatform.OSX ? ".dylib" : ".so");
}
