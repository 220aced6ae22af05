using Raccoon.Research.Data;
using Raccoon.Research.Data.Logs;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Data;

public class CharVocabularyTests
{
    [Fact]
    public void The_upstream_vocabularies_have_40_and_43_symbols_in_upstream_order()
    {
        Assert.Equal(40, CharVocabulary.TemplateLogs.Size);
        Assert.Equal(43, CharVocabulary.RealisticLogs.Size);
        // latent_drift_trajectory.py: '_' + A-Z + '!>?' + digits; raccoon_alternative.py: '_' + A-Z + digits + '!>?:-.'
        Assert.Equal(0, CharVocabulary.TemplateLogs.Encode("_")[0]);
        Assert.Equal(27, CharVocabulary.TemplateLogs.Encode("!")[0]);
        Assert.Equal(30, CharVocabulary.TemplateLogs.Encode("0")[0]);
        Assert.Equal(27, CharVocabulary.RealisticLogs.Encode("0")[0]);
        Assert.Equal(42, CharVocabulary.RealisticLogs.Encode(".")[0]);
    }

    [Fact]
    public void Encode_and_decode_round_trip()
    {
        var v = CharVocabulary.RealisticLogs;
        const string text = "ERROR:_PID_4242_AT_12:3:59.";
        Assert.Equal(text, v.Decode(v.Encode(text)));
    }

    [Fact]
    public void A_character_outside_the_vocabulary_is_named_with_its_position()
    {
        var e = Assert.Throws<ArgumentException>(() => CharVocabulary.TemplateLogs.Encode("ERROR:X"));
        Assert.Contains("':'", e.Message);
        Assert.Contains("position 5", e.Message);
        Assert.Contains("template-logs-40", e.Message);
        var space = Assert.Throws<ArgumentException>(() => CharVocabulary.RealisticLogs.Encode("A B"));
        Assert.Contains("U+0020", space.Message);
    }

    [Fact]
    public void Folding_maps_unknown_characters_to_id_0_as_upstream()
    {
        var v = CharVocabulary.RealisticLogs;
        Assert.Equal([5L, 0L, 0L, 37L], v.EncodeFolding("Err!"));
        Assert.Equal("E__!", v.Fold("Err!"));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Decode([43L]));
    }
}

public class TemplateLogTaskTests
{
    static readonly TemplateLogTask Task = new();

    [Fact]
    public void The_same_seed_gives_the_same_lines_and_another_seed_others()
    {
        Assert.Equal(Task.Lines(200, 5), Task.Lines(200, 5));
        Assert.NotEqual(Task.Lines(200, 5).Select(l => l.Text), Task.Lines(200, 6).Select(l => l.Text));
    }

    [Fact]
    public void Without_corruption_a_line_is_a_template_word_of_its_class_padded_to_50()
    {
        foreach (var line in new TemplateLogTask(50, 0).Lines(200, 3))
        {
            Assert.Equal(50, line.Text.Length);
            string word = line.Text.TrimEnd('_');
            Assert.Contains(word, TemplateLogTask.Templates[line.Label]);
        }
    }

    [Fact]
    public void About_one_character_in_ten_is_replaced_by_a_uniform_symbol()
    {
        // A replacement draws any of the 40 symbols, itself included: the expected change rate is 0.1 * 39/40.
        var lines = Task.Lines(2000, 11);
        double changed = lines.Average(l =>
            TemplateLogTask.Templates[l.Label].Min(w => Hamming(l.Text, CharVocabulary.TemplateLogs.PadOrTruncate(w, 50))) / 50.0);
        Assert.InRange(changed, 0.0975 - 0.008, 0.0975 + 0.008);
    }

