namespace Raccoon.Research.Data.Logs;

/// <summary>
/// The log task of latent_drift_trajectory.py (LogDataset): a category's template word padded with
/// '_' to the sequence length, then each character replaced, with probability
/// <see cref="Corruption"/>, by a uniformly drawn vocabulary symbol. Upstream draws a fresh line on
/// every access from torch's global generator; here a seed fixes the whole set.
/// </summary>
public sealed class TemplateLogTask(int sequenceLength = 50, double corruption = 0.1) : ILogTask
{
    /// <summary>Template words per category (ERROR, WARNING, INFO, DEBUG), as upstream lists them.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Templates { get; } =
    [
        ["ERROR", "FAIL", "CRASH", "EXCEPTION", "NULL"],
        ["WARN", "DEPRECATED", "SLOW", "RETRY"],
        ["INFO", "START", "STOP", "READY"],
        ["DEBUG", "TRACE", "VERBOSE"],
    ];

    public CharVocabulary Vocabulary => CharVocabulary.TemplateLogs;
    public int SequenceLength { get; } = sequenceLength > 0 ? sequenceLength : throw new ArgumentOutOfRangeException(nameof(sequenceLength), sequenceLength, "sequence length must be positive");
    public double Corruption { get; } = corruption is >= 0 and <= 1 ? corruption : throw new ArgumentOutOfRangeException(nameof(corruption), corruption, "corruption is a probability in [0, 1]");

    public IReadOnlyList<LogLine> Lines(int count, int seed, int? driftPoint = null) =>
        LogCategories.Stream(count, seed, driftPoint, (label, rng) =>
        {
            var words = Templates[label];
            string message = Vocabulary.PadOrTruncate(words[rng.Next(words.Count)], SequenceLength);
            return new LogLine(Corrupt(message, Vocabulary, Corruption, rng), label);
        });

    /// <summary>Replaces each character, with probability <paramref name="p"/>, by a uniformly drawn symbol of <paramref name="vocabulary"/>.</summary>
    internal static string Corrupt(string message, CharVocabulary vocabulary, double p, Random rng)
    {
        var chars = message.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (rng.NextDouble() < p) chars[i] = vocabulary.Symbols[rng.Next(vocabulary.Size)];
        return new string(chars);
    }
}
