using System.Runtime.InteropServices;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Tests.Runtime;

/// <summary>Where the library looks for SkiaSharp's and HarfBuzz's natives in a host without a deps.json (the notebook kernel).</summary>
public class SkiaNativeTests
{
    [Fact]
    public void It_looks_in_runtimes_rid_native_under_each_root()
    {
        var found = SkiaNative.Candidates("libSkiaSharp", "/a", null, "", "/b").ToList();
        Assert.Equal(2, found.Count);
        if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
            Assert.Equal(["/a/runtimes/linux-x64/native/libSkiaSharp.so", "/b/runtimes/linux-x64/native/libSkiaSharp.so"], found);
        Assert.All(found, f => Assert.Matches(@"runtimes[/\\](linux-x64|linux-arm64|win-x64|win-arm64|osx)[/\\]native[/\\]libSkiaSharp\.(so|dll|dylib)$", f));
    }

    [Fact]
    public void Both_natives_load_from_beside_the_library()
    {
        Assert.NotEqual(IntPtr.Zero, SkiaNative.Beside("libSkiaSharp"));
        Assert.NotEqual(IntPtr.Zero, SkiaNative.Beside("libHarfBuzzSharp"));
        Assert.Equal(IntPtr.Zero, SkiaNative.Beside("libNoSuchLibrary"));
    }
}
