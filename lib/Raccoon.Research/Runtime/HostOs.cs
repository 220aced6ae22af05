using System.Runtime.InteropServices;

namespace Raccoon.Research.Runtime;

/// <summary>The operating system this process runs on, as the native-library and font lookups tell them apart
/// (Windows, macOS, else Linux).</summary>
public static class HostOs
{
    public static OSPlatform Current { get; } = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? OSPlatform.Windows
        : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? OSPlatform.OSX : OSPlatform.Linux;
}
