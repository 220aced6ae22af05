using Raccoon.Research.Experiments.GlyphCnn;
using Raccoon.Research.Experiments.LanguageModels;
using Raccoon.Research.Experiments.LatentOde;
using Raccoon.Research.Experiments.LogClassifiers;
using Raccoon.Research.Experiments.PathFlow;

namespace Raccoon.Research.Measurements.Parity;

/// <summary>Every parity case, in document order: each document's list lives beside its experiments
/// (Experiments/NAME/NAMEParity.cs), its PyTorch definitions in benchmarks/pytorch/name.py.</summary>
public static class ParityCases
{
    public static IReadOnlyList<ParityCase> All { get; } =
    [
        .. LogClassifiersParity.Cases,
        .. LatentOdeParity.Cases,
        .. PathFlowParity.Cases,
        .. GlyphCnnParity.Cases,
        .. LanguageModelsParity.Cases,
    ];
}
