using System.Globalization;

namespace Raccoon.Research.Data.Logs;

/// <summary>
/// raccoon_alternative.py's realistic log messages: a category's template with its placeholders
/// (service, error code, line, PID, duration, ...) filled from the upstream value ranges, padded
/// with '_' or truncated to the sequence length. Messages use lowercase letters, spaces and
/// punctuation that the 43-symbol vocabulary lacks: upstream's encoder folds those to '_'.
/// </summary>
public static class RealisticLogGenerator
{
    /// <summary>Templates per category (ERROR, WARNING, INFO, DEBUG), as upstream lists them.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Templates { get; } =
    [
        [
            "ERROR: Connection timeout to {service}",
            "ERROR: Database connection failed: {error_code}",
            "ERROR: NullPointerException in {module}:{line}",
            "ERROR: Out of memory at {timestamp}",
            "ERROR: Permission denied accessing {resource}",
            "ERROR: Segmentation fault in {process}",
            "ERROR: Stack overflow in recursive call",
        ],
        [
            "WARN: Deprecated function {func} called",
            "WARN: Slow query detected: {duration}ms",
            "WARN: Memory usage high: {percent}%",
            "WARN: Connection retry {attempt}/{max_attempts}",
            "WARN: Cache miss for key {key}",
            "WARN: Rate limit approaching",
        ],
        [
            "INFO: Service started on port {port}",
            "INFO: Database migration completed",
            "INFO: Request completed in {duration}ms",
            "INFO: Background job finished",
            "INFO: Configuration reloaded",
            "INFO: Health check passed",
        ],
        [
            "DEBUG: Variable {var} = {value}",
            "DEBUG: Entering function {func}",
            "DEBUG: Loop iteration {i}/{n}",
            "DEBUG: Checkpoint reached at line {line}",
            "DEBUG: Memory allocation {size} bytes",
        ],
    ];

    // Placeholders in upstream's fill order; integer ranges include both ends (Python's randint).
    static readonly (string Name, Func<Random, string> Value)[] Placeholders =
    [
        ("{service}", r => Pick(r, "DB", "API", "CACHE", "AUTH")),
        ("{error_code}", r => Int(r, 4000, 5000)),
        ("{module}", r => Pick(r, "Main", "Handler", "Service", "Utils")),
        ("{line}", r => Int(r, 1, 1000)),
        ("{timestamp}", r => $"{Int(r, 0, 23)}:{Int(r, 0, 59)}:{Int(r, 0, 59)}"),
        ("{process}", r => "PID_" + Int(r, 1000, 9999)),
        ("{resource}", r => Pick(r, "/etc/config", "/var/log", "/home/user")),
        ("{func}", r => Pick(r, "init", "process", "cleanup", "handler")),
        ("{duration}", r => Int(r, 10, 5000)),
        ("{percent}", r => Int(r, 50, 99)),
        ("{attempt}", r => Int(r, 1, 3)),
        ("{max_attempts}", _ => "5"),
        ("{key}", r => "key_" + Int(r, 1, 100)),
        ("{port}", r => Int(r, 8000, 9000)),
        ("{var}", r => Pick(r, "x", "ptr", "buf", "count")),
        ("{value}", r => Int(r, 0, 1000)),
        ("{i}", r => Int(r, 0, 100)),
        ("{n}", r => Int(r, 100, 1000)),
        ("{size}", r => Int(r, 1024, 65536)),
    ];

    /// <summary>A message of category <paramref name="label"/>, placeholders filled, padded with '_' or cut to <paramref name="sequenceLength"/>.</summary>
    public static string Generate(int label, Random rng, int sequenceLength = 50)
    {
        if ((uint)label >= (uint)Templates.Count) throw new ArgumentOutOfRangeException(nameof(label), label, $"category must lie in [0, {Templates.Count})");
        var templates = Templates[label];
        string message = templates[rng.Next(templates.Count)];
        foreach (var (name, value) in Placeholders)
            if (message.Contains(name, StringComparison.Ordinal)) message = message.Replace(name, value(rng), StringComparison.Ordinal);
        return message.Length >= sequenceLength ? message[..sequenceLength] : message + new string('_', sequenceLength - message.Length);
    }

    static string Pick(Random r, params string[] options) => options[r.Next(options.Length)];
    static string Int(Random r, int low, int high) => r.Next(low, high + 1).ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// raccoon_alternative.py's AlternativeLogDataset: a realistic message, folded into the 43-symbol
/// vocabulary (unknown characters become '_', as upstream's encoder does), then each character
/// replaced with probability <see cref="Corruption"/> (upstream: 5%) by a uniformly drawn symbol.
/// </summary>
public sealed class RealisticLogTask(int sequenceLength = 50, double corruption = 0.05) : ILogTask
{
    public CharVocabulary Vocabulary => CharVocabulary.RealisticLogs;
    public int SequenceLength { get; } = sequenceLength > 0 ? sequenceLength : throw new ArgumentOutOfRangeException(nameof(sequenceLength), sequenceLength, "sequence length must be positive");
    public double Corruption { get; } = corruption is >= 0 and <= 1 ? corruption : throw new ArgumentOutOfRangeException(nameof(corruption), corruption, "corruption is a probability in [0, 1]");

    public IReadOnlyList<LogLine> Lines(int count, int seed, int? driftPoint = null) =>
        LogCategories.Stream(count, seed, driftPoint, (label, rng) =>
        {
            string raw = RealisticLogGenerator.Generate(label, rng, SequenceLength);
            // Folding before corrupting gives the tokens upstream gets by corrupting and then folding: corruption only writes in-vocabulary symbols.
            return new LogLine(TemplateLogTask.Corrupt(Vocabulary.Fold(raw), Vocabulary, Corruption, rng), label, raw);
        });
}
