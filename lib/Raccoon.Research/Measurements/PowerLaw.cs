namespace Raccoon.Research.Measurements;

/// <summary>How a cost grows with a size: the exponent k of cost ~ size^k, the least-squares slope of log cost
/// against log size (a line on a log-log plot). O(n) reads about 1, O(n^2) about 2, O(n log n) a little above 1
/// (1 + ln(ln b / ln a) / ln(b / a) between sizes a and b).</summary>
public static class PowerLaw
{
    /// <summary>The log-log least-squares slope over the points whose size is at least <paramref name="from"/>.</summary>
    public static double Exponent(IReadOnlyList<double> sizes, IReadOnlyList<double> costs, double from = 0)
    {
        if (sizes.Count != costs.Count) throw new ArgumentException($"{sizes.Count} sizes but {costs.Count} costs");
        var points = sizes.Zip(costs).Where(p => p.First >= from).ToList();
        if (points.Any(p => !(p.First > 0) || !(p.Second > 0) || !double.IsFinite(p.First) || !double.IsFinite(p.Second)))
            throw new ArgumentException("a power law needs sizes and costs above 0 and finite");
        var distinct = points.Select(p => p.First).Distinct().Count();
        if (distinct < 2) throw new ArgumentException($"an exponent needs at least two different sizes from {from}, got {distinct}");
        var lx = points.Select(p => Math.Log(p.First)).ToArray();
        var ly = points.Select(p => Math.Log(p.Second)).ToArray();
        double mx = lx.Average(), my = ly.Average();
        return lx.Zip(ly, (x, y) => (x - mx) * (y - my)).Sum() / lx.Sum(x => (x - mx) * (x - mx));
    }
}
