using System.Text.Json.Nodes;
using Raccoon.Research.Reporting;
using Raccoon.Research.Views;

namespace Raccoon.Research.Tests.Reporting;

/// <summary>The chart builders write Plotly figure JSON by hand: the exact traces, axes and layout.</summary>
public class ChartsTests
{
    const string Margin = "\"margin\":{\"l\":60,\"r\":20,\"t\":20,\"b\":60}";

    [Fact]
    public void Lines_write_scatter_traces_with_markers_and_the_axis_types()
    {
        var f = Charts.Lines("Loss", "step", "loss", logX: false, logY: true,
            new LineSeries("a", [1, 2], [0.5, 0.25]), new LineSeries("b", [1, 2], [1, double.NaN]));
        Assert.Equal("Loss", f.Title);
        Assert.Null(f.Key);
        Assert.Equal(
            "{\"data\":[" +
            "{\"type\":\"scatter\",\"mode\":\"lines\\u002Bmarkers\",\"name\":\"a\",\"x\":[1,2],\"y\":[0.5,0.25]}," +
            "{\"type\":\"scatter\",\"mode\":\"lines\\u002Bmarkers\",\"name\":\"b\",\"x\":[1,2],\"y\":[1,null]}]," +
            "\"layout\":{\"autosize\":true," + Margin + ",\"xaxis\":{\"title\":{\"text\":\"step\"},\"type\":\"linear\"},\"yaxis\":{\"title\":{\"text\":\"loss\"},\"type\":\"log\"}}}",
            f.PlotlyJson);
        Assert.Equal("lines+markers", JsonNode.Parse(f.PlotlyJson)!["data"]![0]!["mode"]!.GetValue<string>());
    }

    [Fact]
    public void Tuple_series_give_the_same_figure_as_records()
    {
        IReadOnlyList<double> x = [1, 10], y = [3, 4];
        Assert.Equal(Charts.Lines("t", "x", "y", true, false, new LineSeries("s", x, y)).PlotlyJson,
            Charts.Lines("t", "x", "y", true, false, ("s", x, y)).PlotlyJson);
        Assert.Equal(Charts.Bars("t", "y", false, ["p", "q"], new BarSeries("s", y)).PlotlyJson,
            Charts.Bars("t", "y", false, ["p", "q"], ("s", y)).PlotlyJson);
    }

    [Fact]
    public void Bars_group_one_bar_per_series_and_colour_each_bar()
    {
        var f = Charts.Bars("Counts", "claims", logY: true, ["holds", "fails"],
            new BarSeries("n", [3, 1], ["#2e7d32", "#c62828"]), new BarSeries("m", [2, 5]));
        Assert.Equal(
            "{\"data\":[" +
            "{\"type\":\"bar\",\"name\":\"n\",\"x\":[\"holds\",\"fails\"],\"y\":[3,1],\"marker\":{\"color\":[\"#2e7d32\",\"#c62828\"]}}," +
            "{\"type\":\"bar\",\"name\":\"m\",\"x\":[\"holds\",\"fails\"],\"y\":[2,5]}]," +
            "\"layout\":{\"autosize\":true," + Margin + ",\"xaxis\":{\"type\":\"category\"},\"yaxis\":{\"title\":{\"text\":\"claims\"},\"type\":\"log\"},\"barmode\":\"group\"}}",
            f.PlotlyJson);
    }

    [Fact]
    public void Points_carry_their_labels_above_them()
    {
        var f = Charts.Points("Frontier", "ms", "accuracy", logX: true, logY: false,
            new PointSeries("measured", [2.5, 40], [91, 95], ["alt", "orig"]), new PointSeries("bare", [1], [2]));
        Assert.Equal(
            "{\"data\":[" +
            "{\"type\":\"scatter\",\"mode\":\"markers\\u002Btext\",\"name\":\"measured\",\"x\":[2.5,40],\"y\":[91,95],\"text\":[\"alt\",\"orig\"],\"textposition\":\"top center\"}," +
            "{\"type\":\"scatter\",\"mode\":\"markers\",\"name\":\"bare\",\"x\":[1],\"y\":[2]}]," +
            "\"layout\":{\"autosize\":true," + Margin + ",\"xaxis\":{\"title\":{\"text\":\"ms\"},\"type\":\"log\"},\"yaxis\":{\"title\":{\"text\":\"accuracy\"},\"type\":\"linear\"}}}",
            f.PlotlyJson);
    }

    [Fact]
    public void Boxes_draw_one_box_per_sample()
    {
        var f = Charts.Boxes("Latency", "ms per call", false, new BoxSeries("a", [1, 2, 3]), new BoxSeries("b", [4]));
        Assert.Equal(
            "{\"data\":[" +
            "{\"type\":\"box\",\"name\":\"a\",\"y\":[1,2,3],\"boxpoints\":\"outliers\"}," +
            "{\"type\":\"box\",\"name\":\"b\",\"y\":[4],\"boxpoints\":\"outliers\"}]," +
            "\"layout\":{\"autosize\":true," + Margin + ",\"xaxis\":{\"type\":\"category\"},\"yaxis\":{\"title\":{\"text\":\"ms per call\"},\"type\":\"linear\"}}}",
            f.PlotlyJson);
    }

