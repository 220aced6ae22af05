using Raccoon.Research.Ledger;
using Raccoon.Research.Views;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Experiments;

/// <summary>How big a run is: quick (CI, seconds to a minute each), standard (the default: the whole
/// reproduction in at most 15 minutes on 2 cores), full (the documents' own sizes).</summary>
public enum Profile { Quick, Standard, Full }

/// <summary>
/// An experiment's sizes, one typed record per profile, declared once at the top of its file (as nanoGPT keeps one
/// config per model size); the experiment and the cost plan (<see cref="Planning.RunPlan"/>) read the same record.
/// </summary>
public sealed record ProfileSizes<T>(T Quick, T Standard, T Full)
{
    /// <summary>The sizes of <paramref name="profile"/>.</summary>
    public T For(Profile profile) => profile switch
    {
        Profile.Quick => Quick,
        Profile.Standard => Standard,
        Profile.Full => Full,
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "not a profile"),
    };
}

/// <summary>Progress of a long experiment: what it is doing and, where known, the fraction done.</summary>
public sealed record ExperimentProgress(string Experiment, string Status, double? Fraction);

/// <summary>Everything an experiment may depend on. Seeds are explicit: the same seed gives the same non-timing figures.</summary>
/// <param name="KeepTraining">Keep the training phases' checkpoints once the result is stored (by default they are removed),
/// so the trained models can be exported (<c>raccoon export --model</c>).</param>
public sealed record ExperimentContext(
    Profile Profile, int Seed, int Threads, string OutDir,
    IProgress<ExperimentProgress>? Progress = null, CancellationToken Cancel = default,
    ComputeDevice Device = ComputeDevice.Cpu, bool KeepTraining = false)
{
    public void Report(string experiment, string status, double? fraction = null) =>
        Progress?.Report(new ExperimentProgress(experiment, status, fraction));

    /// <summary>Where one training phase of this run checkpoints, so a run stopped at any point (a crash, a kill, a
    /// requeued job) resumes that phase where it stopped: one file per unit (build, seed) under
    /// <see cref="TrainingDirectory"/>, named by profile, seed and threads.</summary>
    public Training.ResumeFile TrainingResume(string experiment, string unit) =>
        new(Path.Combine(TrainingDirectory(OutDir, experiment), $"{unit}.{Profile.ToString().ToLowerInvariant()}.seed{Seed}.threads{Threads}.ckpt"));

    /// <summary>An experiment's training checkpoints in <paramref name="outDir"/>: per build of the library, since
    /// another build's code may train differently.</summary>
    public static string TrainingDirectory(string outDir, string experiment) =>
        Path.Combine(outDir, "training", ResultStore.LibraryVersion, experiment);
}

/// <summary>What an experiment returns: one measurement per claim it answers, and the figures and tables behind them.</summary>
public sealed record ExperimentResult(
    IReadOnlyList<Measurement> Measurements,
    IReadOnlyList<Figure>? Figures = null,
    IReadOnlyList<Table>? Tables = null)
{
    public IReadOnlyList<Figure> FiguresOrEmpty => Figures ?? [];
    public IReadOnlyList<Table> TablesOrEmpty => Tables ?? [];

    /// <summary>The figure named <paramref name="name"/>; an unknown name throws, listing the known ones.</summary>
    public Figure Figure(string name) => ResultNames.Figure(FiguresOrEmpty, name, "this result");

    /// <summary>The table named <paramref name="name"/>; an unknown name throws, listing the known ones.</summary>
    public Table Table(string name) => ResultNames.Table(TablesOrEmpty, name, "this result");
}

/// <summary>Figures and tables reached by their stable names, never by position.</summary>
public static class ResultNames
{
    public static Figure Figure(IReadOnlyList<Figure> figures, string name, string owner) =>
        figures.FirstOrDefault(f => f.Key == name)
        ?? throw new KeyNotFoundException($"{owner} has no figure '{name}'; its figures: {Known(figures.Select(f => f.Key))}");

    public static Table Table(IReadOnlyList<Table> tables, string name, string owner) =>
        tables.FirstOrDefault(t => t.Key == name)
        ?? throw new KeyNotFoundException($"{owner} has no table '{name}'; its tables: {Known(tables.Select(t => t.Key))}");

    static string Known(IEnumerable<string?> keys)
    {
        var list = keys.OfType<string>().ToList();
        return list.Count == 0 ? "(none)" : string.Join(", ", list);
    }
}

/// <summary>
/// One reproducible measurement that answers one or more claims. The command line, the tests and the
/// notebooks all run it through <see cref="ExperimentRunner"/>, so they never disagree.
/// </summary>
public interface IExperiment
{
    /// <summary>Stable kebab-case name, used for cached results ("log-classifiers-structure").</summary>
    string Name { get; }
    string Title { get; }
    /// <summary>The claim IDs this experiment answers; it returns a measurement for each.</summary>
    IReadOnlyList<string> Claims { get; }
    ExperimentResult Run(ExperimentContext context);
}
