using Raccoon.Research.Ledger;
using Raccoon.Research.Runtime;
using Raccoon.Research.Views;
using SkiaSharp;

namespace Raccoon.Research.Reporting.WriteUp;

/// <summary>
/// The write-up's blocks set on A4 pages and written as a PDF by SkiaSharp's own PDF back end (SKDocument), in
/// process: paragraphs wrapped word by word in DejaVu Serif, tables with wrapped cells and their header repeated
/// after a page break, figures drawn as vectors by <see cref="StaticFigure"/>, page numbers. The fonts are embedded
/// with their Unicode maps, so the text can be searched and extracted. No browser, no external program.
/// </summary>
public sealed class PdfLayout : IDisposable
{
    const float PageWidth = 595.28f, PageHeight = 841.89f, Margin = 56.7f; // A4, 20 mm margins
    const float Body = 10f;
    static float Width => PageWidth - 2 * Margin;
    static float Bottom => PageHeight - Margin;
    readonly SKDocument _doc;
    readonly Dictionary<string, SKTypeface> _faces = [];
    SKCanvas? _canvas;
    float _y;
    int _page;

    PdfLayout(SKWStream stream, string title)
    {
        var meta = new SKDocumentPdfMetadata { Title = title, Creator = "Raccoon.Research", Producer = "SkiaSharp" };
        _doc = SKDocument.CreatePdf(stream, meta);
    }

    /// <summary>Sets <paramref name="blocks"/> under <paramref name="title"/> and writes the PDF to <paramref name="path"/>
    /// (whole or not at all); returns the number of pages.</summary>
    public static int Write(string path, string title, IReadOnlyList<Block> blocks)
    {
        string tmp = path + ".tmp";
        int pages;
        using (var file = File.Create(tmp))
        using (var stream = new SKManagedWStream(file))
        using (var layout = new PdfLayout(stream, title))
        {
            layout.Title(title);
            foreach (var b in blocks) layout.Set(b);
            pages = layout.Finish();
        }
        File.Move(tmp, path, overwrite: true);
        return pages;
    }

    SKTypeface Face(string file)
    {
        if (_faces.TryGetValue(file, out var f)) return f;
        string path = Path.Combine(DejaVuFonts.Directory, file);
        if (!File.Exists(path))
            throw new FileNotFoundException($"the write-up's PDF is set in DejaVu, and {path} is missing: install Debian's fonts-dejavu-core and fonts-dejavu-extra", path);
        return _faces[file] = SKTypeface.FromFile(path);
    }

    SKFont Font(RunStyle style, float size, bool sans = false) => new(Face((sans, style) switch
    {
        (_, RunStyle.Code) => "DejaVuSansMono.ttf",
        (true, RunStyle.Bold) => "DejaVuSans-Bold.ttf",
        (true, _) => "DejaVuSans.ttf",
        (false, RunStyle.Bold) => "DejaVuSerif-Bold.ttf",
        (false, RunStyle.Italic) => "DejaVuSerif-Italic.ttf",
        _ => "DejaVuSerif.ttf",
    }), size);

    SKCanvas Canvas => _canvas ?? NewPage();

    SKCanvas NewPage()
    {
        if (_canvas is not null) EndPage();
        _canvas = _doc.BeginPage(PageWidth, PageHeight);
        _page++;
        _y = Margin;
        return _canvas;
    }

    void EndPage()
    {
        using var font = Font(RunStyle.Normal, 8.5f);
        using var paint = new SKPaint { Color = SKColors.DimGray, IsAntialias = true };
        _canvas!.DrawText(_page.ToString(System.Globalization.CultureInfo.InvariantCulture), PageWidth / 2, PageHeight - Margin / 2, SKTextAlign.Center, font, paint);
        _doc.EndPage();
        _canvas = null;
    }

    int Finish()
    {
        if (_canvas is not null) EndPage();
        _doc.Close();
        return _page;
    }