    [Fact]
    public void Concept_drift_shifts_the_class_prior_from_the_drift_point_on()
    {
        var lines = Task.Lines(8000, 2, driftPoint: 4000);
        double Share(IEnumerable<LogLine> part, int c) => part.Count(l => l.Label == c) / 4000.0;
        var before = lines.Take(4000).ToList();
        var after = lines.Skip(4000).ToList();
        for (int c = 0; c < 4; c++) Assert.InRange(Share(before, c), 0.23, 0.27);
        Assert.InRange(Share(after, 0), 0.38, 0.42);
        Assert.InRange(Share(after, 1), 0.28, 0.32);
        Assert.InRange(Share(after, 2), 0.18, 0.22);
        Assert.InRange(Share(after, 3), 0.085, 0.115);
    }

    [Fact]
    public void The_dataset_encodes_every_line_with_the_40_symbol_vocabulary()
    {
        var data = Task.Dataset(64, 1);
        Assert.Equal(64, data.Count);
        Assert.Equal(50, data.SequenceLength);
        Assert.Equal(40, data.VocabularySize);
        Assert.Equal(4, data.Classes);
        Assert.Equal(Task.Lines(64, 1)[7].Text, CharVocabulary.TemplateLogs.Decode(data.Tokens(7)));
    }

    static int Hamming(string a, string b) => a.Zip(b).Count(p => p.First != p.Second);
}

public class RealisticLogTaskTests
{
    static readonly string[] Prefixes = ["ERROR:", "WARN:", "INFO:", "DEBUG:"];

    [Fact]
    public void Messages_fill_every_placeholder_and_start_with_their_level()
    {
        var rng = new Random(4);
        for (int i = 0; i < 400; i++)
        {
            int label = i % 4;
            string m = RealisticLogGenerator.Generate(label, rng);
            Assert.Equal(50, m.Length);
            Assert.StartsWith(Prefixes[label], m);
            Assert.DoesNotContain("{", m);
        }
    }

    [Fact]
    public void Text_is_the_raw_message_folded_into_43_symbols_with_about_5_percent_corrupted()
    {
        var task = new RealisticLogTask();
        var lines = task.Lines(1000, 9);
        Assert.Equal(lines, task.Lines(1000, 9));
        foreach (var l in lines)
        {
            Assert.All(l.Text, c => Assert.True(task.Vocabulary.Contains(c), $"'{c}' outside the vocabulary"));
            Assert.StartsWith(Prefixes[l.Label][..3], l.Raw);
        }
        double changed = lines.Average(l => l.Text.Zip(task.Vocabulary.Fold(l.Raw!)).Count(p => p.First != p.Second) / 50.0);
        Assert.InRange(changed, 0.05 * 42 / 43 - 0.005, 0.05 * 42 / 43 + 0.005);
    }
}

public class LogSampleTests
{
    [Fact]
    public void The_shipped_samples_and_card_regenerate_byte_for_byte()
    {
        string dir = Repo.TempDir("samples");
        LogSamples.Write(dir);
        foreach (var name in new[] { LogSamples.TemplateFile, LogSamples.RealisticFile, LogSamples.CardFile })
        {
            string shipped = Path.Combine(Repo.Root, "data", name);
            Assert.True(File.Exists(shipped), $"{shipped} is missing: run `{LogSamples.Command}`");
            Assert.True(File.ReadAllBytes(shipped).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, name))),
                $"data/{name} differs from what `{LogSamples.Command}` writes");
        }
    }

    [Fact]
    public void A_sample_file_reads_back_into_the_lines_that_wrote_it()
    {
        string dir = Repo.TempDir("samples");
        LogSamples.Write(dir, seed: 3, count: 20);
        Assert.Equal(new RealisticLogTask().Lines(20, 3), LogSamples.Read(Path.Combine(dir, LogSamples.RealisticFile)));
        Assert.Equal(new TemplateLogTask().Lines(20, 3), LogSamples.Read(Path.Combine(dir, LogSamples.TemplateFile)));
        string bad = Path.Combine(dir, "bad.jsonl");
        File.WriteAllText(bad, "{\"label\":1,\"text\":\"A\"}\nnot json\n");
        var e = Assert.Throws<InvalidDataException>(() => LogSamples.Read(bad));
        Assert.Contains("bad.jsonl:2", e.Message);
    }
}
