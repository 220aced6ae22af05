using Raccoon.Research.Runtime;

namespace Raccoon.Research.Tests.Runtime;

public class ElfSymbolVersionsTests
{
    static string PackagedLibTorchSharp()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    [Fact]
    public void The_shipped_library_needs_GLIBCXX_3_4_32_and_the_edit_makes_only_that_weak()
    {
        byte[] elf = File.ReadAllBytes(PackagedLibTorchSharp());
        var before = ElfSymbolVersions.ReadRequirements(elf);
        var need = Assert.Single(before, r => r.Version == ElfSymbolVersions.RequiredByTorchSharp);
        Assert.Equal("libstdc++.so.6", need.Library);
        Assert.False(need.IsWeak);

        Assert.True(ElfSymbolVersions.MakeWeak(elf, ElfSymbolVersions.RequiredByTorchSharp));
        var after = ElfSymbolVersions.ReadRequirements(elf);
        Assert.True(Assert.Single(after, r => r.Version == ElfSymbolVersions.RequiredByTorchSharp).IsWeak);
        // Every other requirement is untouched, and a second edit changes nothing.
        Assert.Equal(before.Where(r => r.Version != need.Version).Select(r => (r.Library, r.Version, r.Flags)),
                     after.Where(r => r.Version != need.Version).Select(r => (r.Library, r.Version, r.Flags)));
        Assert.False(ElfSymbolVersions.MakeWeak(elf, ElfSymbolVersions.RequiredByTorchSharp));
    }

    [Fact]
    public void The_edit_changes_exactly_two_bytes()
    {
        byte[] original = File.ReadAllBytes(PackagedLibTorchSharp());
        byte[] edited = (byte[])original.Clone();
        ElfSymbolVersions.MakeWeak(edited, ElfSymbolVersions.RequiredByTorchSharp);
        int differing = original.Zip(edited).Count(p => p.First != p.Second);
        Assert.InRange(differing, 1, 2);
    }

    [Fact]
    public void The_built_copy_loads_where_the_system_lacks_the_version()
    {
        string? native = TorchRuntime.NativeFolder();
        Assert.NotNull(native);
        var req = ElfSymbolVersions.ReadRequirements(File.ReadAllBytes(Path.Combine(native!, "libLibTorchSharp.so")))
            .Single(r => r.Version == ElfSymbolVersions.RequiredByTorchSharp);
        // The build edits the copy only where the system's libstdc++ lacks the version.
        Assert.Equal(!ElfSymbolVersions.SystemLibStdCxxDefines(ElfSymbolVersions.RequiredByTorchSharp), req.IsWeak);
    }

    [Fact]
    public void The_system_libstdcxx_version_definitions_are_read()
    {
        string? path = ElfSymbolVersions.FindSystemLibStdCxx();
        Assert.NotNull(path);
        var defs = ElfSymbolVersions.ReadDefinitions(File.ReadAllBytes(path!));
        Assert.Contains("GLIBCXX_3.4.26", defs); // libtorch's own need, present on every supported system
    }

    [Fact]
    public void A_file_that_is_not_ELF_or_is_truncated_is_refused_by_name()
    {
        Assert.Throws<InvalidDataException>(() => ElfSymbolVersions.ReadRequirements(new byte[100]));
        byte[] truncated = File.ReadAllBytes(PackagedLibTorchSharp())[..4096];
        var e = Assert.Throws<InvalidDataException>(() => ElfSymbolVersions.ReadRequirements(truncated));
        Assert.Contains("outside the file", e.Message);
    }
}