    /// <summary>Room for <paramref name="height"/> more points on this page, else a new page.</summary>
    void Need(float height)
    {
        _ = Canvas;
        if (_y + height > Bottom && _y > Margin + 1) NewPage();
    }

    void Title(string title)
    {
        _ = Canvas;
        Lines([new Run(title, RunStyle.Bold)], 17, Margin, Width, center: true);
        _y += 6;
    }

    void Set(Block b)
    {
        switch (b)
        {
            case Heading h:
                float size = h.Level <= 2 ? 13.5f : 11f;
                Need(size * 1.4f + 3 * Body * 1.35f); // keep a heading with the start of what follows
                _y += h.Level <= 2 ? 10 : 6;
                Lines([new Run(h.Text, RunStyle.Bold)], size, Margin, Width);
                _y += 2;
                break;
            case Paragraph p:
                float ps = p.Class switch { "abstract" => 9.5f, "evidence" or "byline" => 8.5f, "claimtext" => 9.5f, _ => Body };
                var runs = p.Class == "claimtext" ? p.Runs.Select(r => r with { Style = RunStyle.Italic }).ToList() : p.Runs;
                float indent = p.Class == "abstract" ? 24 : 0;
                Lines(runs, ps, Margin + indent, Width - 2 * indent, center: p.Class == "byline", colour: p.Class is "evidence" or "byline" ? new SKColor(0x44, 0x44, 0x44) : SKColors.Black);
                _y += ps * 0.5f;
                break;
            case Bullets l:
                float ls = l.Class == "files" ? 8f : 9.5f;
                foreach (var item in l.Items)
                {
                    Need(ls * 1.35f);
                    using (var font = Font(RunStyle.Normal, ls))
                    using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
                        Canvas.DrawText("•", Margin + 4, _y + ls, SKTextAlign.Left, font, paint);
                    Lines(item, ls, Margin + 14, Width - 14);
                    _y += ls * 0.25f;
                }
                _y += 4;
                break;
            case Preformatted pre:
                Lines([new Run(pre.Text, RunStyle.Code)], 8f, Margin + 6, Width - 12, breakAnywhere: true);
                _y += 6;
                break;
            case TableBlock t:
                Table(t.Table);
                break;
            case FigureBlock f:
                Figure(f.Figure);
                break;
        }
    }

    void Figure(NumberedFigure f)
    {
        var (w, h) = StaticFigure.Size(f.Figure);
        float scale = Width / w, height = h * scale;
        float captionHeight = 3 * 9 * 1.35f;
        Need(Math.Min(height + captionHeight, Bottom - Margin));
        if (height > Bottom - _y - captionHeight) scale = (Bottom - _y - captionHeight) / h; // a figure taller than a page shrinks to fit
        var canvas = Canvas;
        canvas.Save();
        canvas.Translate(Margin + (Width - w * scale) / 2, _y);
        canvas.Scale(scale);
        StaticFigure.Draw(f.Figure, canvas, new SKRect(0, 0, w, h));
        canvas.Restore();
        _y += h * scale + 4;
        Lines([new Run($"Figure {f.Number}.", RunStyle.Bold), " " + f.Caption], 9, Margin, Width);
        _y += 8;
    }

