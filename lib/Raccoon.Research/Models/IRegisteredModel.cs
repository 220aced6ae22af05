namespace Raccoon.Research.Models;

/// <summary>A model <see cref="ModelRegistry"/> rebuilds from its kind and config: trainers' resume files record both,
/// so <c>raccoon export</c> can rebuild a model from the file its trainer wrote.</summary>
public interface IRegisteredModel
{
    /// <summary>The registry's name of this model's kind.</summary>
    string ModelKind { get; }

    /// <summary>The config the registry's factory for <see cref="ModelKind"/> builds this model from.</summary>
    object ModelConfig { get; }
}
