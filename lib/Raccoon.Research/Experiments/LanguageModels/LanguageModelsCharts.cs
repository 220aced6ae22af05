using Plotly.NET;
using Plotly.NET.CSharp;
using Chart = Plotly.NET.CSharp.Chart;

namespace Raccoon.Research.Experiments.LanguageModels;

/// <summary>Line charts of several named series, optionally on log axes.</summary>
static class Charts
{
    public static GenericChart Lines(string xTitle, string yTitle, bool logX, bool logY, params (string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)[] series)
    {
        var traces = series.Select(s => Chart.Line<double, double, string>(s.X, s.Y, ShowMarkers: true, Name: s.Name));
        return Chart.Combine(traces)
            .WithXAxisStyle<double, double, string>(TitleText: xTitle, AxisType: logX ? StyleParam.AxisType.Log : StyleParam.AxisType.Linear)
            .WithYAxisStyle<double, double, string>(TitleText: yTitle, AxisType: logY ? StyleParam.AxisType.Log : StyleParam.AxisType.Linear);
    }
}
