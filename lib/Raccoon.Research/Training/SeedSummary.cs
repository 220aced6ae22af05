using System.Globalization;

namespace Raccoon.Research.Training;

/// <summary>A figure measured over several seeds: mean, sample standard deviation (0 for one seed), range, and the values.</summary>
public sealed record SeedSummary(int Count, double Mean, double StdDev, double Min, double Max, IReadOnlyList<double> Values)
{
    /// <summary>Summarises <paramref name="values"/>; a non-finite value is an error naming its position (a diverged run must be reported, not averaged).</summary>
    public static SeedSummary Of(IEnumerable<double> values)
    {
        var v = values.ToList();
        if (v.Count == 0) throw new ArgumentException("no values to summarise", nameof(values));
        int bad = v.FindIndex(x => !double.IsFinite(x));
        if (bad >= 0) throw new ArgumentException($"value {bad} is {v[bad]}: a seed diverged; report it rather than averaging it", nameof(values));
        double mean = v.Average();
        double sd = v.Count == 1 ? 0 : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1));
        return new SeedSummary(v.Count, mean, sd, v.Min(), v.Max(), v);
    }

    /// <summary>"mean ± sd (n=3)" with <paramref name="format"/> for the numbers.</summary>
    public string ToString(string format) =>
        string.Create(CultureInfo.InvariantCulture, $"{Mean.ToString(format, CultureInfo.InvariantCulture)} ± {StdDev.ToString(format, CultureInfo.InvariantCulture)} (n={Count})");

    public override string ToString() => ToString("G4");
}

/// <summary>Runs one configuration over consecutive seeds.</summary>
public static class Seeds
{
    /// <summary><paramref name="count"/> seeds from <paramref name="first"/> on: first, first + 1, ...</summary>
    public static IReadOnlyList<int> From(int first, int count) =>
        count >= 1 ? Enumerable.Range(first, count).ToList() : throw new ArgumentOutOfRangeException(nameof(count), count, "at least one seed");

    public static IReadOnlyList<(int Seed, T Result)> Run<T>(IReadOnlyList<int> seeds, Func<int, T> run) =>
        seeds.Select(s => (s, run(s))).ToList();
}
