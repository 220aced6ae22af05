using Raccoon.Research.Blocks.Memory;

namespace Raccoon.Research.Tests.Blocks;

public class MemoryTests
{
    [Fact]
    public void Priority_memory_evicts_the_lowest_score_earliest_first()
    {
        var memory = new PriorityReplayMemory<string>(capacity: 3);
        memory.Add("a", 0.5); memory.Add("b", 0.1); memory.Add("c", 0.9);
        Assert.Equal(["a", "b", "c"], memory.Items);
        memory.Add("d", 0.3);                  // over capacity: b (0.1) goes
        Assert.Equal(["a", "c", "d"], memory.Items);
        memory.Add("e", 0.1);                  // the newcomer is the worst: it goes at once, as upstream
        Assert.Equal(["a", "c", "d"], memory.Items);
        memory.Add("f", 0.3);                  // tie between d and f at 0.3: the earlier (d) goes
        Assert.Equal(["a", "c", "f"], memory.Items);
        Assert.Equal([0.5, 0.9, 0.3], memory.Scores);
    }

    [Fact]
    public void Priority_memory_samples_by_softmax_of_scores()
    {
        var memory = new PriorityReplayMemory<int>(capacity: 10, seed: 3);
        double[] scores = [0.0, Math.Log(2), Math.Log(3), Math.Log(4)];
        for (int i = 0; i < scores.Length; i++) memory.Add(i, scores[i]);
        var p = memory.Probabilities();
        Assert.Equal([0.1, 0.2, 0.3, 0.4], p.Select(v => Math.Round(v, 12)));

        // More requested than stored: with replacement, so frequencies follow p.
        const int n = 40_000;
        var counts = new int[4];
        foreach (var i in memory.Sample(n)) counts[i]++;
        for (int i = 0; i < 4; i++)
        {
            double se = Math.Sqrt(p[i] * (1 - p[i]) / n);
            Assert.True(Math.Abs(counts[i] / (double)n - p[i]) < 4 * se, $"item {i}: {counts[i] / (double)n} vs {p[i]}");
        }
    }

    [Fact]
    public void Priority_memory_samples_distinct_items_when_it_holds_enough()
    {
        var memory = new PriorityReplayMemory<int>(capacity: 100, seed: 4);
        for (int i = 0; i < 50; i++) memory.Add(i, i / 10.0);
        for (int trial = 0; trial < 20; trial++)
        {
            var s = memory.Sample(16);
            Assert.Equal(16, s.Count);
            Assert.Equal(16, s.Distinct().Count());
        }
        Assert.Equal(Enumerable.Range(0, 50), memory.Sample(50).Order()); // all of them, each once
        // The first draw favours high scores: item 49 has e^4.9 / e^0 = 134 times the weight of item 0.
        int high = 0, low = 0;
        for (int trial = 0; trial < 2000; trial++) { int first = memory.Sample(1)[0]; if (first >= 40) high++; if (first < 10) low++; }
        Assert.True(high > 20 * Math.Max(low, 1), $"high {high}, low {low}");
        Assert.Throws<InvalidOperationException>(() => new PriorityReplayMemory<int>(5).Sample(1));
    }

    [Fact]
    public void Priority_memory_is_reproducible_from_its_seed()
    {
        PriorityReplayMemory<int> Make() { var m = new PriorityReplayMemory<int>(20, seed: 7); for (int i = 0; i < 20; i++) m.Add(i, i % 5); return m; }
        Assert.Equal(Make().Sample(8), Make().Sample(8));
    }

    [Fact]
    public void Circular_buffer_keeps_the_latest_items_in_order()
    {
        var buffer = new CircularReplayBuffer<int>(capacity: 100);
        for (int i = 0; i < 150; i++) buffer.Add(i);
        Assert.Equal(100, buffer.Count);
        Assert.Equal(Enumerable.Range(50, 100), buffer.Items);
    }

    [Fact]
    public void Circular_buffer_samples_distinct_items_uniformly()
    {
        var buffer = new CircularReplayBuffer<int>(capacity: 10, seed: 5);
        Assert.Empty(buffer.Sample(4));
        for (int i = 0; i < 10; i++) buffer.Add(i);
        Assert.Equal(Enumerable.Range(0, 10), buffer.Sample(50).Order()); // min(n, count), no repeats
        const int trials = 20_000;
        var counts = new int[10];
        for (int t = 0; t < trials; t++)
        {
            var s = buffer.Sample(3);
            Assert.Equal(3, s.Distinct().Count());
            foreach (var i in s) counts[i]++;
        }
        double p = 0.3, se = Math.Sqrt(p * (1 - p) / trials); // each item is in a 3-of-10 sample with probability 0.3
        Assert.All(counts, c => Assert.True(Math.Abs(c / (double)trials - p) < 4 * se, $"{c / (double)trials} vs {p}"));
    }
}
