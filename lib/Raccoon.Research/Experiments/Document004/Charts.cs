using Plotly.NET;
using Plotly.NET.CSharp;
using Chart = Plotly.NET.CSharp.Chart;

namespace Raccoon.Research.Experiments.Document004;

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

/// <summary>
/// Median and interquartile range of repeated timings after warm-up runs.
/// TODO: switch to the shared Measurement toolkit's timing (issue-4) once it is on main.
/// </summary>
sealed record Timing(double MedianMs, double Q1Ms, double Q3Ms, int Repeats)
{
    public static Timing Measure(Action action, int repeats, int warmup = 1) => Interleaved([action], repeats, warmup)[0];

    /// <summary>Times several actions in turn, round after round, so that a busy machine slows them alike.</summary>
    public static Timing[] Interleaved(Action[] actions, int repeats, int warmup = 1)
    {
        foreach (var a in actions) for (int i = 0; i < warmup; i++) a();
        var ms = actions.Select(_ => new double[repeats]).ToArray();
        for (int r = 0; r < repeats; r++)
            for (int k = 0; k < actions.Length; k++)
            {
                int j = (k + r) % actions.Length; // rotate the order each round
                var clock = System.Diagnostics.Stopwatch.StartNew();
                actions[j]();
                ms[j][r] = clock.Elapsed.TotalMilliseconds;
            }
        return ms.Select(m =>
        {
            Array.Sort(m);
            return new Timing(Quantile(m, 0.5), Quantile(m, 0.25), Quantile(m, 0.75), repeats);
        }).ToArray();
    }

    static double Quantile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    public override string ToString() => $"{MedianMs:0.###} ms (IQR {Q1Ms:0.###}-{Q3Ms:0.###}, {Repeats} runs)";
}
