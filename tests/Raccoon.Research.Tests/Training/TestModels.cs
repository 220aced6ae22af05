using Raccoon.Research.Blocks.Memory;
using Raccoon.Research.Data;
using Raccoon.Research.Models;
using Raccoon.Research.Models.Baselines;
using Raccoon.Research.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Training;

/// <summary>A mean-pool classifier whose objective misbehaves on chosen calls: a NaN loss, or a finite loss with an infinite gradient.</summary>
sealed class FaultyClassifier : nn.Module<Tensor, Tensor>, ISequenceClassifier
{
    readonly MeanPoolClassifier inner;
    readonly HashSet<int> nanLossAt, infGradientAt;
    int calls;

    public FaultyClassifier(MeanPoolClassifierConfig config, IEnumerable<int>? nanLossAt = null, IEnumerable<int>? infGradientAt = null) : base(nameof(FaultyClassifier))
    {
        inner = new MeanPoolClassifier(config);
        this.nanLossAt = [.. nanLossAt ?? []];
        this.infGradientAt = [.. infGradientAt ?? []];
        RegisterComponents();
    }

    public int VocabularySize => inner.VocabularySize;
    public int Classes => inner.Classes;
    public override Tensor forward(Tensor tokens) => inner.forward(tokens);
    public Tensor Logits(Tensor tokens) => inner.Logits(tokens);

    public (Tensor Loss, Tensor Logits) Objective(Tensor tokens, Tensor labels)
    {
        calls++;
        var (loss, logits) = inner.Objective(tokens, labels);
        if (nanLossAt.Contains(calls)) loss = loss * double.NaN;
        if (infGradientAt.Contains(calls))
        {
            // sqrt at 0: the value adds 0, its derivative is infinite.
            var w = inner.parameters().First();
            loss = loss + (w - w.detach()).abs().sqrt().sum();
        }
        return (loss, logits);
    }
}

/// <summary>A mean-pool classifier whose training objective draws from torch's generator (dropout on the logits), as sampling models do.</summary>
sealed class NoisyClassifier : nn.Module<Tensor, Tensor>, ISequenceClassifier
{
    readonly MeanPoolClassifier inner;

    public NoisyClassifier(MeanPoolClassifierConfig config) : base(nameof(NoisyClassifier))
    {
        inner = new MeanPoolClassifier(config);
        RegisterComponents();
    }

    public int VocabularySize => inner.VocabularySize;
    public int Classes => inner.Classes;
    public override Tensor forward(Tensor tokens) => inner.forward(tokens);
    public Tensor Logits(Tensor tokens) => inner.Logits(tokens);

    public (Tensor Loss, Tensor Logits) Objective(Tensor tokens, Tensor labels)
    {
        var logits = nn.functional.dropout(inner.Logits(tokens), 0.3, training: true);
        return (nn.functional.cross_entropy(logits, labels), logits);
    }
}

/// <summary>An unbounded first-in memory that samples uniformly; records the priorities it was given.</summary>
sealed class ListMemory(int seed) : IReplayMemory
{
    readonly List<LabelledSequence> items = [];
    readonly Random rng = new(seed);
    public List<double> Priorities { get; } = [];
    public int Count => items.Count;

    public void Add(IReadOnlyList<LabelledSequence> samples, double priority)
    {
        items.AddRange(samples);
        Priorities.Add(priority);
    }

    public IReadOnlyList<LabelledSequence> Sample(int n) =>
        Enumerable.Range(0, Math.Min(n, items.Count)).Select(_ => items[rng.Next(items.Count)]).ToList();
}

static class Params
{
    public static Dictionary<string, float[]> Of(nn.Module m) =>
        m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());

    public static void AssertEqual(Dictionary<string, float[]> a, Dictionary<string, float[]> b)
    {
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var k in a.Keys) Assert.True(a[k].SequenceEqual(b[k]), $"'{k}' differs");
    }
}
