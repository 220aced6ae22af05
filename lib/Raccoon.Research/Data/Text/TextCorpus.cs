using System.Reflection;
using static TorchSharp.torch;

namespace Raccoon.Research.Data.Text;

/// <summary>
/// The project's own corpus (data/meadow-corpus.txt, embedded in the library) with its vocabulary,
/// split into training and held-out examples, and batched for next-token training: a batch holds
/// examples of one length, so nothing is padded (a non-causal model would read the padding).
/// </summary>
public sealed class TextCorpus
{
    public const string ResourceName = "Raccoon.Research.Data.Text.meadow-corpus.txt";

    public IReadOnlyList<string> Examples { get; }
    public Vocabulary Vocabulary { get; }
    public IReadOnlyList<long[]> Train { get; }
    public IReadOnlyList<long[]> HeldOut { get; }

    public TextCorpus(IReadOnlyList<string> examples, double heldOutFraction = 0.1, int seed = 0)
    {
        if (examples.Count < 2) throw new ArgumentException("a corpus needs at least two examples");
        Examples = examples;
        Vocabulary = Vocabulary.Build(examples);
        var encoded = examples.Select(Vocabulary.Encode).ToList();
        var order = Enumerable.Range(0, encoded.Count).ToArray();
        new Random(seed).Shuffle(order);
        int held = Math.Max(1, (int)Math.Round(encoded.Count * heldOutFraction));
        HeldOut = order.Take(held).Select(i => encoded[i]).ToList();
        Train = order.Skip(held).Select(i => encoded[i]).ToList();
    }

    /// <summary>The corpus shipped with the library.</summary>
    public static TextCorpus Meadow() => new(ReadEmbedded());

    public static IReadOnlyList<string> ReadEmbedded()
    {
        using var stream = typeof(TextCorpus).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"resource {ResourceName} is missing from the library");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public int LongestExample => Train.Concat(HeldOut).Max(e => e.Length);

    /// <summary>Batches of at most <paramref name="batchSize"/> same-length examples, shuffled by <paramref name="rng"/>: (B, T) int64.</summary>
    public static IEnumerable<Tensor> Batches(IReadOnlyList<long[]> examples, int batchSize, Random rng)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        var chunks = new List<long[][]>();
        foreach (var group in examples.GroupBy(e => e.Length))
        {
            var items = group.ToArray();
            rng.Shuffle(items);
            chunks.AddRange(items.Chunk(batchSize));
        }
        var order = chunks.ToArray();
        rng.Shuffle(order);
        foreach (var chunk in order)
            yield return tensor(chunk.SelectMany(e => e).ToArray(), [chunk.Length, chunk[0].Length]);
    }
}
