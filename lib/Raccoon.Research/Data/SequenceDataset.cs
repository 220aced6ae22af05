using static TorchSharp.torch;

namespace Raccoon.Research.Data;

/// <summary>
/// A fixed set of equal-length token sequences with class labels, checked once on construction
/// (ids inside the vocabulary, labels inside the classes), and cut into (B, T) / (B) int64 batches.
/// </summary>
public sealed class SequenceDataset
{
    readonly long[] tokens;   // (N * T), row-major
    readonly long[] labels;   // (N)

    public int Count => labels.Length;
    public int SequenceLength { get; }
    public int VocabularySize { get; }
    public int Classes { get; }

    public SequenceDataset(IReadOnlyList<LabelledSequence> samples, int vocabularySize, int classes)
    {
        if (samples.Count == 0) throw new ArgumentException("a dataset needs at least one sample", nameof(samples));
        if (vocabularySize < 1) throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "vocabulary size must be positive");
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "class count must be positive");
        int t = samples[0].Tokens.Length;
        if (t == 0) throw new ArgumentException("sample 0 has no tokens", nameof(samples));
        SequenceLength = t;
        VocabularySize = vocabularySize;
        Classes = classes;
        tokens = new long[samples.Count * t];
        labels = new long[samples.Count];
        for (int i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            if (s.Tokens.Length != t)
                throw new ArgumentException($"sample {i} has {s.Tokens.Length} tokens, sample 0 has {t}: pad sequences to one length", nameof(samples));
            if (s.Label < 0 || s.Label >= classes)
                throw new ArgumentException($"sample {i} has label {s.Label}, outside [0, {classes})", nameof(samples));
            for (int j = 0; j < t; j++)
            {
                long id = s.Tokens[j];
                if (id < 0 || id >= vocabularySize)
                    throw new ArgumentException($"sample {i} has token id {id} at position {j}, outside the vocabulary [0, {vocabularySize})", nameof(samples));
            }
            s.Tokens.CopyTo(tokens, i * t);
            labels[i] = s.Label;
        }
    }

    public LabelledSequence this[int i] => new(Tokens(i).ToArray(), (int)labels[i]);

    public ReadOnlySpan<long> Tokens(int i) => tokens.AsSpan(i * SequenceLength, SequenceLength);
    public int Label(int i) => (int)labels[i];

    /// <summary>How many samples carry each label.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[Classes];
        foreach (var l in labels) counts[l]++;
        return counts;
    }

    /// <summary>The samples at <paramref name="indices"/> as tensors: tokens (B, T) int64, labels (B) int64.</summary>
    public (Tensor Tokens, Tensor Labels) Batch(ReadOnlySpan<int> indices)
    {
        if (indices.Length == 0) throw new ArgumentException("a batch needs at least one sample", nameof(indices));
        int t = SequenceLength;
        var tok = new long[indices.Length * t];
        var lab = new long[indices.Length];
        for (int b = 0; b < indices.Length; b++)
        {
            int i = indices[b];
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"sample index outside [0, {Count})");
            tokens.AsSpan(i * t, t).CopyTo(tok.AsSpan(b * t, t));
            lab[b] = labels[i];
        }
        return (tensor(tok, [indices.Length, t], ScalarType.Int64), tensor(lab, ScalarType.Int64));
    }

    /// <summary>Loose samples (a replay draw, a stream item) as tensors: tokens (B, T) int64, labels (B) int64.</summary>
    public static (Tensor Tokens, Tensor Labels) Batch(IReadOnlyList<LabelledSequence> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("a batch needs at least one sample", nameof(samples));
        int t = samples[0].Tokens.Length;
        var tok = new long[samples.Count * t];
        var lab = new long[samples.Count];
        for (int b = 0; b < samples.Count; b++)
        {
            if (samples[b].Tokens.Length != t)
                throw new ArgumentException($"sample {b} of the batch has {samples[b].Tokens.Length} tokens, sample 0 has {t}", nameof(samples));
            samples[b].Tokens.CopyTo(tok, b * t);
            lab[b] = samples[b].Label;
        }
        return (tensor(tok, [samples.Count, t], ScalarType.Int64), tensor(lab, ScalarType.Int64));
    }

    /// <summary>Samples [start, start + count) as a new dataset.</summary>
    public SequenceDataset Slice(int start, int count) => Select(Enumerable.Range(start, count));

    public SequenceDataset Select(IEnumerable<int> indices) =>
        new(indices.Select(i => this[i]).ToList(), VocabularySize, Classes);

    /// <summary>A seeded random split into (first, second) with <paramref name="secondFraction"/> of the samples in the second.</summary>
    public (SequenceDataset First, SequenceDataset Second) Split(double secondFraction, int seed)
    {
        if (secondFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(secondFraction), secondFraction, "fraction must lie in (0, 1)");
        var order = Enumerable.Range(0, Count).ToArray();
        new Random(seed).Shuffle(order);
        int second = Math.Max(1, (int)Math.Round(Count * secondFraction));
        if (second >= Count) throw new ArgumentException($"{Count} samples cannot be split with fraction {secondFraction}");
        return (Select(order[second..]), Select(order[..second]));
    }
}

/// <summary>The order in which a dataset is cut into batches.</summary>
public static class BatchPlan
{
    /// <summary>Batches in index order; the last one may be short.</summary>
    public static IEnumerable<int[]> Sequential(int count, int batchSize)
    {
        Check(count, batchSize);
        for (int start = 0; start < count; start += batchSize)
            yield return Enumerable.Range(start, Math.Min(batchSize, count - start)).ToArray();
    }

    /// <summary>A fresh permutation from <paramref name="rng"/>, cut into batches; <paramref name="dropLast"/> drops a short last batch (upstream's drop_last=True).</summary>
    public static IEnumerable<int[]> Shuffled(int count, int batchSize, Random rng, bool dropLast)
    {
        Check(count, batchSize);
        var order = Enumerable.Range(0, count).ToArray();
        rng.Shuffle(order);
        int full = count / batchSize * batchSize;
        for (int start = 0; start < count; start += batchSize)
        {
            if (dropLast && start >= full) yield break;
            yield return order[start..Math.Min(start + batchSize, count)];
        }
    }

    /// <summary>How many batches an epoch has.</summary>
    public static int BatchesPerEpoch(int count, int batchSize, bool dropLast) =>
        dropLast ? count / batchSize : (count + batchSize - 1) / batchSize;

    static void Check(int count, int batchSize)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        if (count < 1) throw new ArgumentException("cannot batch an empty dataset");
    }
}