    [Fact]
    public void A_sunburst_names_each_node_s_parent_and_sums_branches()
    {
        var f = Charts.Sunburst("Parameters", ["m", "m.a", "m.b"], ["m", "a", "b"], ["", "m", "m"], [10, 4, 6]);
        Assert.Equal(
            "{\"data\":[{\"type\":\"sunburst\",\"ids\":[\"m\",\"m.a\",\"m.b\"],\"labels\":[\"m\",\"a\",\"b\"],\"parents\":[\"\",\"m\",\"m\"],\"values\":[10,4,6],\"branchvalues\":\"total\"}]," +
            "\"layout\":{\"autosize\":true," + Margin + "}}",
            f.PlotlyJson);
        Assert.Throws<ArgumentException>(() => Charts.Sunburst("p", ["m", "m.a"], ["m", "a"], ["", "x"], [1, 1]));
    }

    [Fact]
    public void A_grid_gives_each_panel_its_own_axes_and_a_height_per_row()
    {
        var a = Charts.Lines("resident MiB", "step", "MiB", false, false, new LineSeries("rss", [0, 1], [5, 6]));
        var b = Charts.Lines("live tensors", "step", "tensors", false, true, new LineSeries("live", [0, 1], [7, 7]));
        var f = Charts.Grid("Leak check", 2, 1, a, b);
        var json = JsonNode.Parse(f.PlotlyJson)!;
        var data = json["data"]!.AsArray();
        Assert.Equal(["x", "x2"], data.Select(t => t!["xaxis"]!.GetValue<string>()));
        Assert.Equal(["y", "y2"], data.Select(t => t!["yaxis"]!.GetValue<string>()));
        Assert.Equal(["rss", "live"], data.Select(t => t!["name"]!.GetValue<string>()));
        var layout = json["layout"]!;
        Assert.Equal("{\"rows\":2,\"columns\":1,\"pattern\":\"independent\"}", layout["grid"]!.ToJsonString());
        Assert.Equal("log", layout["yaxis2"]!["type"]!.GetValue<string>());
        Assert.Equal("MiB", layout["yaxis"]!["title"]!["text"]!.GetValue<string>());
        Assert.Equal(640, f.Height());
        Assert.Contains("height:640px", f.ToHtmlFragment("g"));
        Assert.Throws<ArgumentException>(() => Charts.Grid("too many", 1, 1, a, b));
    }

    [Fact]
    public void Figures_size_to_their_container()
    {
        var f = Charts.Bars("b", "y", false, ["p"], new BarSeries("s", [1]));
        var layout = JsonNode.Parse(f.PlotlyJson)!["layout"]!;
        Assert.True(layout["autosize"]!.GetValue<bool>());
        Assert.Null(layout["width"]);
        Assert.Null(layout["height"]);
        Assert.Equal(420, f.Height());
        string html = f.ToHtmlFragment("fig-x");
        Assert.Contains("style=\"width:100%;height:420px\"", html);
        Assert.Contains("{responsive: true}", html);
    }

    [Fact]
    public void Mismatched_series_are_refused_with_the_series_named()
    {
        var e = Assert.Throws<ArgumentException>(() => Charts.Lines("t", "x", "y", false, false, new LineSeries("short", [1, 2], [1])));
        Assert.Contains("short", e.Message);
        Assert.Throws<ArgumentException>(() => Charts.Bars("t", "y", false, ["p", "q"], new BarSeries("s", [1])));
        Assert.Throws<ArgumentException>(() => Charts.Boxes("t", "y", false, new BoxSeries("empty", [])));
    }

    [Fact]
    public void Text_that_closes_a_script_cannot_break_out_of_the_page()
    {
        var f = Charts.Bars("t", "y", false, ["</script><b>"], new BarSeries("s", [1]));
        Assert.DoesNotContain("</script><b>", f.ToHtmlFragment("x").Replace("</script></div>", ""));
    }

    [Fact]
    public void A_name_is_kept_apart_from_the_title()
    {
        var f = Charts.Bars("Verdicts of 3 claims", "claims", false, ["holds"], new BarSeries("claims", [3])).Named("verdicts");
        Assert.Equal("verdicts", f.Key);
        Assert.Equal("Verdicts of 3 claims", f.Title);
        Assert.Equal(f, new Figure(f.Title, f.PlotlyJson) { Key = "verdicts" });
    }

    [Fact]
    public void The_library_references_no_Plotly_NET_or_FSharp_and_reads_plotly_js_without_loading_it()
    {
        // The .NET Interactive kernel cannot load Plotly.NET 6 (FSharp.Core 10.1 against the kernel's 10.0):
        // no library type may touch it, so the library loads and draws charts there.
        foreach (var asm in new[] { typeof(Figure).Assembly })
        {
            var refs = asm.GetReferencedAssemblies().Select(a => a.Name!).ToList();
            Assert.DoesNotContain(refs, r => r.StartsWith("Plotly", StringComparison.Ordinal) || r == "FSharp.Core" || r.StartsWith("Giraffe", StringComparison.Ordinal));
        }
        Assert.StartsWith("/**", PlotlyJs.Source.TrimStart());
        Assert.Contains("plotly.js v" + PlotlyJs.Version, PlotlyJs.Source[..2000]);
        Assert.Matches(@"^\d+\.\d+\.\d+$", PlotlyJs.Version);
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name is "Plotly.NET" or "FSharp.Core");
    }
}
