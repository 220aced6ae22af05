using System.Globalization;
using System.Text.Json.Nodes;
using SkiaSharp;
using Raccoon.Research.IO;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Views;

/// <summary>
/// A <see cref="Figure"/> drawn without a browser: the library's Plotly JSON (the trace kinds <see cref="Charts"/>
/// writes: scatter lines and markers with labels and error bars, bars grouped or stacked, boxes, a sunburst's first
/// ring, grids of panels, rectangle shapes) turned into ScottPlot plots on SkiaSharp, then drawn onto any canvas: an
/// SVG, a PNG or a PDF page. Text is set in DejaVu Sans, which a Debian machine has (fonts-dejavu-core) and the
/// glyph data already uses; no system font lookup is needed.
/// </summary>
public static class StaticFigure
{
    public const string FontFamily = "DejaVu Sans";
    static readonly Lazy<bool> Fonts = new(() =>
    {
        string regular = Path.Combine(DejaVuFonts.Directory, "DejaVuSans.ttf"), bold = Path.Combine(DejaVuFonts.Directory, "DejaVuSans-Bold.ttf");
        if (!File.Exists(regular)) return false;
        ScottPlot.Fonts.AddFontFile(FontFamily, regular, bold: false, italic: false);
        if (File.Exists(bold)) ScottPlot.Fonts.AddFontFile(FontFamily, bold, bold: true, italic: false);
        ScottPlot.Fonts.Default = FontFamily;
        return true;
    });

    /// <summary>The figure's width in pixels (points on a PDF page) when written as a file, and its height: the
    /// layout's own height scaled to that width (a 420 px chart is as tall as plotly.js draws it at 900 px).</summary>
    public static (int Width, int Height) Size(Figure f, int width = 900) => (width, f.Height());

