using System.Text.Json.Nodes;

namespace Raccoon.Research.Views;

/// <summary>A named line series: y against x.</summary>
public sealed record LineSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>A named bar series: one value per category of the chart.</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double> Values, IReadOnlyList<string>? Colours = null);

/// <summary>A named series of points, each with a text label drawn above it.</summary>
public sealed record PointSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<string>? Labels = null);

/// <summary>A named sample drawn as one box (median, quartiles, whiskers, outliers).</summary>
public sealed record BoxSeries(string Name, IReadOnlyList<double> Values);

/// <summary>One row of a forest plot: a labelled estimate with its interval (optional) and the band where it counts
/// as agreeing (optional), drawn in <paramref name="Colour"/>.</summary>
public sealed record ForestRow(string Label, double Value, double? Low, double? High, double? BandLow, double? BandHigh, string Colour);

/// <summary>
/// The library's charts, written as Plotly figure JSON (data and layout) by hand. No Plotly.NET: the
/// .NET Interactive kernel cannot load Plotly.NET 6 (it ships an older FSharp.Core), and plotly.js draws
/// this JSON the same wherever it runs: in the offline report, in VS Code and in a browser. Every figure
/// sizes itself to its container (layout.autosize, no width or height), so the page decides its size.
/// Numbers that are not finite are written as null, which plotly.js leaves as a gap.
/// </summary>
public static class Charts
{
    /// <summary>Line series with markers; either axis may be logarithmic.</summary>
    public static Figure Lines(string title, string xTitle, string yTitle, bool logX, bool logY, params IEnumerable<LineSeries> series)
    {
        var data = new JsonArray();
        foreach (var s in series)
        {
            Require(s.X.Count == s.Y.Count, $"line series '{s.Name}' has {s.X.Count} x values and {s.Y.Count} y values");
            data.Add(new JsonObject { ["type"] = "scatter", ["mode"] = "lines+markers", ["name"] = s.Name, ["x"] = Numbers(s.X), ["y"] = Numbers(s.Y) });
        }
        return Make(title, data, Layout(Axis(xTitle, logX), Axis(yTitle, logY)));
    }

    /// <summary>Line series given as tuples (the shape experiment code builds them in).</summary>
    public static Figure Lines(string title, string xTitle, string yTitle, bool logX, bool logY,
        params IEnumerable<(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)> series) =>
        Lines(title, xTitle, yTitle, logX, logY, series.Select(s => new LineSeries(s.Name, s.X, s.Y)));

    /// <summary>One group per category, one bar per series in each group; the y axis may be logarithmic.</summary>
    public static Figure Bars(string title, string yTitle, bool logY, IReadOnlyList<string> categories, params IEnumerable<BarSeries> series)
    {
        var data = new JsonArray();
        foreach (var s in series)
        {
            Require(s.Values.Count == categories.Count, $"bar series '{s.Name}' has {s.Values.Count} values for {categories.Count} categories");
            var trace = new JsonObject { ["type"] = "bar", ["name"] = s.Name, ["x"] = Strings(categories), ["y"] = Numbers(s.Values) };
            if (s.Colours is not null)
            {
                Require(s.Colours.Count == categories.Count, $"bar series '{s.Name}' has {s.Colours.Count} colours for {categories.Count} categories");
                trace["marker"] = new JsonObject { ["color"] = Strings(s.Colours) };
            }
            data.Add(trace);
        }
        var layout = Layout(CategoryAxis(), Axis(yTitle, logY));
        layout["barmode"] = "group";
        return Make(title, data, layout);
    }

    /// <summary>Bars given as tuples (the shape experiment code builds them in).</summary>
    public static Figure Bars(string title, string yTitle, bool logY, IReadOnlyList<string> categories,
        params IEnumerable<(string Name, IReadOnlyList<double> Values)> series) =>
        Bars(title, yTitle, logY, categories, series.Select(s => new BarSeries(s.Name, s.Values)));

    /// <summary>Points with a text label above each; either axis may be logarithmic.</summary>
    public static Figure Points(string title, string xTitle, string yTitle, bool logX, bool logY, params IEnumerable<PointSeries> series)
    {
        var data = new JsonArray();
        foreach (var s in series)
        {
            Require(s.X.Count == s.Y.Count, $"point series '{s.Name}' has {s.X.Count} x values and {s.Y.Count} y values");
            var trace = new JsonObject { ["type"] = "scatter", ["mode"] = s.Labels is null ? "markers" : "markers+text", ["name"] = s.Name, ["x"] = Numbers(s.X), ["y"] = Numbers(s.Y) };
            if (s.Labels is not null)
            {
                Require(s.Labels.Count == s.X.Count, $"point series '{s.Name}' has {s.Labels.Count} labels for {s.X.Count} points");
                trace["text"] = Strings(s.Labels);
                trace["textposition"] = "top center";
            }
            data.Add(trace);
        }
        return Make(title, data, Layout(Axis(xTitle, logX), Axis(yTitle, logY)));
    }

