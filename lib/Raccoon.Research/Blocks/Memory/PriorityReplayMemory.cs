namespace Raccoon.Research.Blocks.Memory;

/// <summary>
/// Upstream RaccoonMemory: a list of items with a score each. Add appends; when the count exceeds the
/// capacity the item with the lowest score is evicted (the earliest one on ties). Sample draws with
/// probabilities softmax(scores) (temperature 1, floored at 1e-10 and renormalised), without replacement
/// unless fewer items are stored than requested. Seeded.
/// </summary>
public sealed class PriorityReplayMemory<T>
{
    readonly List<T> items = new();
    readonly List<double> scores = new();
    readonly Random random;

    public int Capacity { get; }
    public int Count => items.Count;
    public IReadOnlyList<T> Items => items;
    public IReadOnlyList<double> Scores => scores;

    public PriorityReplayMemory(int capacity, int seed = 0)
    {
        if (capacity < 1) throw new ArgumentException($"capacity must be positive, got {capacity}");
        Capacity = capacity;
        random = new Random(seed);
    }

    public void Add(T item, double score)
    {
        if (double.IsNaN(score)) throw new ArgumentException("a replay score must not be NaN");
        items.Add(item);
        scores.Add(score);
        if (items.Count > Capacity)
        {
            int worst = 0;
            for (int i = 1; i < scores.Count; i++) if (scores[i] < scores[worst]) worst = i;
            items.RemoveAt(worst);
            scores.RemoveAt(worst);
        }
    }

    /// <summary>The sampling probability of each stored item (for one draw).</summary>
    public double[] Probabilities()
    {
        if (scores.Count == 0) return [];
        double max = scores.Max();
        var p = scores.Select(s => Math.Exp(s - max)).ToArray();
        double sum = p.Sum();
        for (int i = 0; i < p.Length; i++) p[i] = Math.Max(p[i] / sum, 1e-10);
        sum = p.Sum();
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
        return p;
    }

    public IReadOnlyList<T> Sample(int n)
    {
        if (items.Count == 0) throw new InvalidOperationException("cannot sample from an empty replay memory");
        if (n < 0) throw new ArgumentException($"sample size must be non-negative, got {n}");
        var p = Probabilities();
        bool replacement = items.Count < n;
        var picked = new List<T>(n);
        for (int k = 0; k < n; k++)
        {
            int i = Draw(p);
            picked.Add(items[i]);
            if (!replacement) p[i] = 0; // without replacement: draw the next from the remaining mass
        }
        return picked;
    }

    int Draw(double[] weights)
    {
        double u = random.NextDouble() * weights.Sum(), acc = 0;
        int last = -1;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0) continue;
            last = i;
            acc += weights[i];
            if (u < acc) return i;
        }
        return last;
    }

    public void Clear() { items.Clear(); scores.Clear(); }
}
