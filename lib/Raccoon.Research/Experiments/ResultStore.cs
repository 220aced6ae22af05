using System.Text.Json;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Reporting;

namespace Raccoon.Research.Experiments;

/// <summary>A stored experiment result, with what it was computed from.</summary>
public sealed record StoredResult(
    string Experiment, Profile Profile, int Seed, string LibraryVersion, int Threads, DateTimeOffset FinishedAt,
    double Seconds, IReadOnlyList<Measurement> Measurements, IReadOnlyList<Figure> Figures, IReadOnlyList<Table> Tables)
{
    public ExperimentResult ToResult() => new(Measurements, Figures, Tables);
}

/// <summary>
/// Results kept under DIR/results, one file per experiment, profile and seed. A result is reused only
/// when it came from this very build of the library, so the report, the ledger and the notebooks
/// show one computation and re-running is fast.
/// </summary>
public sealed class ResultStore(string dir)
{
    public string Directory { get; } = Path.Combine(dir, "results");

    /// <summary>Identifies this build of the library: its module version id changes with its code.</summary>
    public static string LibraryVersion { get; } =
        typeof(ResultStore).Assembly.ManifestModule.ModuleVersionId.ToString("N")[..12];

    public string PathFor(string experiment, Profile profile, int seed) =>
        Path.Combine(Directory, $"{experiment}.{profile.ToString().ToLowerInvariant()}.seed{seed}.json");

    /// <summary>The stored result when it came from this build of the library, else null.</summary>
    public StoredResult? TryLoad(string experiment, Profile profile, int seed, Action<string>? corrupt = null) =>
        TryLoadAnyVersion(experiment, profile, seed, corrupt) is { } s && s.LibraryVersion == LibraryVersion ? s : null;

    /// <summary>The stored result whatever build made it (the report shows the figures behind an older ledger row).</summary>
    /// <param name="corrupt">Told, naming the file, when the file exists but does not read as this
    /// experiment's result (truncated, damaged, or an older format); null is returned and it is recomputed.</param>
    public StoredResult? TryLoadAnyVersion(string experiment, Profile profile, int seed, Action<string>? corrupt = null)
    {
        string path = PathFor(experiment, profile, seed);
        if (!File.Exists(path)) return null;
        string? problem = StoredResultCheck.Problem(path, experiment, profile, seed, out var result);
        if (problem is null) return result;
        corrupt?.Invoke($"stored result '{path}' {problem}; recomputing it");
        return null; // never trusted
    }

    public void Save(StoredResult result) =>
        AtomicFile.WriteAllText(PathFor(result.Experiment, result.Profile, result.Seed), JsonSerializer.Serialize(result, Json.Options));
}
