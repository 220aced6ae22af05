using Plotly.NET;
using Plotly.NET.CSharp;
using Raccoon.Research.Data.Glyphs;
using Raccoon.Research.Models.GlyphCnn;
using Chart = Plotly.NET.CSharp.Chart;
using Figure = Raccoon.Research.Reporting.Figure;

namespace Raccoon.Research.Experiments.GlyphCnn;

/// <summary>Every chart of document 003, in one place (to move to the Plotly-free builders when they land).</summary>
static class GlyphCnnCharts
{
    /// <summary>Stacked parameters per component, one column per model.</summary>
    public static Figure Components(IReadOnlyList<GlyphCnnClassifier> models)
    {
        var names = models.Select(m => m.Config.Variant).ToArray();
        var parts = models[0].Components().Select(c => c.Name).ToArray();
        var traces = parts.Select((p, i) => Chart.StackedColumn<double, string, string>(
            models.Select(m => m.Components()[i].Parameters / 1e6).ToArray(), Keys: names, Name: p));
        return Figure.From("Parameters per component (millions, 1197 classes)",
            Chart.Combine(traces).WithYAxisStyle<double, double, string>(TitleText: "parameters (millions)"));
    }

    /// <summary>A row of glyph images: each as a heatmap block, side by side with a gap.</summary>
    public static Figure Mosaic(string title, IReadOnlyList<double[,]> images, IReadOnlyList<string> labels, string colorbar)
    {
        int h = images.Max(i => i.GetLength(0)), gap = Math.Max(1, h / 8);
        int w = images.Sum(i => i.GetLength(1) + gap);
        var z = new double?[h][];
        for (int r = 0; r < h; r++) z[r] = new double?[w];
        int x0 = 0;
        foreach (var img in images)
        {
            for (int r = 0; r < img.GetLength(0); r++)
                for (int c = 0; c < img.GetLength(1); c++) z[r][x0 + c] = img[r, c];
            x0 += img.GetLength(1) + gap;
        }
        var rows = z.Select(row => row.Select(v => v ?? double.NaN).ToArray()).ToArray();
        var chart = Chart.Heatmap<double, int, int, string>(rows, Name: colorbar, ReverseYAxis: true)
            .WithXAxisStyle<double, double, string>(TitleText: string.Join("   ", labels))
            .WithYAxisStyle<double, double, string>(TitleText: "row");
        return Figure.From(title, chart);
    }

    public static Figure Gallery(GlyphDataset data, int count = 8)
    {
        var items = data.Gallery.Take(count).ToList();
        var rasters = items.Select(g =>
        {
            var img = new double[GlyphRenderer.Canvas / 2, GlyphRenderer.Canvas / 2]; // 2 x 2 pooled so the figure stays small
            for (int r = 0; r < GlyphRenderer.Canvas; r++)
                for (int c = 0; c < GlyphRenderer.Canvas; c++) img[r / 2, c / 2] += g.Raster[r * GlyphRenderer.Canvas + c] / 4.0;
            return img;
        }).ToList();
        return Mosaic($"Rendered glyphs (DejaVu Sans, 128 x 128 shown at 64 x 64): {string.Join(" ", items.Select(g => g.Class.Text))}",
            rasters, items.Select(g => g.Class.Text).ToList(), "ink");
    }

    public static Figure Grids(GlyphDataset data, int count = 8)
    {
        var items = data.Gallery.Take(count).ToList();
        var grids = items.Select(g =>
        {
            var img = new double[16, 16];
            for (int i = 0; i < 256; i++) img[i / 16, i % 16] = g.Grid[i];
            return img;
        }).ToList();
        return Mosaic($"Their 16 x 16 primitive grids (id 0 = empty cell, 1..1023 = k-means centroid)", grids, items.Select(g => g.Class.Text).ToList(), "primitive id");
    }

    /// <summary>Held-out top-1 against inference ms per glyph: the accuracy-speed frontier.</summary>
    public static Figure Frontier(IReadOnlyList<(string Name, double Ms, double Top1)> points)
    {
        var chart = Chart.Point<double, double, string>(points.Select(p => p.Ms).ToArray(), points.Select(p => p.Top1).ToArray(),
                Name: "models", MultiText: points.Select(p => p.Name).ToArray(), TextPosition: StyleParam.TextPosition.TopCenter)
            .WithXAxisStyle<double, double, string>(TitleText: "inference ms per glyph (batch 256, this CPU)")
            .WithYAxisStyle<double, double, string>(TitleText: "held-out top-1 (%)");
        return Figure.From("Accuracy against speed", chart);
    }

    /// <summary>Held-out top-1 by epoch, one line per run.</summary>
    public static Figure Curves(IReadOnlyList<GlyphTrainingRun> runs, string yTitle, Func<GlyphEpoch, double> y, string title)
    {
        var traces = runs.Select(r => Chart.Line<double, double, string>(r.Epochs.Select(e => (double)e.Epoch).ToArray(), r.Epochs.Select(y).ToArray(), ShowMarkers: true, Name: r.Variant));
        return Figure.From(title, Chart.Combine(traces)
            .WithXAxisStyle<double, double, string>(TitleText: "epoch")
            .WithYAxisStyle<double, double, string>(TitleText: yTitle));
    }

    /// <summary>Columns of one figure per model.</summary>
    public static Figure Columns(string title, string yTitle, IReadOnlyList<string> categories, params (string Name, IReadOnlyList<double> Values)[] series)
    {
        var traces = series.Select(s => Chart.Column<double, string, string>(s.Values.ToArray(), Keys: categories.ToArray(), Name: s.Name));
        return Figure.From(title, Chart.Combine(traces).WithYAxisStyle<double, double, string>(TitleText: yTitle));
    }
}
