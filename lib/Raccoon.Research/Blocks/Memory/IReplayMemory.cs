using Raccoon.Research.Data;

namespace Raccoon.Research.Blocks.Memory;

/// <summary>
/// An experience-replay memory for the continual phase. Each model family brings its own (upstream:
/// a priority memory that evicts the lowest score, a circular buffer); the phase only adds and samples.
/// </summary>
public interface IReplayMemory
{
    /// <summary>Samples held now.</summary>
    int Count { get; }

    /// <summary>Stores <paramref name="samples"/> with a <paramref name="priority"/> (the phase passes the mean predictive
    /// entropy of the batch, as upstream's continuous_update scores it); a memory without priorities ignores it.</summary>
    void Add(IReadOnlyList<LabelledSequence> samples, double priority);

    /// <summary>Up to <paramref name="n"/> stored samples, drawn as the memory defines (with its own seeded generator).</summary>
    IReadOnlyList<LabelledSequence> Sample(int n);
}
