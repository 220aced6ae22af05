using System.Text.Json.Nodes;
using Raccoon.Research.Reporting;

namespace Raccoon.Research.Experiments.PathFlow;

/// <summary>Every chart of document 002, written as Plotly figure JSON directly (no Plotly.NET).</summary>
static class PathFlowCharts
{
    public static Figure Lines(string title, string xTitle, string yTitle, bool logX, bool logY,
        params (string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)[] series)
    {
        var data = new JsonArray(series.Select(s => (JsonNode)new JsonObject
        {
            ["type"] = "scatter", ["mode"] = "lines+markers", ["name"] = s.Name,
            ["x"] = new JsonArray(s.X.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()),
            ["y"] = new JsonArray(s.Y.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()),
        }).ToArray());
        var layout = new JsonObject
        {
            ["title"] = new JsonObject { ["text"] = title },
            ["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = xTitle }, ["type"] = logX ? "log" : "linear" },
            ["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = yTitle }, ["type"] = logY ? "log" : "linear" },
        };
        return new Figure(title, new JsonObject { ["data"] = data, ["layout"] = layout }.ToJsonString());
    }

    /// <summary>3-D paths (each (T, 3)), one line per path.</summary>
    public static Figure Paths3d(string title, params (string Name, float[,] Path)[] paths)
    {
        JsonArray Axis(float[,] p, int k) => new(Enumerable.Range(0, p.GetLength(0)).Select(i => (JsonNode)JsonValue.Create((double)p[i, k])!).ToArray());
        var data = new JsonArray(paths.Select(p => (JsonNode)new JsonObject
        {
            ["type"] = "scatter3d", ["mode"] = "lines", ["name"] = p.Name,
            ["x"] = Axis(p.Path, 0), ["y"] = Axis(p.Path, 1), ["z"] = Axis(p.Path, 2),
        }).ToArray());
        var layout = new JsonObject { ["title"] = new JsonObject { ["text"] = title } };
        return new Figure(title, new JsonObject { ["data"] = data, ["layout"] = layout }.ToJsonString());
    }
}
