using Plotly.NET;
using Plotly.NET.CSharp;
using Chart = Plotly.NET.CSharp.Chart;

namespace Raccoon.Research.Experiments.LogClassifiers;

/// <summary>The chart shapes the R0 experiments draw: grouped bars per component and named line series.</summary>
static class LogClassifiersCharts
{
    /// <summary>One bar group per category, one bar per series; a log axis when the values span decades.</summary>
    public static GenericChart Bars(string yTitle, bool logY, IReadOnlyList<string> categories, params (string Name, IReadOnlyList<double> Values)[] series)
    {
        var traces = series.Select(s => Chart.Column<double, string, string>(s.Values.ToArray(), Keys: categories.ToArray(), Name: s.Name));
        return Chart.Combine(traces)
            .WithYAxisStyle<double, double, string>(TitleText: yTitle, AxisType: logY ? StyleParam.AxisType.Log : StyleParam.AxisType.Linear);
    }

    public static GenericChart Lines(string xTitle, string yTitle, bool logY, params (string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)[] series)
    {
        var traces = series.Select(s => Chart.Line<double, double, string>(s.X, s.Y, ShowMarkers: true, Name: s.Name));
        return Chart.Combine(traces)
            .WithXAxisStyle<double, double, string>(TitleText: xTitle)
            .WithYAxisStyle<double, double, string>(TitleText: yTitle, AxisType: logY ? StyleParam.AxisType.Log : StyleParam.AxisType.Linear);
    }

    /// <summary>Labelled points on a log x axis (the accuracy-latency frontier).</summary>
    public static GenericChart Points(string xTitle, string yTitle, params (string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<string> Labels)[] series)
    {
        var traces = series.Select(s => Chart.Point<double, double, string>(s.X, s.Y, Name: s.Name, MultiText: s.Labels.ToArray(),
            TextPosition: StyleParam.TextPosition.TopCenter));
        return Chart.Combine(traces)
            .WithXAxisStyle<double, double, string>(TitleText: xTitle, AxisType: StyleParam.AxisType.Log)
            .WithYAxisStyle<double, double, string>(TitleText: yTitle);
    }
}
