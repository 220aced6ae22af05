using Raccoon.Research.Ledger;

namespace Raccoon.Research.Experiments;

/// <summary>Every experiment of the project. A new experiment is added here, once.</summary>
public static class ExperimentRegistry
{
    public static IReadOnlyList<IExperiment> All { get; } =
    [
        new LogClassifiers.LogClassifiersStructureExperiment(),
        new LogClassifiers.LogClassifiersSpeedExperiment(),
        new LogClassifiers.LogClassifiersMemoryExperiment(),
        new LogClassifiers.LogClassifiersDeploymentExperiment(),
        new LogClassifiers.LogClassifiersTrainingExperiment(),
        new LatentOde.LatentOdeStructureExperiment(),
        new LatentOde.LatentOdeCostExperiment(),
        new LatentOde.LatentOdeTrainingExperiment(),
        new PathFlow.PathFlowTrainingExperiment(),
        new PathFlow.PathFlowInferenceExperiment(),
        new PathFlow.PathFlowScalingExperiment(),
        new LanguageModels.LanguageModelsParametersExperiment(),
        new LanguageModels.LanguageModelsCostExperiment(),
        new LanguageModels.LanguageModelsTrainingExperiment(),
        new GlyphCnn.GlyphCnnStructureExperiment(),
        new GlyphCnn.GlyphCnnSpeedExperiment(),
        new GlyphCnn.GlyphCnnTrainingExperiment(),
    ];

    public static IExperiment Get(string name) =>
        All.FirstOrDefault(e => e.Name == name)
        ?? throw new KeyNotFoundException($"no experiment '{name}'; known: {string.Join(", ", All.Select(e => e.Name))}");

    /// <summary>The experiments that answer at least one of <paramref name="claims"/>.</summary>
    public static IReadOnlyList<IExperiment> For(IEnumerable<Claim> claims)
    {
        var ids = claims.Select(c => c.Id).ToHashSet();
        return All.Where(e => e.Claims.Any(ids.Contains)).ToList();
    }
}
