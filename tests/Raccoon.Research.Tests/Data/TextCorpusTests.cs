using Raccoon.Research.Data.Text;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Data;

public class TextCorpusTests : IClassFixture<TorchFixture>
{
    public const int CorpusExamples = 2000;

    [Fact]
    public void TokenisesAsRustGpt()
    {
        Assert.Equal(["User", ":", "Where", "does", "the", "fox", "live", "?", "Assistant", ":", "It", "'", "s", "here", ".", "</s>"],
            Vocabulary.Split("User: Where does the fox live? Assistant: It's here. </s>"));
        Assert.Equal(["rivers", ",", "lakes", "a", "+", "b", "é"], Vocabulary.Split("  rivers,\tlakes\na+b é "));
    }

    [Fact]
    public void VocabularyIsBuiltAsUpstreamBuildsIt()
    {
        var v = Vocabulary.Build(["Fish swim in rivers, lakes </s>", "Birds fly </s>"]);
        // "</s>" in the text enters the vocabulary as pieces too, as upstream's process_text_for_vocab does; ordinal order.
        Assert.Equal([",", "/", "<", "</s>", ">", "Birds", "Fish", "fly", "in", "lakes", "rivers", "s", "swim"], v.Words);
        Assert.Equal(3, v.EndToken);
        long[] ids = v.Encode("Birds swim in lakes </s>");
        Assert.Equal([5L, 12, 8, 9, 3], ids);
        Assert.Equal("Birds swim in lakes </s>", v.Decode(ids));
        Assert.Contains("'cats' is not in the vocabulary", Assert.Throws<ArgumentException>(() => v.Encode("cats swim")).Message);
        Assert.Throws<ArgumentException>(() => v.Decode([13]));
    }

    [Fact]
    public void TheShippedCorpusIsTheGeneratorsOutput()
    {
        var generated = TemplateCorpus.Generate(CorpusExamples, seed: 0);
        string file = Path.Combine(Repo.Root, "data", "meadow-corpus.txt");
        string expected = string.Join('\n', generated) + "\n";
        if (Environment.GetEnvironmentVariable("RACCOON_WRITE_CORPUS") == "1")
            global::Raccoon.Research.IO.AtomicFile.WriteAllText(file, expected);
        Assert.Equal(expected, File.ReadAllText(file));
        Assert.Equal(generated, TextCorpus.ReadEmbedded());
        Assert.All(generated, line => Assert.EndsWith(" </s>", line));
        Assert.Equal(generated.Count, generated.Distinct().Count());
    }

    [Fact]
    public void CorpusSplitsAndBatchesByLength()
    {
        var corpus = TextCorpus.Meadow();
        Assert.Equal(CorpusExamples, corpus.Train.Count + corpus.HeldOut.Count);
        Assert.Equal(200, corpus.HeldOut.Count);
        Assert.True(corpus.LongestExample <= 80);
        int seen = 0;
        foreach (var batch in TextCorpus.Batches(corpus.Train, 16, new Random(1)))
        {
            Assert.True(batch.shape[0] is >= 1 and <= 16);
            seen += (int)batch.shape[0];
        }
        Assert.Equal(corpus.Train.Count, seen);
    }
}
