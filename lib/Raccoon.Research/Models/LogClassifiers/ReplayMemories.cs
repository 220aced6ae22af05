using Raccoon.Research.Blocks.Memory;
using Raccoon.Research.Data;

namespace Raccoon.Research.Models.LogClassifiers;

/// <summary>Upstream RaccoonLogClassifier's priority memory as the continual phase's <see cref="IReplayMemory"/>:
/// every sample of a batch gets the batch's score (upstream's mean predictive entropy).</summary>
public sealed class PriorityReplay(int capacity, int seed) : IReplayMemory
{
    public PriorityReplayMemory<LabelledSequence> Memory { get; } = new(capacity, seed);
    public int Count => Memory.Count;
    public void Add(IReadOnlyList<LabelledSequence> samples, double priority) { foreach (var s in samples) Memory.Add(s, priority); }
    public IReadOnlyList<LabelledSequence> Sample(int n) => Memory.Sample(n);
}

/// <summary>SimpleRaccoon's circular buffer as the continual phase's <see cref="IReplayMemory"/> (priorities ignored).</summary>
public sealed class CircularReplay(int capacity, int seed) : IReplayMemory
{
    public CircularReplayBuffer<LabelledSequence> Buffer { get; } = new(capacity, seed);
    public int Count => Buffer.Count;
    public void Add(IReadOnlyList<LabelledSequence> samples, double priority) { foreach (var s in samples) Buffer.Add(s); }
    public IReadOnlyList<LabelledSequence> Sample(int n) => Buffer.Sample(n);
}