    /// <summary>Labelled points given as tuples (the shape experiment code builds them in).</summary>
    public static Figure Points(string title, string xTitle, string yTitle, bool logX, bool logY,
        params IEnumerable<(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<string> Labels)> series) =>
        Points(title, xTitle, yTitle, logX, logY, series.Select(s => new PointSeries(s.Name, s.X, s.Y, s.Labels)));

    /// <summary>One box per sample, side by side.</summary>
    public static Figure Boxes(string title, string yTitle, bool logY, params IEnumerable<BoxSeries> series)
    {
        var data = new JsonArray();
        foreach (var s in series)
        {
            Require(s.Values.Count > 0, $"box '{s.Name}' has no values");
            data.Add(new JsonObject { ["type"] = "box", ["name"] = s.Name, ["y"] = Numbers(s.Values), ["boxpoints"] = "outliers" });
        }
        return Make(title, data, Layout(CategoryAxis(), Axis(yTitle, logY)));
    }

    /// <summary>A forest plot: one row per estimate, top to bottom, its point and interval on a shared x axis (logarithmic
    /// where <paramref name="logX"/>), each row's band shaded behind it and a dashed line at <paramref name="reference"/>.</summary>
    public static Figure Forest(string title, string xTitle, bool logX, double reference, IReadOnlyList<ForestRow> rows)
    {
        Require(rows.Count > 0, "a forest plot needs at least one row");
        foreach (var r in rows) Require(!logX || r.Value > 0, $"forest row '{r.Label}' has a value of {r.Value} on a log axis");
        var indices = Enumerable.Range(0, rows.Count).Select(i => (double)i).ToList();
        var trace = new JsonObject
        {
            ["type"] = "scatter", ["mode"] = "markers", ["name"] = title, ["x"] = Numbers(rows.Select(r => r.Value)), ["y"] = Numbers(indices),
            ["marker"] = new JsonObject { ["color"] = Strings(rows.Select(r => r.Colour)), ["size"] = 9 },
            ["error_x"] = new JsonObject
            {
                ["type"] = "data", ["symmetric"] = false,
                ["array"] = Numbers(rows.Select(r => r.High is double h ? h - r.Value : double.NaN)),
                ["arrayminus"] = Numbers(rows.Select(r => r.Low is double l ? r.Value - l : double.NaN)),
                ["thickness"] = 2, ["width"] = 0,
            },
        };
        var shapes = new JsonArray();
        for (int i = 0; i < rows.Count; i++)
            if (rows[i].BandLow is double bl && rows[i].BandHigh is double bh)
                shapes.Add(new JsonObject
                {
                    ["type"] = "rect", ["xref"] = "x", ["yref"] = "y", ["x0"] = bl, ["x1"] = bh, ["y0"] = i - 0.4, ["y1"] = i + 0.4,
                    ["fillcolor"] = "#2e7d32", ["opacity"] = 0.15, ["line"] = new JsonObject { ["width"] = 0 }, ["layer"] = "below",
                });
        shapes.Add(new JsonObject
        {
            ["type"] = "line", ["xref"] = "x", ["yref"] = "y", ["x0"] = reference, ["x1"] = reference, ["y0"] = -0.5, ["y1"] = rows.Count - 0.5,
            ["line"] = new JsonObject { ["color"] = "#444444", ["dash"] = "dash", ["width"] = 1 },
        });
        var y = new JsonObject
        {
            ["type"] = "linear", ["tickvals"] = Numbers(indices), ["ticktext"] = Strings(rows.Select(r => r.Label)),
            ["autorange"] = "reversed", ["tickfont"] = new JsonObject { ["size"] = 10 },
        };
        var layout = Layout(Axis(xTitle, logX), y);
        layout["height"] = 22 * rows.Count + 110;
        layout["margin"] = new JsonObject { ["l"] = 290, ["r"] = 20, ["t"] = 20, ["b"] = 60 };
        layout["shapes"] = shapes;
        layout["showlegend"] = false;
        return Make(title, [trace], layout);
    }

