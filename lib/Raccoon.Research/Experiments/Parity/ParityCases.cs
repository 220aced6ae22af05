using Raccoon.Research.Experiments.GlyphCnn;
using Raccoon.Research.Experiments.LanguageModels;
using Raccoon.Research.Experiments.LatentOde;
using Raccoon.Research.Experiments.LogClassifiers;
using Raccoon.Research.Experiments.PathFlow;
using Raccoon.Research.Views;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Experiments.Parity;

/// <summary>Every parity case, in document order: each document's list lives beside its experiments
/// (Experiments/NAME/NAMEParity.cs), its PyTorch definitions in benchmarks/pytorch/name.py.</summary>
public static class ParityCases
{
    /// <summary>Listed on first use, after torch is loaded: some cases count their FLOPs on a built model.</summary>
    public static IReadOnlyList<ParityCase> All => Cases.Value;

    static readonly Lazy<IReadOnlyList<ParityCase>> Cases = new(() =>
    {
        TorchRuntime.Initialize(TorchRuntime.Threads);
        return
        [
            .. LogClassifiersParity.Cases,
            .. LatentOdeParity.Cases,
            .. PathFlowParity.Cases,
            .. GlyphCnnParity.Cases,
            .. LanguageModelsParity.Cases,
        ];
    });
}
