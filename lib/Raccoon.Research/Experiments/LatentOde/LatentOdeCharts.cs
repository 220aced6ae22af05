using System.Text.Json.Nodes;
using Raccoon.Research.Reporting;

namespace Raccoon.Research.Experiments.LatentOde;

/// <summary>Every chart of document 001, written as Plotly figure JSON directly (no Plotly.NET, which the
/// real notebook kernel cannot load).</summary>
static class LatentOdeCharts
{
    public static Figure Lines(string title, string xTitle, string yTitle, bool logX, bool logY, params (string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)[] series)
    {
        var data = new JsonArray(series.Select(s => (JsonNode)new JsonObject
        {
            ["type"] = "scatter", ["mode"] = "lines+markers", ["name"] = s.Name,
            ["x"] = new JsonArray(s.X.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()),
            ["y"] = new JsonArray(s.Y.Select(v => (JsonNode)JsonValue.Create(double.IsFinite(v) ? v : (double?)null)!).ToArray()),
        }).ToArray());
        var layout = new JsonObject
        {
            ["title"] = new JsonObject { ["text"] = title },
            ["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = xTitle }, ["type"] = logX ? "log" : "linear" },
            ["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = yTitle }, ["type"] = logY ? "log" : "linear" },
        };
        return new Figure(title, new JsonObject { ["data"] = data, ["layout"] = layout }.ToJsonString());
    }
}
