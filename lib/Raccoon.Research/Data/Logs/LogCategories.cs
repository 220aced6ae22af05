namespace Raccoon.Research.Data.Logs;

/// <summary>The four log levels both upstream tasks classify, and their class priors before and after drift.</summary>
public static class LogCategories
{
    public static IReadOnlyList<string> Names { get; } = ["ERROR", "WARNING", "INFO", "DEBUG"];
    public static int Count => Names.Count;

    /// <summary>Class prior before the drift point: balanced.</summary>
    public static IReadOnlyList<double> Balanced { get; } = [0.25, 0.25, 0.25, 0.25];

    /// <summary>Class prior from the drift point on: more errors, fewer debug lines (both upstream datasets).</summary>
    public static IReadOnlyList<double> AfterDrift { get; } = [0.4, 0.3, 0.2, 0.1];

    /// <summary>The prior for sample <paramref name="index"/> of a stream whose drift starts at <paramref name="driftPoint"/> (null: no drift).</summary>
    public static IReadOnlyList<double> PriorAt(int index, int? driftPoint) =>
        driftPoint is int d && index >= d ? AfterDrift : Balanced;

    /// <summary>Draws a class from <paramref name="probabilities"/>.</summary>
    public static int Draw(Random rng, IReadOnlyList<double> probabilities)
    {
        double u = rng.NextDouble(), cumulative = 0;
        for (int c = 0; c < probabilities.Count; c++)
        {
            cumulative += probabilities[c];
            if (u < cumulative) return c;
        }
        return probabilities.Count - 1;
    }

    /// <summary>
    /// <paramref name="count"/> lines from one seeded generator: for each, a class drawn under the prior at its
    /// index (drifting from <paramref name="driftPoint"/> on), then <paramref name="line"/> writes that class's line.
    /// </summary>
    public static IReadOnlyList<LogLine> Stream(int count, int seed, int? driftPoint, Func<int, Random, LogLine> line)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must not be negative");
        var rng = new Random(seed);
        var lines = new LogLine[count];
        for (int i = 0; i < count; i++)
            lines[i] = line(Draw(rng, PriorAt(i, driftPoint)), rng);
        return lines;
    }
}

/// <summary>One generated log line: the text the model reads (inside the task's vocabulary), its label,
/// and, for generated realistic logs, the message before folding and corruption.</summary>
public sealed record LogLine(string Text, int Label, string? Raw = null)
{
    public string Category => LogCategories.Names[Label];
}

/// <summary>What both log tasks share: a vocabulary, a length, and lines turned into a dataset.</summary>
public interface ILogTask
{
    CharVocabulary Vocabulary { get; }
    int SequenceLength { get; }
    /// <summary><paramref name="count"/> lines from <paramref name="seed"/>; from index <paramref name="driftPoint"/> on the class prior drifts.</summary>
    IReadOnlyList<LogLine> Lines(int count, int seed, int? driftPoint = null);
}

public static class LogTaskExtensions
{
    /// <summary>The lines encoded with the task's vocabulary (every character is inside it by construction).</summary>
    public static SequenceDataset Dataset(this ILogTask task, int count, int seed, int? driftPoint = null) =>
        ToDataset(task.Lines(count, seed, driftPoint), task.Vocabulary);

    public static SequenceDataset ToDataset(IReadOnlyList<LogLine> lines, CharVocabulary vocabulary) =>
        new(lines.Select(l => new LabelledSequence(vocabulary.Encode(l.Text), l.Label)).ToList(), vocabulary.Size, LogCategories.Count);
}