    void Table(NumberedTable t)
    {
        const float size = 7.5f, pad = 3f, lh = size * 1.3f;
        var cols = t.Table.Columns;
        var rows = t.Table.Rows.Select(r => Enumerable.Range(0, cols.Count).Select(i => i < r.Count ? r[i] : "").ToList()).ToList();
        using var regular = Font(RunStyle.Normal, size, sans: true);
        using var bold = Font(RunStyle.Bold, size, sans: true);
        // Column widths: each column's natural width (its longest cell, at most 40% of the line), scaled to the line.
        // Each column at least as wide as its widest word (a verdict badge is one word), the rest shared by how much
        // more each column's longest cell would take.
        var natural = cols.Select((c, i) => Math.Min(Width * 0.45f, Math.Max(bold.MeasureText(c), rows.Select(r => regular.MeasureText(r[i])).DefaultIfEmpty(0).Max()) + 2 * pad)).ToArray();
        var least = cols.Select((c, i) => Math.Min(Width * 0.3f, rows.Select(r => r[i]).Append(c).SelectMany(x => x.Split(' '))
            .Select(w => regular.MeasureText(w) * (cols[i] == "verdict" ? 1.1f : 1) + (cols[i] == "verdict" ? 8 : 0)).DefaultIfEmpty(0).Max() + 2 * pad)).ToArray();
        for (int i = 0; i < natural.Length; i++) natural[i] = Math.Max(natural[i], least[i]);
        float total = natural.Sum(), floor = least.Sum(), extra = natural.Zip(least, (n, l) => n - l).Sum();
        var widths = total <= Width ? natural
            : floor >= Width ? least.Select(l => Width * l / floor).ToArray()
            : natural.Select((n, i) => least[i] + (Width - floor) * (n - least[i]) / extra).ToArray();

        Need(lh * 4 + 20);
        Lines([new Run($"Table {t.Number}.", RunStyle.Bold), " " + t.Caption], 9, Margin, Width);
        _y += 2;
        using var rule = new SKPaint { Color = SKColors.Black, StrokeWidth = 0.9f, IsAntialias = true };
        using var thin = new SKPaint { Color = SKColors.Black, StrokeWidth = 0.5f, IsAntialias = true };
        float tableWidth = widths.Sum();
        void Header()
        {
            Canvas.DrawLine(Margin, _y, Margin + tableWidth, _y, rule);
            float h = Row(cols.Select(c => new Run(c, RunStyle.Bold)).ToList(), widths, size, pad, sans: true);
            _y += h;
            Canvas.DrawLine(Margin, _y, Margin + tableWidth, _y, thin);
        }
        Header();
        foreach (var r in rows)
        {
            var cells = r.Select((c, i) => BlockHtml.CellRun(cols[i], c)).ToList();
            float h = RowHeight(cells, widths, size, pad);
            if (_y + h > Bottom)
            {
                Canvas.DrawLine(Margin, _y, Margin + tableWidth, _y, rule);
                NewPage();
                Header();
            }
            _y += Row(cells, widths, size, pad, sans: true);
        }
        Canvas.DrawLine(Margin, _y, Margin + tableWidth, _y, rule);
        _y += 10;
    }

    float RowHeight(IReadOnlyList<Run> cells, float[] widths, float size, float pad) =>
        cells.Select((c, i) => Wrap([c], size, widths[i] - 2 * pad, sans: true).Count).Max() * size * 1.3f + 2 * pad;

    float Row(IReadOnlyList<Run> cells, float[] widths, float size, float pad, bool sans)
    {
        float x = Margin, top = _y, height = RowHeight(cells, widths, size, pad);
        for (int i = 0; i < cells.Count; i++)
        {
            _y = top + pad;
            Lines([cells[i]], size, x + pad, widths[i] - 2 * pad, sans: sans, lineFactor: 1.3f);
            x += widths[i];
        }
        _y = top;
        return height;
    }

    /// <summary>One word (or badge) of a wrapped line.</summary>
    sealed record Piece(string Text, Run Run, float Width, bool SpaceBefore);

