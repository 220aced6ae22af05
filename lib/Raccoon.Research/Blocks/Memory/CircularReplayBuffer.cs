namespace Raccoon.Research.Blocks.Memory;

/// <summary>
/// SimpleRaccoon's CircularBuffer: a fixed-capacity FIFO (the oldest item is dropped when full) with
/// uniform sampling of min(n, count) distinct items. Seeded.
/// </summary>
public sealed class CircularReplayBuffer<T>
{
    readonly Queue<T> items = new();
    readonly Random random;

    public int Capacity { get; }
    public int Count => items.Count;
    public IReadOnlyCollection<T> Items => items;

    public CircularReplayBuffer(int capacity, int seed = 0)
    {
        if (capacity < 1) throw new ArgumentException($"capacity must be positive, got {capacity}");
        Capacity = capacity;
        random = new Random(seed);
    }

    public void Add(T item)
    {
        if (items.Count == Capacity) items.Dequeue();
        items.Enqueue(item);
    }

    /// <summary>min(n, Count) distinct items, uniformly at random; empty when the buffer is empty.</summary>
    public IReadOnlyList<T> Sample(int n)
    {
        if (n < 0) throw new ArgumentException($"sample size must be non-negative, got {n}");
        var all = items.ToArray();
        int k = Math.Min(n, all.Length);
        for (int i = 0; i < k; i++) // partial Fisher-Yates: the first k slots become a uniform k-subset
        {
            int j = random.Next(i, all.Length);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return all.Take(k).ToArray();
    }

    public void Clear() => items.Clear();
}
