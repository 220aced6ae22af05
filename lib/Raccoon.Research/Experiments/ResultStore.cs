using System.Text.Json;
using System.Text.Json.Serialization;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Views;

namespace Raccoon.Research.Experiments;

/// <summary>A stored experiment result, with what it was computed from.</summary>
public sealed record StoredResult(
    string Experiment, Profile Profile, int Seed, string LibraryVersion, int Threads, DateTimeOffset FinishedAt,
    double Seconds, IReadOnlyList<Measurement> Measurements, IReadOnlyList<Figure> Figures, IReadOnlyList<Table> Tables,
    bool Optimized = false, double? OtherCores = null)
{
    public ExperimentResult ToResult() => new(Measurements, Figures, Tables);

    /// <summary>
    /// Why this experiment was not run where it is shown (a notebook executed by `reproduce --only` for an experiment
    /// neither selected nor stored); its figures, tables and claims then show this in their place. Null for a result
    /// that was computed; never stored.
    /// </summary>
    [JsonIgnore]
    public string? NotRun { get; init; }

    /// <summary>What a notebook holds for an experiment it did not run: no figures, saying <paramref name="why"/>.</summary>
    public static StoredResult NotRunHere(string experiment, Profile profile, int seed, int threads, string why) =>
        new(experiment, profile, seed, ResultStore.LibraryVersion, threads, default, 0, [], [], []) { NotRun = why };

    /// <summary>The figure named <paramref name="name"/>; an unknown name throws, listing the known ones. For a result
    /// not run, a figure saying why in place of the chart.</summary>
    public Figure Figure(string name) => NotRun is { } why ? Views.Figure.NotAvailable(name, why)
        : ResultNames.Figure(Figures, name, $"experiment '{Experiment}'");

    /// <summary>The table named <paramref name="name"/>; an unknown name throws, listing the known ones. For a result
    /// not run, a table saying why in place of its rows.</summary>
    public Table Table(string name) => NotRun is { } why ? Views.Table.NotAvailable(name, why)
        : ResultNames.Table(Tables, name, $"experiment '{Experiment}'");
}

/// <summary>
/// Results kept under DIR/results, one file per experiment, profile, seed and thread count: everything
/// that changes a figure is in the key. A result is reused only when it came from this very build of the
/// library (and the same profile, seed and threads), so the report, the ledger and the notebooks show one
/// computation and re-running is fast.
/// </summary>
public sealed class ResultStore(string dir)
{
    public string Directory { get; } = Path.Combine(dir, "results");

    /// <summary>Identifies this build of the library: its module version id changes with its code.</summary>
    public static string LibraryVersion { get; } =
        typeof(ResultStore).Assembly.ManifestModule.ModuleVersionId.ToString("N")[..12];

    public string PathFor(string experiment, Profile profile, int seed, int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "a result is computed with at least one thread");
        return Path.Combine(Directory, $"{experiment}.{profile.ToString().ToLowerInvariant()}.seed{seed}.threads{threads}.json");
    }

    /// <summary>The stored result when it came from this build of the library with this profile, seed and
    /// thread count, else null.</summary>
    public StoredResult? TryLoad(string experiment, Profile profile, int seed, int threads, Action<string>? corrupt = null) =>
        TryLoadAnyVersion(experiment, profile, seed, threads, corrupt) is { } s && s.LibraryVersion == LibraryVersion
            && s.Experiment == experiment && s.Profile == profile && s.Seed == seed && s.Threads == threads ? s : null;

    /// <summary>The stored result whatever build made it (the report shows the figures behind an older ledger row).</summary>
    /// <param name="corrupt">Told, naming the file, when the file exists but does not read as this
    /// experiment's result (truncated, damaged, or an older format); null is returned and it is recomputed.</param>
    public StoredResult? TryLoadAnyVersion(string experiment, Profile profile, int seed, int threads, Action<string>? corrupt = null)
    {
        string path = PathFor(experiment, profile, seed, threads);
        if (!File.Exists(path)) return null;
        string? problem = StoredResultCheck.Problem(path, experiment, profile, seed, out var result);
        if (problem is null) return result;
        corrupt?.Invoke($"stored result '{path}' {problem}; recomputing it");
        return null; // never trusted
    }

    /// <summary>The files holding results of <paramref name="experiment"/> at this profile and seed, whatever thread count made them.</summary>
    public IReadOnlyList<string> FilesFor(string experiment, Profile profile, int seed) =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, $"{experiment}.{profile.ToString().ToLowerInvariant()}.seed{seed}.threads*.json").Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The newest readable result of this build at this profile and seed, whatever thread count made it
    /// (a merge keeps each shard's own); null when there is none.</summary>
    public StoredResult? TryLoadAnyThreads(string experiment, Profile profile, int seed) =>
        FilesFor(experiment, profile, seed)
            .Select(path => StoredResultCheck.Problem(path, experiment, profile, seed, out var r) is null ? r : null)
            .OfType<StoredResult>()
            .Where(r => r.LibraryVersion == LibraryVersion)
            .OrderByDescending(r => r.FinishedAt)
            .FirstOrDefault();

    public void Save(StoredResult result) =>
        AtomicFile.WriteAllText(PathFor(result.Experiment, result.Profile, result.Seed, result.Threads), JsonSerializer.Serialize(result, Json.Options));
}