    /// <summary>The runs cut into lines no wider than <paramref name="width"/>.</summary>
    List<List<Piece>> Wrap(IReadOnlyList<Run> runs, float size, float width, bool sans = false, bool breakAnywhere = false)
    {
        var lines = new List<List<Piece>> { new() };
        float used = 0;
        bool pendingSpace = false; // the previous run ended in a space: the next word starts after one
        foreach (var run in runs)
        {
            using var font = Font(run.Verdict is null ? run.Style : RunStyle.Bold, run.Verdict is null ? size : size * 0.85f, sans || run.Verdict is not null || run.Mark);
            float space = font.MeasureText(" ");
            if (run.Verdict is not null || run.Mark && !run.Text.Contains(' '))
            {
                Add(new Piece(run.Text, run, font.MeasureText(run.Text) + 6, SpaceBefore: pendingSpace), space);
                pendingSpace = false;
                continue;
            }
            foreach (var (para, pi) in run.Text.Split('\n').Select((p, i) => (p, i)))
            {
                if (pi > 0) { lines.Add([]); used = 0; }
                var words = breakAnywhere ? Chunks(para, font, width) : [.. para.Split(' ')];
                for (int k = 0; k < words.Count; k++)
                {
                    string w = words[k];
                    if (w.Length == 0)
                    {
                        pendingSpace |= !breakAnywhere;
                        continue;
                    }
                    bool spaceBefore = !breakAnywhere && (k > 0 || pendingSpace);
                    Add(new Piece(w, run, font.MeasureText(w), spaceBefore), space);
                    pendingSpace = false;
                }
                if (!breakAnywhere && para.EndsWith(' ')) pendingSpace = true;
            }
        }
        return lines;

        void Add(Piece p, float space)
        {
            float extra = p.SpaceBefore && used > 0 ? space : 0;
            if (used > 0 && used + extra + p.Width > width)
            {
                lines.Add([]);
                used = 0;
                extra = 0;
            }
            lines[^1].Add(p with { SpaceBefore = extra > 0 });
            used += extra + p.Width;
        }
    }

    static List<string> Chunks(string text, SKFont font, float width)
    {
        var list = new List<string>();
        int start = 0;
        while (start < text.Length)
        {
            int n = Math.Max(1, (int)font.BreakText(text.AsSpan(start), width));
            list.Add(text.Substring(start, Math.Min(n, text.Length - start)));
            start += n;
        }
        return list;
    }

    /// <summary>Sets the runs as wrapped lines at the current height and moves below them.</summary>
    void Lines(IReadOnlyList<Run> runs, float size, float left, float width, bool center = false, SKColor? colour = null,
        bool sans = false, bool breakAnywhere = false, float lineFactor = 1.35f)
    {
        float lh = size * lineFactor;
        foreach (var line in Wrap(runs, size, width, sans, breakAnywhere))
        {
            Need(lh);
            var canvas = Canvas;
            float lineWidth = line.Sum(p => p.Width) + line.Count(p => p.SpaceBefore) * size * 0.3f;
            float x = center ? left + (width - lineWidth) / 2 : left, baseline = _y + size;
            foreach (var p in line)
            {
                using var font = Font(p.Run.Verdict is null ? p.Run.Style : RunStyle.Bold, p.Run.Verdict is null ? size : size * 0.85f, sans || p.Run.Verdict is not null || p.Run.Mark);
                if (p.SpaceBefore) x += font.MeasureText(" ");
                if (p.Run.Verdict is { } v)
                {
                    using var fill = new SKPaint { Color = SKColor.Parse(VerdictStyle.Colour(v)), IsAntialias = true };
                    canvas.DrawRoundRect(new SKRect(x, baseline - size * 0.9f, x + p.Width, baseline + size * 0.25f), 2, 2, fill);
                    using var white = new SKPaint { Color = SKColors.White, IsAntialias = true };
                    canvas.DrawText(p.Text, x + 3, baseline - size * 0.05f, SKTextAlign.Left, font, white);
                }
                else
                {
                    if (p.Run.Mark)
                    {
                        using var mark = new SKPaint { Color = new SKColor(0xff, 0xf3, 0xcd), IsAntialias = true };
                        canvas.DrawRect(new SKRect(x - 1, baseline - size * 0.9f, x + p.Width + 1, baseline + size * 0.25f), mark);
                    }
                    using var paint = new SKPaint { Color = colour ?? SKColors.Black, IsAntialias = true };
                    canvas.DrawText(p.Text, x + (p.Run.Mark && p.Width > font.MeasureText(p.Text) ? 3 : 0), baseline, SKTextAlign.Left, font, paint);
                }
                x += p.Width;
            }
            _y += lh;
        }
    }

    public void Dispose()
    {
        foreach (var f in _faces.Values) f.Dispose();
        _doc.Dispose();
    }
}
