using System.Runtime.InteropServices;

namespace Raccoon.Research.Runtime;

/// <summary>
/// Where the DejaVu font files are on this machine: the glyph data, the static figures and the write-up's PDF are set
/// in them. RACCOON_FONTS names a folder outright; otherwise the first folder of this operating system's usual font
/// folders that holds DejaVuSans.ttf: Debian's /usr/share/fonts/truetype/dejavu (fonts-dejavu-core and -extra), other
/// Linux layouts, the user's and the system's font folders on macOS, and on Windows the system's and the user's Fonts.
/// </summary>
public static class DejaVuFonts
{
    public const string Variable = "RACCOON_FONTS";

    /// <summary>Debian's folder: the one the data set was made from, and where to look when nothing is found.</summary>
    public const string Debian = "/usr/share/fonts/truetype/dejavu";

    public const string Probe = "DejaVuSans.ttf";

    static readonly Lazy<string> Found = new(() => Locate(Environment.GetEnvironmentVariable(Variable), Candidates(HostOs.Current, Environment.GetEnvironmentVariable), File.Exists));

    /// <summary>The folder of the DejaVu files here (Debian's folder where none holds them, so the error names it).</summary>
    public static string Directory => Found.Value;

    /// <summary>The folder to read: <paramref name="overridden"/> when set, else the first candidate holding
    /// DejaVuSans.ttf, else Debian's.</summary>
    public static string Locate(string? overridden, IEnumerable<string> candidates, Func<string, bool> exists) =>
        !string.IsNullOrWhiteSpace(overridden) ? overridden
        : candidates.FirstOrDefault(dir => exists(Path.Combine(dir, Probe))) ?? Debian;

    /// <summary>The usual font folders of <paramref name="os"/>, in the order they are tried; <paramref name="env"/>
    /// reads the environment (HOME, WINDIR, LOCALAPPDATA).</summary>
    public static IReadOnlyList<string> Candidates(OSPlatform os, Func<string, string?> env)
    {
        if (os == OSPlatform.Windows)
        {
            var dirs = new List<string> { Path.Combine(env("WINDIR") ?? @"C:\Windows", "Fonts") };
            if (env("LOCALAPPDATA") is { Length: > 0 } local) dirs.Add(Path.Combine(local, "Microsoft", "Windows", "Fonts"));
            return dirs;
        }
        string? home = env("HOME");
        if (os == OSPlatform.OSX)
            return [.. (home is { Length: > 0 } ? new[] { Path.Combine(home, "Library", "Fonts") } : []), "/Library/Fonts", "/System/Library/Fonts/Supplemental", "/opt/homebrew/share/fonts/dejavu"];
        return [Debian, "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF", "/usr/share/fonts/dejavu-sans-fonts", "/usr/local/share/fonts/dejavu",
            .. (home is { Length: > 0 } ? new[] { Path.Combine(home, ".local", "share", "fonts") } : [])];
    }
}
