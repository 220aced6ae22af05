using Raccoon.Research.Ledger;
using Raccoon.Research.Views;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Experiments;

/// <summary>How big a run is: quick (CI, seconds to a minute each), standard (the default: the whole
/// reproduction in at most 30 minutes on 2 cores), full (the documents' own sizes), reference (each training
/// experiment at the smallest size at which its models converge by its claims' plateau tests, trained to the plateau
/// or a cap; the other experiments at their standard sizes). Reference comes last so stored numbers keep their meaning;
/// its rank (between standard and full) is <see cref="Ledger.VerdictRule.Profiles"/>'s.</summary>
public enum Profile { Quick, Standard, Full, Reference }

/// <summary>
/// An experiment's sizes, one typed record per profile, declared once at the top of its file (as nanoGPT keeps one
/// config per model size); the experiment and the cost plan (<see cref="Planning.RunPlan"/>) read the same record.
/// </summary>
/// <remarks><paramref name="Reference"/>: a training experiment's sizes at convergence (<see cref="Profile.Reference"/>);
/// an experiment without one runs its standard sizes there.</remarks>
public sealed record ProfileSizes<T>(T Quick, T Standard, T Full, T? Reference = default)
{
    /// <summary>The sizes of <paramref name="profile"/>.</summary>
    public T For(Profile profile) => profile switch
    {
        Profile.Quick => Quick,
        Profile.Standard => Standard,
        Profile.Full => Full,
        Profile.Reference => Reference is null ? Standard : Reference,
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "not a profile"),
    };
}

/// <summary>Progress of a long experiment: what it is doing and, where known, the fraction done.</summary>
public sealed record ExperimentProgress(string Experiment, string Status, double? Fraction);

/// <summary>Everything an experiment may depend on. Seeds are explicit: the same seed gives the same non-timing figures.</summary>
/// <param name="KeepTraining">Keep the training phases' checkpoints once the result is stored (by default they are removed),
/// so the trained models can be exported (<c>raccoon export --model</c>).</param>
/// <param name="TrainingRoot">Where the training phases keep their resume files, when not in <paramref name="OutDir"/> (see <see cref="TrainingFolder"/>).</param>
/// <param name="Plateaus">The plateau tests (claims.json's "convergence") of the claims this run serves, by claim ID,
/// passed down from the reproduction layer: a training loop stops at the first evaluation where its claims' tests all
/// pass on its trace so far (<see cref="StopFor"/>), else at its profile's cap. Null or empty: every loop runs to its cap.</param>
public sealed record ExperimentContext(
    Profile Profile, int Seed, int Threads, string OutDir,
    IProgress<ExperimentProgress>? Progress = null, CancellationToken Cancel = default,
    ComputeDevice Device = ComputeDevice.Cpu, bool KeepTraining = false,
    IReadOnlyDictionary<string, ConvergenceRule>? Plateaus = null, string? TrainingRoot = null)
{
    /// <summary>The folder whose training/ holds the training phases' resume files: <see cref="TrainingRoot"/> where given (one
    /// folder the tasks of a job array share, so units trained by some resume in the shard that runs their experiment), else
    /// <see cref="OutDir"/>.</summary>
    public string TrainingFolder => TrainingRoot ?? OutDir;

    /// <summary>Where a training loop serving <paramref name="claims"/> stops: when every one of their plateau tests
    /// given in <see cref="Plateaus"/> passes (none given: never, the loop runs to its cap).</summary>
    public PlateauStop StopFor(params string[] claims) =>
        new([.. claims.Where(c => Plateaus?.ContainsKey(c) == true).Select(c => Plateaus![c])]);

    public void Report(string experiment, string status, double? fraction = null) =>
        Progress?.Report(new ExperimentProgress(experiment, status, fraction));

    /// <summary>Where one training phase of this run checkpoints, so a run stopped at any point (a crash, a kill, a
    /// requeued job) resumes that phase where it stopped: one file per unit (build, seed) under
    /// <see cref="TrainingDirectory"/>, named by profile, seed and threads.</summary>
    public Training.ResumeFile TrainingResume(string experiment, string unit) =>
        new(Path.Combine(TrainingDirectory(TrainingFolder, experiment), $"{unit}.{Profile.ToString().ToLowerInvariant()}.seed{Seed}.threads{Threads}.ckpt"));

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

    /// <summary>The sizes record it runs at <paramref name="profile"/> (its <see cref="ProfileSizes{T}"/>), where it declares one
    /// whole: a committed reference result from other sizes is refused (<see cref="ReferenceResults"/>). Null: not declared here.</summary>
    object? SizesAt(Profile profile) => null;

    /// <summary>The trainings of this experiment at <paramref name="profile"/> that a node may run alone
    /// (<see cref="TrainUnit"/>), by the unit names of their resume files (<see cref="ExperimentContext.TrainingResume"/>), in
    /// the order <see cref="Run"/> trains them. Empty: the experiment runs as one unit.</summary>
    IReadOnlyList<string> TrainingUnits(Profile profile) => [];

    /// <summary>Trains the one unit <paramref name="unit"/> (one of <see cref="TrainingUnits"/>) to its end, into its resume
    /// file, exactly as <see cref="Run"/> would train it there: a later <see cref="Run"/> in the same output folder and build
    /// resumes it finished and computes the same figures.</summary>
    void TrainUnit(ExperimentContext context, string unit) =>
        throw new NotSupportedException($"experiment '{Name}' runs as one unit: it has no training unit '{unit}' to run alone");
}

/// <summary>Where a training unit stands among its experiment's units.</summary>
public static class TrainingUnitLookup
{
    /// <summary>The position of <paramref name="unit"/> in <paramref name="experiment"/>'s <see cref="IExperiment.TrainingUnits"/>
    /// at <paramref name="profile"/>; a unit it does not have is an error listing the ones it has (or saying it has none).</summary>
    public static int UnitIndex(this IExperiment experiment, Profile profile, string unit)
    {
        var units = experiment.TrainingUnits(profile);
        for (int i = 0; i < units.Count; i++)
            if (units[i] == unit) return i;
        throw new ArgumentException(units.Count == 0
            ? $"experiment '{experiment.Name}' runs as one unit: it has no training unit '{unit}' to run alone"
            : $"experiment '{experiment.Name}' has no training unit '{unit}' at {profile.ToString().ToLowerInvariant()}; its units: {string.Join(", ", units)}");
    }
}
