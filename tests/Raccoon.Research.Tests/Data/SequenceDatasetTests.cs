using Raccoon.Research.Data;
using Raccoon.Research.Tests.Support;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Data;

public class SequenceDatasetTests : IClassFixture<TorchFixture>
{
    static LabelledSequence S(int label, params long[] tokens) => new(tokens, label);

    [Fact]
    public void Bad_samples_are_named()
    {
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => new SequenceDataset([], 5, 2)).Message);
        Assert.Contains("sample 1 has 2 tokens", Assert.Throws<ArgumentException>(() => new SequenceDataset([S(0, 1, 2, 3), S(1, 1, 2)], 5, 2)).Message);
        Assert.Contains("token id 7", Assert.Throws<ArgumentException>(() => new SequenceDataset([S(0, 1, 7)], 5, 2)).Message);
        Assert.Contains("label 2", Assert.Throws<ArgumentException>(() => new SequenceDataset([S(2, 1, 1)], 5, 2)).Message);
    }

    [Fact]
    public void A_batch_is_B_by_T_int64_tokens_and_B_int64_labels()
    {
        var data = new SequenceDataset([S(0, 1, 2, 3), S(1, 4, 4, 4), S(1, 0, 0, 1)], 5, 2);
        using var scope = NewDisposeScope();
        var (tokens, labels) = data.Batch([2, 0]);
        Assert.Equal([2L, 3L], tokens.shape);
        Assert.Equal(ScalarType.Int64, tokens.dtype);
        Assert.Equal([0L, 0L, 1L, 1L, 2L, 3L], tokens.data<long>().ToArray());
        Assert.Equal([1L, 0L], labels.data<long>().ToArray());
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => data.Batch([])).Message);
        Assert.Contains("sample 1 of the batch", Assert.Throws<ArgumentException>(() => SequenceDataset.Batch([S(0, 1, 2), S(0, 1)])).Message);
    }

    [Fact]
    public void Shuffled_batches_cover_every_sample_once_and_drop_a_short_last_batch_when_asked()
    {
        var kept = BatchPlan.Shuffled(10, 4, new Random(1), dropLast: false).ToList();
        Assert.Equal([4, 4, 2], kept.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 10), kept.SelectMany(b => b).Order());
        var dropped = BatchPlan.Shuffled(10, 4, new Random(1), dropLast: true).ToList();
        Assert.Equal([4, 4], dropped.Select(b => b.Length));
        Assert.Equal(kept.Take(2).SelectMany(b => b), dropped.SelectMany(b => b));
        Assert.Equal(2, BatchPlan.BatchesPerEpoch(10, 4, true));
    }

    [Fact]
    public void A_split_is_seeded_and_disjoint()
    {
        var data = new SequenceDataset(Enumerable.Range(0, 20).Select(i => S(i % 2, i)).ToList(), 20, 2);
        var (train, val) = data.Split(0.25, seed: 3);
        Assert.Equal(15, train.Count);
        Assert.Equal(5, val.Count);
        var all = Enumerable.Range(0, 15).Select(i => train.Tokens(i)[0]).Concat(Enumerable.Range(0, 5).Select(i => val.Tokens(i)[0]));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), all.Order());
        Assert.Equal(val.Tokens(0)[0], data.Split(0.25, seed: 3).Second.Tokens(0)[0]);
    }
}
