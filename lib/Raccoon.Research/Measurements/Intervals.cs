using System.Globalization;

namespace Raccoon.Research.Measurements;

/// <summary>How the samples behind an interval were taken: <see cref="Interleaved"/> (A B, B A, ... in one loop,
/// resampled in pairs) or <see cref="Independent"/> (two series timed apart, resampled apart).</summary>
public enum Sampling { Interleaved, Independent }

/// <summary>Where a measured figure lies, from the spread of its repetitions (for a timing ratio: the
/// ratio of medians, bootstrapped over the repetitions, see <see cref="Intervals"/>).</summary>
public sealed record MeasuredInterval(double Low, double High)
{
    public void Validate(double value)
    {
        if (!double.IsFinite(Low) || !double.IsFinite(High))
            throw new ArgumentException($"interval [{Low}, {High}] is not finite");
        if (Low > High) throw new ArgumentException($"interval [{Low}, {High}] has its low end above its high end");
        if (value < Low || value > High) throw new ArgumentException($"measured figure {value} lies outside its interval [{Low}, {High}]");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"[{Format(Low)}, {Format(High)}]");

    /// <summary>Whether the figure lies in [<paramref name="low"/>, <paramref name="high"/>] beyond its spread: true when the
    /// whole interval is inside, false when the whole interval is outside, null (undecided) when it crosses an end.</summary>
    public bool? Within(double low, double high)
    {
        if (double.IsNaN(low) || double.IsNaN(high) || low > high) throw new ArgumentException($"band [{low}, {high}] is not a band");
        if (Low >= low && High <= high) return true;
        if (High < low || Low > high) return false;
        return null;
    }

    static string Format(double x) => Math.Abs(x) >= 100 ? x.ToString("0", CultureInfo.InvariantCulture)
        : Math.Abs(x) >= 10 ? x.ToString("0.0", CultureInfo.InvariantCulture) : x.ToString("0.00", CultureInfo.InvariantCulture);
}


/// <summary>
/// Intervals for measured figures, from the spread of their repetitions: the one helper the timing
/// verdicts use. A ratio of medians gets a percentile-bootstrap interval over the repetitions; the caller says how
/// the two sets were taken: interleaved (A B, B A, ...: rounds are resampled in pairs, so drift of the machine that
/// fell on both alike stays paired) or independently (each set resampled on its own). Equal lengths never imply pairs. The resampling is seeded, so the same
/// samples always give the same interval.
/// </summary>
public static class Intervals
{
    public const double DefaultConfidence = 0.95;
    public const int DefaultResamples = 2000;

    /// <summary>median(<paramref name="baseline"/>) / median(<paramref name="candidate"/>), with its bootstrap interval.</summary>
    public static (double Ratio, MeasuredInterval Interval) RatioOfMedians(IReadOnlyList<double> baseline, IReadOnlyList<double> candidate,
        Sampling design, double confidence = DefaultConfidence, int resamples = DefaultResamples, int seed = 12345)
    {
        if (design == Sampling.Interleaved && baseline.Count != candidate.Count)
            throw new ArgumentException($"interleaved samples come in pairs, but the two sides have {baseline.Count} and {candidate.Count}");
        if (baseline.Count < 2 || candidate.Count < 2)
            throw new ArgumentException($"an interval needs at least 2 repetitions of each side (got {baseline.Count} and {candidate.Count})");
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "confidence must lie in (0, 1)");
        if (resamples < 100) throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "at least 100 resamples are needed");
        if (baseline.Concat(candidate).Any(s => !double.IsFinite(s) || s <= 0))
            throw new ArgumentException("a timing sample is zero, negative or not finite: the measurement returned nothing");
        double ratio = Median(baseline) / Median(candidate);
        bool paired = design == Sampling.Interleaved;
        var rng = new Random(seed);
        var ratios = new double[resamples];
        var a = new double[baseline.Count];
        var b = new double[candidate.Count];
        for (int r = 0; r < resamples; r++)
        {
            for (int i = 0; i < a.Length; i++)
            {
                int k = rng.Next(a.Length);
                a[i] = baseline[k];
                if (paired) b[i] = candidate[k];
            }
            if (!paired) for (int i = 0; i < b.Length; i++) b[i] = candidate[rng.Next(b.Length)];
            ratios[r] = Median(a) / Median(b);
        }
        Array.Sort(ratios);
        double tail = (1 - confidence) / 2;
        double lo = Math.Min(ratio, SampleStatistics.Quantile(ratios, tail));
        double hi = Math.Max(ratio, SampleStatistics.Quantile(ratios, 1 - tail));
        return (ratio, new MeasuredInterval(lo, hi));
    }

    /// <summary>The speedup of an interleaved comparison (baseline median over candidate median) with its interval; a
    /// comparison taken in blocks spread over the experiment has its interval widened to cover every block's ratio.</summary>
    public static (double Ratio, MeasuredInterval Interval) Speedup(TimingComparison comparison)
    {
        var (ratio, interval) = RatioOfMedians(comparison.Baseline.Seconds, comparison.Candidate.Seconds, Sampling.Interleaved);
        if (comparison.BlockRatios is not { Count: > 1 } blocks) return (ratio, interval);
        return (ratio, new MeasuredInterval(Math.Min(interval.Low, blocks.Min()), Math.Max(interval.High, blocks.Max())));
    }

    /// <summary>An interval that is the measured range of a figure over repeated runs (min, max).</summary>
    public static MeasuredInterval Range(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no values to take a range of", nameof(values));
        return new MeasuredInterval(values.Min(), values.Max());
    }

    static double Median(IReadOnlyList<double> xs)
    {
        var s = xs.Order().ToArray();
        return SampleStatistics.Quantile(s, 0.5);
    }
}