    /// <summary>A sunburst of a tree: each node names its parent by id ("" for the root); with
    /// branchvalues "total" a parent's value is the sum of its children's and its own.</summary>
    public static Figure Sunburst(string title, IReadOnlyList<string> ids, IReadOnlyList<string> labels, IReadOnlyList<string> parents, IReadOnlyList<double> values)
    {
        Require(labels.Count == ids.Count && parents.Count == ids.Count && values.Count == ids.Count,
            $"sunburst needs one label, parent and value per id ({ids.Count} ids, {labels.Count} labels, {parents.Count} parents, {values.Count} values)");
        var known = new HashSet<string>(ids);
        Require(known.Count == ids.Count, "sunburst ids must be unique");
        foreach (var p in parents) Require(p == "" || known.Contains(p), $"sunburst parent '{p}' is not an id");
        var data = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "sunburst", ["ids"] = Strings(ids), ["labels"] = Strings(labels), ["parents"] = Strings(parents),
                ["values"] = Numbers(values), ["branchvalues"] = "total",
            },
        };
        return Make(title, data, new JsonObject { ["autosize"] = true, ["margin"] = Margin() });
    }

    /// <summary>Panels (figures made by the other builders) laid out in a grid, each with its own axes,
    /// filled row by row. The grid is 320 px a row tall; its width follows its container.</summary>
    public static Figure Grid(string title, int rows, int columns, params IReadOnlyList<Figure> panels)
    {
        Require(rows >= 1 && columns >= 1, $"a grid needs at least one row and one column (got {rows} x {columns})");
        Require(panels.Count >= 1 && panels.Count <= rows * columns, $"a {rows} x {columns} grid holds 1 to {rows * columns} panels (got {panels.Count})");
        var data = new JsonArray();
        var layout = new JsonObject
        {
            ["autosize"] = true,
            ["height"] = 320 * rows,
            ["margin"] = Margin(),
            ["grid"] = new JsonObject { ["rows"] = rows, ["columns"] = columns, ["pattern"] = "independent" },
        };
        for (int i = 0; i < panels.Count; i++)
        {
            var fig = JsonNode.Parse(panels[i].PlotlyJson)!;
            string suffix = i == 0 ? "" : (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            foreach (var trace in fig["data"]!.AsArray())
            {
                var t = trace!.DeepClone().AsObject();
                Require(t["type"]?.GetValue<string>() != "sunburst", "a sunburst has no axes to put in a grid");
                t["xaxis"] = "x" + suffix;
                t["yaxis"] = "y" + suffix;
                data.Add(t);
            }
            var panelLayout = fig["layout"]!;
            var x = panelLayout["xaxis"]?.DeepClone() ?? new JsonObject();
            var y = panelLayout["yaxis"]?.DeepClone() ?? new JsonObject();
            if (y["title"] is null && panels[i].Title != "") y["title"] = new JsonObject { ["text"] = panels[i].Title };
            layout["xaxis" + suffix] = x;
            layout["yaxis" + suffix] = y;
        }
        return Make(title, data, layout);
    }

    static Figure Make(string title, JsonArray data, JsonObject layout) =>
        new(title, new JsonObject { ["data"] = data, ["layout"] = layout }.ToJsonString());

    static JsonObject Layout(JsonObject xAxis, JsonObject yAxis) => new()
    {
        ["autosize"] = true,
        ["margin"] = Margin(),
        ["xaxis"] = xAxis,
        ["yaxis"] = yAxis,
    };

    static JsonObject Margin() => new() { ["l"] = 60, ["r"] = 20, ["t"] = 20, ["b"] = 60 };

    static JsonObject Axis(string title, bool log)
    {
        var axis = new JsonObject();
        if (title != "") axis["title"] = new JsonObject { ["text"] = title };
        axis["type"] = log ? "log" : "linear";
        return axis;
    }

    /// <summary>The x axis of bars and boxes: their categories (a linear axis would draw no bar at all).</summary>
    static JsonObject CategoryAxis() => new() { ["type"] = "category" };

    static JsonArray Numbers(IEnumerable<double> values)
    {
        var a = new JsonArray();
        foreach (var v in values) a.Add(double.IsFinite(v) ? JsonValue.Create(v) : null);
        return a;
    }

    static JsonArray Strings(IEnumerable<string> values)
    {
        var a = new JsonArray();
        foreach (var v in values) a.Add(JsonValue.Create(v));
        return a;
    }

    static void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }
}
