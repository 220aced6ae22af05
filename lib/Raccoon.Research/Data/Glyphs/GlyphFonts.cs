using Raccoon.Research.Runtime;
using SkiaSharp;

namespace Raccoon.Research.Data.Glyphs;

/// <summary>One font file of the DejaVu families and the Debian package that installs it.</summary>
public sealed record GlyphFont(string File, string Package)
{
    public string Name => Path.GetFileNameWithoutExtension(File);
}

/// <summary>
/// The fonts the glyph data set renders from: every text face of DejaVu Sans, Serif and Mono that a fresh
/// Debian machine has with fonts-dejavu-core and fonts-dejavu-extra (weights, condensed widths, slants),
/// so the data set is the same on every such machine. The math face is left out: it is not a text face.
/// </summary>
public static class GlyphFonts
{
    /// <summary>The folder the faces are read from (<see cref="DejaVuFonts"/>: Debian's, or this machine's).</summary>
    public static string Directory => DejaVuFonts.Directory;

    static readonly string[] Core = ["DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSerif", "DejaVuSerif-Bold"];
    static readonly string[] Extra =
    [
        "DejaVuSans-Oblique", "DejaVuSans-BoldOblique", "DejaVuSans-ExtraLight",
        "DejaVuSansCondensed", "DejaVuSansCondensed-Bold", "DejaVuSansCondensed-Oblique", "DejaVuSansCondensed-BoldOblique",
        "DejaVuSansMono-Oblique", "DejaVuSansMono-BoldOblique",
        "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic",
        "DejaVuSerifCondensed", "DejaVuSerifCondensed-Bold", "DejaVuSerifCondensed-Italic", "DejaVuSerifCondensed-BoldItalic",
    ];

    /// <summary>Faces never trained on: one per family, each a style its family shows in other faces.</summary>
    public static readonly IReadOnlyList<string> HeldOut = ["DejaVuSansCondensed-Oblique", "DejaVuSerif-Italic", "DejaVuSansMono-Bold"];

    /// <summary>All 21 faces, core first, in a fixed order.</summary>
    public static IReadOnlyList<GlyphFont> All(string? directory = null) =>
        Core.Select(n => new GlyphFont(Path.Combine(directory ?? Directory, n + ".ttf"), "fonts-dejavu-core"))
            .Concat(Extra.Select(n => new GlyphFont(Path.Combine(directory ?? Directory, n + ".ttf"), "fonts-dejavu-extra")))
            .ToList();

    /// <summary>Loads a face; a missing file is an error that names the Debian package to install.</summary>
    public static SKTypeface Load(GlyphFont font)
    {
        SkiaNative.Ensure();
        if (!File.Exists(font.File))
            throw new FileNotFoundException(
                $"font {font.Name} is missing ({font.File}); install the Debian package {font.Package} (apt-get install {font.Package})", font.File);
        return SKTypeface.FromFile(font.File)
            ?? throw new InvalidDataException($"font {font.File} could not be read by SkiaSharp; reinstall {font.Package}");
    }
}
