using SkiaSharp;

namespace Raccoon.Research.Data.Glyphs;

/// <summary>The small variations of one rendering: size of the major dimension as a fraction of the
/// canvas, shift in pixels from the top-left corner, and extra stroke width in pixels (thicker strokes).</summary>
public sealed record GlyphAugmentation(double Scale = 1, double ShiftX = 0, double ShiftY = 0, double Stroke = 0)
{
    public static GlyphAugmentation None { get; } = new();

    /// <summary>Scale in [0.8, 1], stroke in [0, 3] px, shift uniform in what the canvas leaves (at most 12 px).</summary>
    public static GlyphAugmentation Draw(Random rng)
    {
        double scale = 0.8 + 0.2 * rng.NextDouble();
        double stroke = 3 * rng.NextDouble();
        double slack = Math.Min(12, GlyphRenderer.Canvas * (1 - scale));
        return new(scale, slack * rng.NextDouble(), slack * rng.NextDouble(), stroke);
    }
}

/// <summary>
/// Glyph rasters as upstream's pipeline makes them: the outline scaled so its larger side fills the
/// 128 x 128 canvas (aspect kept), moved to the top-left corner, filled with anti-aliasing and
/// thresholded at one half to a binary image; then cut into 16 x 16 cells of 8 x 8 pixels.
/// </summary>
public static class GlyphRenderer
{
    public const int Canvas = 128, Cell = 8, Cells = Canvas / Cell; // 16 x 16 cells

    /// <summary>A binary 128 x 128 raster (row-major, 1 = ink), or null when the face has no outline for the codepoint.</summary>
    public static byte[]? Render(SKTypeface face, int codepoint, GlyphAugmentation? augmentation = null)
    {
        var a = augmentation ?? GlyphAugmentation.None;
        using var font = new SKFont(face, 256);
        using var path = font.GetTextPath(char.ConvertFromUtf32(codepoint), new SKPoint(0, 0));
        if (path is null || path.IsEmpty) return null;
        var b = path.TightBounds;
        float major = Math.Max(b.Width, b.Height);
        if (major <= 0) return null;
        float stroke = (float)a.Stroke;
        float target = (float)(Canvas * a.Scale) - stroke; // the stroke grows the outline by half its width on each side
        float s = target / major;
        var m = SKMatrix.CreateTranslation(-b.Left, -b.Top)
            .PostConcat(SKMatrix.CreateScale(s, s))
            .PostConcat(SKMatrix.CreateTranslation((float)a.ShiftX + stroke / 2, (float)a.ShiftY + stroke / 2));
        path.Transform(m);

        using var bitmap = new SKBitmap(new SKImageInfo(Canvas, Canvas, SKColorType.Alpha8, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true, Style = stroke > 0 ? SKPaintStyle.StrokeAndFill : SKPaintStyle.Fill, StrokeWidth = stroke })
        {
            canvas.Clear(SKColors.Transparent);
            canvas.DrawPath(path, paint);
        }
        var pixels = bitmap.GetPixelSpan();
        var raster = new byte[Canvas * Canvas];
        for (int i = 0; i < raster.Length; i++) raster[i] = pixels[i] >= 128 ? (byte)1 : (byte)0;
        return raster;
    }

    /// <summary>The 256 cells of a raster, row by row, each packed into 64 bits (bit 8r + c = pixel (r, c) of the cell); 0 = empty cell.</summary>
    public static ulong[] CellPatterns(byte[] raster)
    {
        if (raster.Length != Canvas * Canvas) throw new ArgumentException($"a glyph raster is {Canvas} x {Canvas} = {Canvas * Canvas} pixels, got {raster.Length}");
        var cells = new ulong[Cells * Cells];
        for (int gy = 0; gy < Cells; gy++)
            for (int gx = 0; gx < Cells; gx++)
            {
                ulong p = 0;
                for (int r = 0; r < Cell; r++)
                    for (int c = 0; c < Cell; c++)
                        if (raster[(gy * Cell + r) * Canvas + gx * Cell + c] != 0) p |= 1UL << (r * Cell + c);
                cells[gy * Cells + gx] = p;
            }
        return cells;
    }

    /// <summary>The 64 pixels (0 / 1) of a packed cell.</summary>
    public static float[] Unpack(ulong pattern)
    {
        var v = new float[Cell * Cell];
        for (int i = 0; i < v.Length; i++) v[i] = (pattern >> i & 1) != 0 ? 1f : 0f;
        return v;
    }
}
