using System.Text.Json.Nodes;
using Raccoon.Research.Views;

namespace Raccoon.Research.Experiments.PathFlow;

/// <summary>Every chart of document 002: lines from the library's Charts builders; 3-D paths (which they do not draw) as Plotly JSON here.</summary>
static class PathFlowCharts
{
    public static Figure Lines(string title, string xTitle, string yTitle, bool logX, bool logY,
        params (string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)[] series) =>
        Charts.Lines(title, xTitle, yTitle, logX, logY, series);

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
