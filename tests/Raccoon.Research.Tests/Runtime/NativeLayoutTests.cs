using System.Runtime.InteropServices;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Tests.Runtime;

/// <summary>The path logic of loading TorchSharp's native library and finding the DejaVu fonts on Linux, Windows and
/// macOS, as TorchSharp's packages and each system lay them out (run here on Linux; the other systems' paths are
/// checked as paths).</summary>
public class NativeLayoutTests
{
    [Theory]
    [InlineData("Linux", "X64", "linux-x64", "libLibTorchSharp.so")]
    [InlineData("Linux", "Arm64", "linux-arm64", "libLibTorchSharp.so")]
    [InlineData("Windows", "X64", "win-x64", "LibTorchSharp.dll")]
    [InlineData("OSX", "Arm64", "osx-arm64", "libLibTorchSharp.dylib")]
    public void Torchsharps_native_library_is_where_its_packages_put_it(string os, string arch, string rid, string file)
    {
        var platform = OSPlatform.Create(os.ToUpperInvariant());
        var architecture = Enum.Parse<System.Runtime.InteropServices.Architecture>(arch);
        Assert.Equal((rid, file), TorchRuntime.NativeLayout(platform, architecture));

        // The first root that holds it wins; a root without it, an empty one and a missing one are passed over.
        string expected = Path.Combine("/b", "runtimes", rid, "native");
        var present = new HashSet<string> { Path.Combine(expected, file), Path.Combine("/c", "runtimes", rid, "native", file) };
        Assert.Equal(expected, TorchRuntime.NativeFolder(["/a", null, "", "/b", "/c"], platform, architecture, present.Contains));
        Assert.Null(TorchRuntime.NativeFolder(["/a"], platform, architecture, present.Contains));
        Assert.True(TorchRuntime.IsTorchSharpNative("LibTorchSharp", file));
        Assert.True(TorchRuntime.IsTorchSharpNative(file, file));
        Assert.False(TorchRuntime.IsTorchSharpNative("libtorch_cpu", file));
    }

    [Fact]
    public void This_process_finds_its_own_native_folder()
    {
        string? dir = TorchRuntime.NativeFolder();
        Assert.NotNull(dir);
        Assert.True(File.Exists(Path.Combine(dir!, TorchRuntime.NativeLayout(OSPlatform.Linux, RuntimeInformation.ProcessArchitecture).File)) || !OperatingSystem.IsLinux());
    }

    [Fact]
    public void DejaVu_is_looked_for_in_each_systems_font_folders_and_an_override_wins()
    {
        string? Env(string name) => name switch { "HOME" => "/home/r", "WINDIR" => @"D:\Win", "LOCALAPPDATA" => @"C:\Users\r\AppData\Local", _ => null };
        var linux = DejaVuFonts.Candidates(OSPlatform.Linux, Env);
        Assert.Equal(DejaVuFonts.Debian, linux[0]);
        Assert.Contains("/usr/share/fonts/TTF", linux); // Arch's ttf-dejavu
        Assert.Equal(Path.Combine("/home/r", ".local", "share", "fonts"), linux[^1]);
        Assert.Equal([Path.Combine(@"D:\Win", "Fonts"), Path.Combine(@"C:\Users\r\AppData\Local", "Microsoft", "Windows", "Fonts")], DejaVuFonts.Candidates(OSPlatform.Windows, Env));
        var mac = DejaVuFonts.Candidates(OSPlatform.OSX, Env);
        Assert.Equal(Path.Combine("/home/r", "Library", "Fonts"), mac[0]);
        Assert.Contains("/Library/Fonts", mac);

        // The first folder holding DejaVuSans.ttf; RACCOON_FONTS over everything; Debian's where none has it (the error then names Debian's packages).
        Assert.Equal("/Library/Fonts", DejaVuFonts.Locate(null, mac, f => f == Path.Combine("/Library/Fonts", DejaVuFonts.Probe)));
        Assert.Equal("/mine", DejaVuFonts.Locate("/mine", mac, _ => true));
        Assert.Equal(DejaVuFonts.Debian, DejaVuFonts.Locate(" ", mac, _ => false));
        // Here (Debian with fonts-dejavu-core): the folder the glyph data set was made from.
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable(DejaVuFonts.Variable) is null)
            Assert.Equal(DejaVuFonts.Debian, DejaVuFonts.Directory);
    }
}
