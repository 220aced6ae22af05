namespace Raccoon.Research.Measurements.Parity;

/// <summary>Every parity case, in document order: each document's list lives beside its experiments
/// (Experiments/NAME/NAMEParity.cs), its PyTorch definitions in benchmarks/pytorch/name.py.</summary>
public static class ParityCases
{
    public static IReadOnlyList<ParityCase> All { get; } =
    [
    ];
}
