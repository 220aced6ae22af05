using Raccoon.Research.Ledger;

namespace Raccoon.Research.Experiments;

/// <summary>Every experiment of the project. A new experiment is added here, once.</summary>
public static class ExperimentRegistry
{
    public static IReadOnlyList<IExperiment> All { get; } =
    [
        new Raccoon.RaccoonStructureExperiment(),
        new Raccoon.RaccoonSpeedExperiment(),
        new Raccoon.RaccoonMemoryExperiment(),
        new Raccoon.RaccoonDeploymentExperiment(),
        new Raccoon.RaccoonTrainingExperiment(),
        new Document004.RustGptParametersExperiment(),
        new Document004.RustGptCostExperiment(),
        new Document004.RustGptTrainingExperiment(),
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