    /// <summary>Draws the figure into <paramref name="rect"/> of <paramref name="canvas"/>.</summary>
    public static void Draw(Figure figure, SKCanvas canvas, SKRect rect, float fontScale = 1)
    {
        SkiaNative.Ensure(); // before any ScottPlot method that names a SkiaSharp type is compiled
        using var culture = InvariantFormatting.Enter(); // ScottPlot writes tick labels in the current culture
        _ = Fonts.Value;
        var fig = JsonNode.Parse(figure.PlotlyJson)!;
        var layout = fig["layout"] as JsonObject ?? [];
        var traces = (fig["data"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (layout["grid"] is JsonObject grid)
        {
            int rows = grid["rows"]!.GetValue<int>(), columns = grid["columns"]!.GetValue<int>();
            int panels = traces.Select(t => Suffix(t["xaxis"]?.GetValue<string>())).DefaultIfEmpty(1).Max();
            float w = rect.Width / columns, h = rect.Height / rows;
            for (int i = 0; i < panels; i++)
            {
                string suffix = i == 0 ? "" : (i + 1).ToString(CultureInfo.InvariantCulture);
                var own = traces.Where(t => Suffix(t["xaxis"]?.GetValue<string>()) == i + 1).ToList();
                var plot = Build(own, layout["xaxis" + suffix] as JsonObject, layout["yaxis" + suffix] as JsonObject, layout, fontScale);
                int r = i / columns, c = i % columns;
                Render(plot, canvas, new SKRect(rect.Left + c * w, rect.Top + r * h, rect.Left + (c + 1) * w, rect.Top + (r + 1) * h));
            }
            return;
        }
        Render(Build(traces, layout["xaxis"] as JsonObject, layout["yaxis"] as JsonObject, layout, fontScale), canvas, rect);
    }

    static void Render(ScottPlot.Plot plot, SKCanvas canvas, SKRect rect)
    {
        canvas.Save();
        canvas.ClipRect(rect);
        plot.Render(canvas, new ScottPlot.PixelRect(rect.Left, rect.Right, rect.Bottom, rect.Top));
        canvas.Restore();
    }

    /// <summary>The figure as an SVG document of <paramref name="width"/> x its height.</summary>
    public static byte[] Svg(Figure figure, int width = 900) => System.Text.Encoding.UTF8.GetBytes(SvgString(figure, width));

    /// <summary>Each figure's SVG text per width, kept while the figure lives: a Figure is immutable, and a notebook shows one
    /// twice (its HTML box and its image/svg+xml output), so the second costs no drawing.</summary>
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Figure, System.Collections.Concurrent.ConcurrentDictionary<int, string>> Drawn = new();

    static string SvgString(Figure figure, int width) => Drawn.GetOrCreateValue(figure).GetOrAdd(width, w => DrawSvg(figure, w));

    static string DrawSvg(Figure figure, int width)
    {
        var (w, h) = Size(figure, width);
        using var stream = new MemoryStream();
        using (var wstream = new SKManagedWStream(stream))
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, w, h), wstream))
        {
            canvas.Clear(SKColors.White);
            Draw(figure, canvas, new SKRect(0, 0, w, h));
        }
        return StableClipIds(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>SkiaSharp numbers an SVG's clip paths from a counter of the process (cl_1a, cl_1b, ...), so the same
    /// figure drawn twice differed: renumbered in order of appearance under a prefix from the drawing itself, the same
    /// figure gives the same bytes (cached == recomputed, any culture), and two figures inline on one page keep apart.</summary>
    public static string StableClipIds(string svg)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        string prefix = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(ClipId.Replace(svg, "cl_"))))[..8].ToLowerInvariant();
        return ClipId.Replace(svg, m =>
        {
            if (!ids.TryGetValue(m.Value, out string? id)) ids[m.Value] = id = $"cl_{prefix}_{ids.Count.ToString(CultureInfo.InvariantCulture)}";
            return id;
        });
    }

    static readonly System.Text.RegularExpressions.Regex ClipId = new(@"\bcl_[0-9a-f]+\b", System.Text.RegularExpressions.RegexOptions.Compiled);

    /// <summary>The figure's SVG as text, or false with the reason where it cannot be drawn in this process (a figure
    /// that is not there, or no native SkiaSharp or HarfBuzz here).</summary>
    public static bool TrySvgText(Figure figure, out string svg, out string why, int width = 900)
    {
        svg = "";
        why = "";
        if (figure.Unavailable is not null)
        {
            why = figure.Unavailable;
            return false;
        }
        try
        {
            svg = SvgString(figure, width);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            why = $"{NotDrawn}: {e.GetType().Name}: {e.GetBaseException().Message}";
            return false;
        }
    }

    /// <summary>How a notebook output begins that says why a chart has no static drawing.</summary>
    public const string NotDrawn = "static image not drawn";

    /// <summary>The figure's SVG for a notebook's image output; where it cannot be drawn, a small SVG that says why, so
    /// the output is never blank without a reason.</summary>
    public static string SvgText(Figure figure, int width = 900) => TrySvgText(figure, out string svg, out string why, width) ? svg
        : $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"40\"><text x=\"8\" y=\"24\" font-size=\"13\" fill=\"#444\">{Html.Escape(why)}</text></svg>";

    /// <summary>The figure as an &lt;img&gt; holding its SVG: the static drawing a notebook's chart box shows until
    /// plotly.js draws over it, and all it shows where scripts do not run (GitHub, nbviewer, a viewer without
    /// JavaScript). Where it cannot be drawn, a notice that says why.</summary>
    public static string NotebookImage(Figure figure, int width = 900) => TrySvgText(figure, out string svg, out string why, width)
        ? $"<img class=\"static-figure\" alt=\"{Html.Escape(figure.Title)}\" style=\"width:100%;max-width:{width}px\" " +
          $"src=\"data:image/svg+xml;base64,{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(svg))}\">"
        : Html.Notice(why);

    /// <summary>The figure as a PNG at <paramref name="scale"/> times <paramref name="width"/> x its height.</summary>
    public static byte[] Png(Figure figure, int width = 900, float scale = 2)
    {
        var (w, h) = Size(figure, width);
        using var surface = SKSurface.Create(new SKImageInfo((int)(w * scale), (int)(h * scale)));
        surface.Canvas.Clear(SKColors.White);
        surface.Canvas.Scale(scale);
        Draw(figure, surface.Canvas, new SKRect(0, 0, w, h));
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The figure as a one-page vector PDF (for LaTeX's \includegraphics).</summary>
    public static byte[] Pdf(Figure figure, int width = 900)
    {
        var (w, h) = Size(figure, width);
        using var stream = new MemoryStream();
        using (var wstream = new SKManagedWStream(stream))
        using (var doc = SKDocument.CreatePdf(wstream))
        {
            var canvas = doc.BeginPage(w, h);
            Draw(figure, canvas, new SKRect(0, 0, w, h));
            doc.EndPage();
            doc.Close();
        }
        return stream.ToArray();
    }

    /// <summary>The Plotly trace kinds drawn here.</summary>
    public static readonly IReadOnlySet<string> Known = new HashSet<string> { "scatter", "bar", "box", "sunburst", "heatmap", "scatter3d" };

    static int Suffix(string? axis) => axis is null || axis.Length <= 1 ? 1 : int.Parse(axis[1..], CultureInfo.InvariantCulture);

    static ScottPlot.Plot Build(IReadOnlyList<JsonObject> traces, JsonObject? xAxis, JsonObject? yAxis, JsonObject layout, float fontScale)
    {
        var plot = new ScottPlot.Plot();
        plot.Font.Set(FontFamily);
        plot.Axes.Bottom.Label.FontSize = 13 * fontScale;
        plot.Axes.Left.Label.FontSize = 13 * fontScale;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 11 * fontScale;
        plot.Axes.Left.TickLabelStyle.FontSize = 11 * fontScale;
        bool logX = Type(xAxis) == "log", logY = Type(yAxis) == "log";
        bool horizontal = traces.Any(t => t["orientation"]?.GetValue<string>() == "h");
        if (Title(xAxis) is { } xt) plot.XLabel(xt);
        if (Title(yAxis) is { } yt) plot.YLabel(yt);

        // Categories shared by every bar or box trace, in first-seen order.
        var categories = new List<string>();
        foreach (var t in traces.Where(t => t["type"]?.GetValue<string>() is "bar" or "box"))
            foreach (var c in CategoriesOf(t))
                if (!categories.Contains(c)) categories.Add(c);

        var palette = new ScottPlot.Palettes.Category10();
        int colourIndex = 0;
        ScottPlot.Color NextColour() => palette.GetColor(colourIndex++);
        bool stack = layout["barmode"]?.GetValue<string>() == "stack";
        var bars = traces.Where(t => t["type"]?.GetValue<string>() == "bar").ToList();
        var stackBase = new double[categories.Count];
        bool legend = false;

        foreach (var (shape, i) in (layout["shapes"] as JsonArray ?? []).OfType<JsonObject>().Select((s, i) => (s, i)))
            AddShape(plot, shape, logX, logY);

        for (int b = 0; b < bars.Count; b++)
        {
            var t = bars[b];
            var ys = Numbers(t["y"]);
            var cats = CategoriesOf(t);
            var colours = (t["marker"]?["color"] as JsonArray)?.Select(c => Colour(c?.GetValue<string>())).ToList();
            var seriesColour = NextColour();
            var list = new List<ScottPlot.Bar>();
            for (int k = 0; k < ys.Count; k++)
            {
                if (double.IsNaN(ys[k])) continue;
                int at = categories.IndexOf(cats[k]);
                double width = stack || bars.Count == 1 ? 0.7 : 0.8 / bars.Count;
                double pos = stack || bars.Count == 1 ? at : at - 0.4 + width * (b + 0.5);
                double lo = stack ? stackBase[at] : 0, v = logY ? Math.Log10(Math.Max(ys[k], 1e-300)) : ys[k];
                list.Add(new ScottPlot.Bar { Position = pos, ValueBase = lo, Value = lo + v, Size = width, FillColor = colours?[k] ?? seriesColour, LineWidth = 0 });
                if (stack) stackBase[at] += v;
            }
            var added = plot.Add.Bars(list);
            if (t["name"]?.GetValue<string>() is { Length: > 0 } name && bars.Count > 1)
            {
                added.LegendText = name;
                legend = true;
            }
        }

        var boxes = traces.Where(t => t["type"]?.GetValue<string>() == "box").ToList();
        foreach (var t in boxes)
        {
            var v = Numbers(t["y"]).Where(double.IsFinite).Order().ToList();
            if (v.Count == 0) continue;
            if (logY) v = v.Select(Math.Log10).ToList();
            double q1 = Quantile(v, 0.25), q2 = Quantile(v, 0.5), q3 = Quantile(v, 0.75), iqr = q3 - q1;
            double lo = v.Where(x => x >= q1 - 1.5 * iqr).Min(), hi = v.Where(x => x <= q3 + 1.5 * iqr).Max();
            int at = categories.IndexOf(CategoriesOf(t)[0]);
            var box = new ScottPlot.Box { Position = at, BoxMin = q1, BoxMax = q3, BoxMiddle = q2, WhiskerMin = lo, WhiskerMax = hi };
            var added = plot.Add.Box(box);
            added.FillColor = NextColour().WithAlpha(0.5);
            var outliers = v.Where(x => x < lo || x > hi).ToArray();
            if (outliers.Length > 0)
            {
                var m = plot.Add.Markers(outliers.Select(_ => (double)at).ToArray(), outliers);
                m.MarkerSize = 5;
            }
        }

        foreach (var t in traces.Where(t => t["type"]?.GetValue<string>() == "scatter"))
        {
            var xs = Numbers(t["x"]);
            var ys = Numbers(t["y"]);
            string mode = t["mode"]?.GetValue<string>() ?? "lines+markers";
            var colour = t["marker"]?["color"] is JsonValue one ? Colour(one.GetValue<string>()) : NextColour();
            var perPoint = (t["marker"]?["color"] as JsonArray)?.Select(c => Colour(c?.GetValue<string>())).ToList();
            var keep = Enumerable.Range(0, Math.Min(xs.Count, ys.Count)).Where(k => Finite(xs[k], logX) && Finite(ys[k], logY)).ToList();
            double[] X = keep.Select(k => logX ? Math.Log10(xs[k]) : xs[k]).ToArray(), Y = keep.Select(k => logY ? Math.Log10(ys[k]) : ys[k]).ToArray();
            if (t["error_x"] is JsonObject ex)
            {
                var plus = Numbers(ex["array"]);
                var minus = ex["arrayminus"] is { } am ? Numbers(am) : plus;
                foreach (var k in keep)
                {
                    if (k >= plus.Count || double.IsNaN(plus[k]) || double.IsNaN(minus[k])) continue;
                    double x0 = xs[k] - minus[k], x1 = xs[k] + plus[k];
                    if (logX && (x0 <= 0 || x1 <= 0)) continue;
                    double y = logY ? Math.Log10(ys[k]) : ys[k];
                    var line = plot.Add.Line(logX ? Math.Log10(x0) : x0, y, logX ? Math.Log10(x1) : x1, y);
                    line.LineWidth = 2;
                    line.LineColor = perPoint?[k] ?? colour;
                }
            }
            if (X.Length == 0) continue;
            if (mode.Contains("lines"))
            {
                var s = plot.Add.Scatter(X, Y, colour);
                s.MarkerSize = mode.Contains("markers") ? 5 : 0;
                s.LineWidth = 2;
                if (t["name"]?.GetValue<string>() is { Length: > 0 } name) { s.LegendText = name; legend = true; }
            }
            else if (perPoint is not null)
            {
                for (int j = 0; j < X.Length; j++)
                {
                    var m = plot.Add.Marker(X[j], Y[j]);
                    m.Color = perPoint[keep[j]];
                    m.Size = 8;
                }
            }
            else
            {
                var m = plot.Add.Markers(X, Y, color: colour);
                m.MarkerSize = 7;
                if (t["name"]?.GetValue<string>() is { Length: > 0 } name && traces.Count > 1) { m.LegendText = name; legend = true; }
            }
            if (t["text"] is JsonArray labels && mode.Contains("text"))
                for (int j = 0; j < X.Length; j++)
                {
                    var label = plot.Add.Text(labels[keep[j]]?.GetValue<string>() ?? "", X[j], Y[j]);
                    label.LabelFontSize = 10 * fontScale;
                    label.LabelAlignment = ScottPlot.Alignment.LowerCenter;
                    label.OffsetY = -6;
                }
        }

        foreach (var t in traces.Where(t => t["type"]?.GetValue<string>() == "sunburst"))
            AddSunburstRing(plot, t);

        foreach (var t in traces.Where(t => t["type"]?.GetValue<string>() == "heatmap"))
        {
            // z is rows of cells, the first row on top (the library's heatmaps reverse the y axis, as images do).
            var rows = (t["z"] as JsonArray ?? []).Select(Numbers).ToList();
            int width = rows.Count == 0 ? 0 : rows.Max(r => r.Count);
            var z = new double[rows.Count, width];
            for (int i = 0; i < rows.Count; i++)
                for (int j = 0; j < width; j++)
                    z[i, j] = j < rows[i].Count && double.IsFinite(rows[i][j]) ? rows[i][j] : double.NaN;
            var map = plot.Add.Heatmap(z);
            map.Colormap = t["colorscale"]?.GetValue<string>() == "Greys" ? new ScottPlot.Colormaps.Grayscale() : new ScottPlot.Colormaps.Viridis();
            plot.Axes.SquareUnits();
            plot.Axes.Bottom.TickLabelStyle.IsVisible = false;
            plot.Axes.Left.TickLabelStyle.IsVisible = false;
            plot.HideGrid();
        }

        // A 3-D line (scatter3d) drawn in an oblique projection: x to the right, z up, y receding to the upper right.
        var lines3d = traces.Where(t => t["type"]?.GetValue<string>() == "scatter3d").ToList();
        foreach (var t in lines3d)
        {
            var xs = Numbers(t["x"]);
            var ys = Numbers(t["y"]);
            var zs = Numbers(t["z"]);
            int n = new[] { xs.Count, ys.Count, zs.Count }.Min();
            var keep = Enumerable.Range(0, n).Where(k => double.IsFinite(xs[k]) && double.IsFinite(ys[k]) && double.IsFinite(zs[k])).ToList();
            if (keep.Count == 0) continue;
            double[] u = keep.Select(k => xs[k] + 0.45 * ys[k]).ToArray(), v = keep.Select(k => zs[k] + 0.3 * ys[k]).ToArray();
            var s3 = plot.Add.Scatter(u, v, NextColour());
            s3.MarkerSize = 0;
            s3.LineWidth = 1.5f;
            if (t["name"]?.GetValue<string>() is { Length: > 0 } name) { s3.LegendText = name; legend = true; }
        }
        if (lines3d.Count > 0)
        {
            plot.XLabel("x + 0.45 y (oblique projection of x, y, z)");
            plot.YLabel("z + 0.3 y");
        }

        // A trace kind this drawing does not know is named on the figure, never silently left out.
        var unknown = traces.Select(t => t["type"]?.GetValue<string>() ?? "?").Where(k => !Known.Contains(k)).Distinct().ToList();
        if (unknown.Count > 0)
            plot.Add.Annotation($"not drawn here ({string.Join(", ", unknown)}): see the HTML write-up", ScottPlot.Alignment.UpperCenter);

        if (categories.Count > 0)
        {
            var ticks = categories.Select((c, k) => new ScottPlot.Tick(k, c)).ToArray();
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
            if (categories.Sum(c => c.Length) > 110)
            {
                plot.Axes.Bottom.TickLabelStyle.Rotation = -30;
                plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleRight;
            }
            plot.Axes.SetLimitsX(-0.6, categories.Count - 0.4);
        }
        if (yAxis?["tickvals"] is JsonArray tv && yAxis["ticktext"] is JsonArray tt)
        {
            var ticks = tv.Select((v, k) => new ScottPlot.Tick(v!.GetValue<double>(), tt[k]!.GetValue<string>())).ToArray();
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
            plot.Axes.Left.TickLabelStyle.FontSize = 12 * fontScale;
            plot.Axes.SetLimitsY(tv.Count - 0.5, -0.5);
        }
        if (logX) plot.Axes.Bottom.TickGenerator = LogTicks();
        if (logY) plot.Axes.Left.TickGenerator = LogTicks();
        if (bars.Count > 0 && !logY) plot.Axes.Margins(bottom: 0);
        if (legend) plot.ShowLegend(ScottPlot.Edge.Right);
        if (traces.All(t => t["type"]?.GetValue<string>() == "sunburst")) plot.HideAxesAndGrid();
        return plot;
    }

    /// <summary>Tick labels of a log axis: the data are drawn as log10, the labels show the values.</summary>
    static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = y => Label(Math.Pow(10, y)),
    };

    static string Label(double v) =>
        v >= 1e5 || v < 1e-3 ? v.ToString("0.#E+0", CultureInfo.InvariantCulture) : v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A rectangle or line of the layout's shapes (data coordinates), drawn under the traces.</summary>
    static void AddShape(ScottPlot.Plot plot, JsonObject s, bool logX, bool logY)
    {
        double X(string k) => s[k] is JsonValue v && v.TryGetValue(out double d) ? (logX ? Math.Log10(d) : d) : double.NaN;
        double Y(string k) => s[k] is JsonValue v && v.TryGetValue(out double d) ? (logY ? Math.Log10(d) : d) : double.NaN;
        double x0 = X("x0"), x1 = X("x1"), y0 = Y("y0"), y1 = Y("y1");
        if (!double.IsFinite(x0) || !double.IsFinite(x1) || !double.IsFinite(y0) || !double.IsFinite(y1)) return;
        if (s["type"]?.GetValue<string>() == "line")
        {
            var l = plot.Add.Line(x0, y0, x1, y1);
            l.LineColor = Colour(s["line"]?["color"]?.GetValue<string>());
            l.LineWidth = 1.5f;
            l.LinePattern = ScottPlot.LinePattern.Dashed;
            return;
        }
        var r = plot.Add.Rectangle(Math.Min(x0, x1), Math.Max(x0, x1), Math.Min(y0, y1), Math.Max(y0, y1));
        r.FillColor = Colour(s["fillcolor"]?.GetValue<string>()).WithAlpha(s["opacity"]?.GetValue<double>() ?? 0.3);
        r.LineWidth = 0;
    }

    /// <summary>A sunburst's first ring (the root's children, or the roots themselves) as a pie with labelled slices.</summary>
    static void AddSunburstRing(ScottPlot.Plot plot, JsonObject t)
    {
        var ids = Strings(t["ids"]);
        var labels = Strings(t["labels"]);
        var parents = Strings(t["parents"]);
        var values = Numbers(t["values"]);
        var roots = Enumerable.Range(0, ids.Count).Where(i => parents[i] == "").ToList();
        var ring = roots.Count == 1 ? Enumerable.Range(0, ids.Count).Where(i => parents[i] == ids[roots[0]]).ToList() : roots;
        var palette = new ScottPlot.Palettes.Category10();
        var slices = ring.Select((i, k) => new ScottPlot.PieSlice { Value = values[i], FillColor = palette.GetColor(k), Label = labels[i], LegendText = labels[i] }).ToList();
        var pie = plot.Add.Pie(slices);
        pie.ExplodeFraction = 0;
        pie.SliceLabelDistance = 1.25;
        plot.Axes.SquareUnits();
    }

    static bool Finite(double v, bool log) => double.IsFinite(v) && (!log || v > 0);

    static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        double pos = (sorted.Count - 1) * q;
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    static string Type(JsonObject? axis) => axis?["type"]?.GetValue<string>() ?? "linear";

    static string? Title(JsonObject? axis) => axis?["title"]?["text"]?.GetValue<string>() is { Length: > 0 } t ? t : null;

    static IReadOnlyList<string> CategoriesOf(JsonObject t) =>
        t["type"]?.GetValue<string>() == "box" ? [t["name"]?.GetValue<string>() ?? ""] : Strings(t["x"]);

    static List<double> Numbers(JsonNode? node) =>
        (node as JsonArray ?? []).Select(v => v is JsonValue x && x.TryGetValue(out double d) ? d : double.NaN).ToList();

    static List<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(v => v is JsonValue x ? x.ToString() : "").ToList();

    /// <summary>A CSS colour as Plotly takes it ("#2e7d32"); grey where it is missing or not a hex colour.</summary>
    static ScottPlot.Color Colour(string? css) =>
        css is { Length: 7 } && css[0] == '#' ? ScottPlot.Color.FromHex(css) : ScottPlot.Color.FromHex("#757575");
}
