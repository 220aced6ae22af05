using System.Text.Json.Nodes;
using Raccoon.Research.Data.Glyphs;
using Raccoon.Research.Models.GlyphCnn;
using Raccoon.Research.Views;

namespace Raccoon.Research.Experiments.GlyphCnn;

/// <summary>Every chart of document 003, from the library's Plotly-free builders (and one heatmap written the same way).</summary>
static class GlyphCnnCharts
{
    /// <summary>Parameters per component, one bar per model in each component's group.</summary>
    public static Figure Components(IReadOnlyList<GlyphCnnClassifier> models) =>
        Charts.Bars("Parameters per component (millions, 1197 classes)", "parameters (millions)", false,
            models[0].Components().Select(c => c.Name).ToList(),
            models.Select(m => (m.Config.Variant, (IReadOnlyList<double>)m.Components().Select(c => c.Parameters / 1e6).ToArray())).ToArray())
        .Named("components");

    /// <summary>Images side by side in one heatmap (a gap of empty columns between them), rows top to bottom.</summary>
    public static Figure Mosaic(string title, IReadOnlyList<double[,]> images, IReadOnlyList<string> labels, string colourTitle)
    {
        int h = images.Max(i => i.GetLength(0)), gap = Math.Max(1, h / 8);
        var z = new JsonArray();
        for (int r = 0; r < h; r++)
        {
            var row = new JsonArray();
            for (int k = 0; k < images.Count; k++)
            {
                var img = images[k];
                for (int c = 0; c < img.GetLength(1); c++) row.Add(r < img.GetLength(0) ? JsonValue.Create(img[r, c]) : null);
                if (k < images.Count - 1) for (int g = 0; g < gap; g++) row.Add(null);
            }
            z.Add(row);
        }
        var trace = new JsonObject { ["type"] = "heatmap", ["z"] = z, ["colorscale"] = "Greys", ["reversescale"] = false, ["colorbar"] = new JsonObject { ["title"] = new JsonObject { ["text"] = colourTitle } } };
        var layout = new JsonObject
        {
            ["autosize"] = true,
            ["margin"] = new JsonObject { ["l"] = 40, ["r"] = 20, ["t"] = 20, ["b"] = 60 },
            ["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = string.Join("   ", labels) }, ["showticklabels"] = false },
            ["yaxis"] = new JsonObject { ["autorange"] = "reversed", ["scaleanchor"] = "x", ["showticklabels"] = false },
        };
        return new Figure(title, new JsonObject { ["data"] = new JsonArray(trace), ["layout"] = layout }.ToJsonString());
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
            rasters, items.Select(g => g.Class.Text).ToList(), "ink").Named("gallery");
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
        return Mosaic("Their 16 x 16 primitive grids (id 0 = empty cell, 1..1023 = k-means centroid)", grids,
            items.Select(g => g.Class.Text).ToList(), "primitive id").Named("grids");
    }

    /// <summary>Held-out faces top-1 against inference ms per glyph (timed on the larger held-out renderings split): the accuracy-speed frontier.</summary>
    public static Figure Frontier(IReadOnlyList<(string Name, double Ms, double Top1)> points) =>
        Charts.Points("Accuracy against cost per glyph", "ms per glyph (evaluating the held-out renderings in batches of 256, this CPU)", "held-out faces top-1 (%)", false, false,
            new PointSeries("models", points.Select(p => p.Ms).ToArray(), points.Select(p => p.Top1).ToArray(), points.Select(p => p.Name).ToArray()))
        .Named("frontier");

    /// <summary>One line per run of a per-epoch figure.</summary>
    public static Figure Curves(string key, string title, string yTitle, IReadOnlyList<GlyphTrainingRun> runs, Func<GlyphEpoch, double> y) =>
        Charts.Lines(title, "epoch", yTitle, false, false,
            runs.Select(r => (r.Variant, (IReadOnlyList<double>)r.Epochs.Select(e => (double)e.Epoch).ToArray(), (IReadOnlyList<double>)r.Epochs.Select(y).ToArray())).ToArray())
        .Named(key);

    /// <summary>Relative speed per model from several sources.</summary>
    public static Figure Speed(IReadOnlyList<string> models, params (string Name, IReadOnlyList<double> Values)[] series) =>
        Charts.Bars("Relative inference speed (Full = 1)", "x Full's speed", false, models, series).Named("relative-speed");
}
