using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Raccoon.Research.IO;

namespace Raccoon.Research.Data.Logs;

/// <summary>
/// The small samples of both log tasks shipped in the repository's data/ folder, with their data card,
/// written by code so that a test can regenerate them byte for byte.
/// </summary>
public static class LogSamples
{
    public const int DefaultSeed = 1;
    public const int DefaultCount = 300;
    public const string TemplateFile = "template-logs.sample.jsonl";
    public const string RealisticFile = "realistic-logs.sample.jsonl";
    public const string CardFile = "README.md";
    public const string Command = "dotnet run --project lib/Raccoon.Research.Cli -- sample-data --out data";

    static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The files' names and contents: the two samples (JSON lines: label, category, text[, raw]) and the card.</summary>
    public static IReadOnlyList<(string Name, string Content)> Render(int seed = DefaultSeed, int count = DefaultCount)
    {
        var template = new TemplateLogTask();
        var realistic = new RealisticLogTask();
        var templateLines = template.Lines(count, seed);
        var realisticLines = realistic.Lines(count, seed);
        return
        [
            (TemplateFile, JsonLines(templateLines)),
            (RealisticFile, JsonLines(realisticLines)),
            (CardFile, Card(seed, count, template, templateLines, realistic, realisticLines)),
        ];
    }

    /// <summary>Writes the samples and the card into <paramref name="dir"/>, each file whole or not at all.</summary>
    public static IReadOnlyList<string> Write(string dir, int seed = DefaultSeed, int count = DefaultCount)
    {
        AtomicFile.EnsureWritableDirectory(dir);
        var paths = new List<string>();
        foreach (var (name, content) in Render(seed, count))
        {
            string path = Path.Combine(dir, name);
            AtomicFile.WriteAllText(path, content);
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>Reads a sample file back into lines, with the line number of any malformed entry.</summary>
    public static IReadOnlyList<LogLine> Read(string path)
    {
        var lines = new List<LogLine>();
        int n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                lines.Add(new LogLine(
                    root.GetProperty("text").GetString()!,
                    root.GetProperty("label").GetInt32(),
                    root.TryGetProperty("raw", out var raw) ? raw.GetString() : null));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}:{n}: not a log sample line ({e.Message})", e);
            }
        }
        return lines;
    }

    static string JsonLines(IReadOnlyList<LogLine> lines)
    {
        var sb = new StringBuilder();
        foreach (var l in lines)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, JsonOptions))
            {
                w.WriteStartObject();
                w.WriteNumber("label", l.Label);
                w.WriteString("category", l.Category);
                w.WriteString("text", l.Text);
                if (l.Raw is not null) w.WriteString("raw", l.Raw);
                w.WriteEndObject();
            }
            sb.Append(Encoding.UTF8.GetString(ms.ToArray())).Append('\n');
        }
        return sb.ToString();
    }

    static string Balance(IReadOnlyList<LogLine> lines)
    {
        var counts = new int[LogCategories.Count];
        foreach (var l in lines) counts[l.Label]++;
        return string.Join(", ", LogCategories.Names.Select((name, c) =>
            string.Create(CultureInfo.InvariantCulture, $"{name} {counts[c]} ({100.0 * counts[c] / lines.Count:F1}%)")));
    }

    static string Card(int seed, int count, TemplateLogTask template, IReadOnlyList<LogLine> templateLines,
        RealisticLogTask realistic, IReadOnlyList<LogLine> realisticLines)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("# Log samples (document 000)\n\n");
        sb.Append("Small samples of the two synthetic log-classification tasks behind document 000, for reading and for\n");
        sb.Append("the `predict` command. The experiments generate their own, larger sets from a seed with the same code.\n");
        sb.Append("This file and the samples are written by code; do not edit them by hand. Regenerate with\n\n");
        sb.Append("```\n").Append(Command).Append('\n').Append("```\n\n");
        sb.Append(inv, $"Seed {seed}, {count} lines per file, no concept drift. Each line is a JSON object: `label` (0-3),\n");
        sb.Append("`category` (ERROR, WARNING, INFO, DEBUG) and `text`, the characters the model reads.\n\n");

        sb.Append("## ").Append(TemplateFile).Append("\n\n");
        sb.Append("Port of `LogDataset` in upstream `latent_drift_trajectory.py` (`Raccoon.Research.Data.Logs.TemplateLogTask`).\n");
        sb.Append("A category is drawn from the class prior, one of its template words is padded with `_` to\n");
        sb.Append(inv, $"{template.SequenceLength} characters, and each character is replaced with probability {template.Corruption} by a symbol drawn\n");
        sb.Append("uniformly from the vocabulary (so a replacement may leave it unchanged).\n\n");
        sb.Append("- Templates: ").Append(string.Join("; ", TemplateLogTask.Templates.Select((w, c) => $"{LogCategories.Names[c]}: {string.Join(", ", w)}"))).Append('\n');
        sb.Append(inv, $"- Vocabulary `{template.Vocabulary.Name}` ({template.Vocabulary.Size} symbols, id = position): `{template.Vocabulary.Symbols}`\n");
        sb.Append("- Class balance: ").Append(Balance(templateLines)).Append("\n\n");

        sb.Append("## ").Append(RealisticFile).Append("\n\n");
        sb.Append("Port of `RealisticLogGenerator` and `AlternativeLogDataset` in upstream `raccoon_alternative.py`\n");
        sb.Append("(`RealisticLogGenerator`, `RealisticLogTask`). A template of the category gets its placeholders filled\n");
        sb.Append(inv, $"(service, error code, PID, duration, ...) and is padded with `_` to {realistic.SequenceLength} characters: that is `raw`.\n");
        sb.Append("Upstream's encoder maps every character outside its vocabulary (lowercase letters, spaces, `/`, `%`, `=`)\n");
        sb.Append(inv, $"to `_`; `text` is `raw` folded that way and then corrupted with probability {realistic.Corruption} per character.\n");
        sb.Append("Most of a message is therefore `_`: what the model sees is the level prefix, capitals, digits and `:`.\n\n");
        sb.Append(inv, $"- Vocabulary `{realistic.Vocabulary.Name}` ({realistic.Vocabulary.Size} symbols, id = position): `{realistic.Vocabulary.Symbols}`\n");
        sb.Append("- Class balance: ").Append(Balance(realisticLines)).Append("\n\n");

        sb.Append("## Concept drift\n\n");
        sb.Append("With a drift point d, lines from index d on draw their class from ")
          .Append(string.Join("/", LogCategories.AfterDrift.Select(p => p.ToString(inv))))
          .Append(" (ERROR/WARNING/INFO/DEBUG)\ninstead of the balanced prior; the texts of a class do not change. Upstream re-draws a line on every\n");
        sb.Append("access from torch's global generator; here `System.Random(seed)` fixes the whole set, so the same seed gives the same lines.\n");
        return sb.ToString();
    }
}
