using System.Globalization;
using Raccoon.Research.Experiments;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Views;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Reporting;

/// <summary>
/// What a notebook runs with: profile, seed, threads, output folder, whether it may compute and which claims the run
/// selected. A notebook's first cell calls <see cref="Start"/>, where any setting may be given
/// (<c>NotebookSession.Start(profile: Profile.Quick, seed: 2, threads: 2)</c>); a setting given there wins over its
/// environment variable (RACCOON_PROFILE, RACCOON_SEED, RACCOON_THREADS, RACCOON_OUT, RACCOON_STORED_ONLY,
/// RACCOON_ONLY, set by `notebooks run` and `reproduce`), which wins over the command line's defaults (standard, seed
/// 1, every core, artifacts/ of the repository), so a notebook opened in VS Code reuses the result `reproduce` stored
/// rather than training again. With stored-only set, a notebook never computes: an experiment without a stored result
/// for this build, profile, seed and thread count is an error saying so. With a selection (`reproduce --only`), a
/// notebook never computes either: a selected experiment must be stored (the run computed it), and one neither
/// selected nor stored shows that it was not run in place of its tables, figures and claims.
/// </summary>
public static class NotebookSession
{
    public const string ProfileVariable = "RACCOON_PROFILE";
    public const string SeedVariable = "RACCOON_SEED";
    public const string ThreadsVariable = "RACCOON_THREADS";
    public const string OutVariable = "RACCOON_OUT";
    public const string DeviceVariable = "RACCOON_DEVICE";
    public const string StoredOnlyVariable = "RACCOON_STORED_ONLY";
    public const string OnlyVariable = "RACCOON_ONLY";

    static Profile? _profile;
    static int? _seed, _threads;
    static bool? _storedOnly;
    static string? _outDir;
    static IReadOnlyList<string>? _only;

    /// <summary>
    /// A notebook's first call: takes the settings given (each one null keeps its environment variable or default),
    /// loads libtorch with the session's thread count and says what the session runs with. Call it again to change a setting.
    /// </summary>
    public static string Start(Profile? profile = null, int? seed = null, int? threads = null, bool? storedOnly = null, string? outDir = null,
        IReadOnlyList<string>? only = null)
    {
        Use(profile, seed, threads, storedOnly, outDir, only);
        TorchRuntime.Initialize(Threads);
        return Describe();
    }

    /// <summary>The settings of <see cref="Start"/> without loading libtorch (each null: its variable or default).</summary>
    public static void Use(Profile? profile = null, int? seed = null, int? threads = null, bool? storedOnly = null, string? outDir = null,
        IReadOnlyList<string>? only = null)
    {
        if (threads is < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1");
        if (only is not null) ClaimCatalog.Select(only); // an unknown claim is named now, not at the first Run
        (_profile, _seed, _threads, _storedOnly, _outDir, _only) = (profile, seed, threads, storedOnly, outDir, only?.ToList());
    }

    /// <summary>
    /// The claim IDs or prefixes the run selected (`reproduce --only`, RACCOON_ONLY: separated by spaces or commas);
    /// empty for every claim. With a selection the session never computes, and an experiment neither selected nor
    /// stored is shown as not run.
    /// </summary>
    public static IReadOnlyList<string> Only
    {
        get
        {
            if (_only is not null) return _only;
            if (Variable(OnlyVariable) is not { } v) return [];
            var only = v.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries);
            try
            {
                ClaimCatalog.Select(only);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{OnlyVariable}='{v}': {e.Message}", e);
            }
            return only;
        }
    }

    /// <summary>Whether <paramref name="experiment"/> answers a claim the run selected (every one without a selection).</summary>
    public static bool Selected(string experiment)
    {
        var only = Only;
        return only.Count == 0 || ExperimentRegistry.For(ClaimCatalog.Select(only)).Any(e => e.Name == experiment);
    }

    /// <summary>Whether a missing result is computed here: not when stored-only, nor in a run of selected claims.</summary>
    static bool Computes => !StoredOnly && Only.Count == 0;

    /// <summary>True when the session must not compute (RACCOON_STORED_ONLY=1 or true, or Start(storedOnly: true)).</summary>
    public static bool StoredOnly => _storedOnly ?? Variable(StoredOnlyVariable) switch
    {
        null => false,
        var v when v is "1" || v.Equals("true", StringComparison.OrdinalIgnoreCase) || v.Equals("yes", StringComparison.OrdinalIgnoreCase) => true,
        var v when v is "0" || v.Equals("false", StringComparison.OrdinalIgnoreCase) || v.Equals("no", StringComparison.OrdinalIgnoreCase) => false,
        var v => throw new ArgumentException($"{StoredOnlyVariable}='{v}' is not 1/0, true/false or yes/no"),
    };

    public static Profile Profile => _profile ?? (Variable(ProfileVariable) is { } p
        ? Enum.TryParse<Profile>(p, ignoreCase: true, out var profile) && !int.TryParse(p, out _) ? profile
            : throw new ArgumentException($"{ProfileVariable}='{p}' is not a profile: use quick, standard, full or reference")
        : Profile.Standard);

    public static int Seed => _seed ?? (Variable(SeedVariable) is { } s
        ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed
            : throw new ArgumentException($"{SeedVariable}='{s}' is not an integer seed")
        : 1);

    public static int Threads => _threads ?? (Variable(ThreadsVariable) is { } t
        ? int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1 ? n
            : throw new ArgumentException($"{ThreadsVariable}='{t}' is not a thread count of at least 1")
        : Environment.ProcessorCount);

    /// <summary>RACCOON_DEVICE (cpu or cuda), else the CPU.</summary>
    public static ComputeDevice Device => Variable(DeviceVariable) is { } d ? TorchDevice.Parse(d) : ComputeDevice.Cpu;

    public static string OutDir => _outDir ?? Variable(OutVariable) ?? Path.Combine(RepositoryRoot, "artifacts");

    /// <summary>The repository this session runs in (<see cref="RepositoryFolder.Root"/>).</summary>
    public static string RepositoryRoot => RepositoryFolder.Root;

    public static ExperimentContext Context(IProgress<ExperimentProgress>? progress = null) =>
        new(Profile, Seed, Threads, OutDir, progress, Device: Device);

    /// <summary>
    /// Runs the named experiment as `reproduce` does, or reuses its stored result from this build, profile, seed and
    /// thread count. When it has to compute it says so first (why, and about how long from the measured costs), then
    /// prints the experiment's progress; with <see cref="StoredOnly"/> it never computes. In a run of selected claims
    /// (<see cref="Only"/>) it never computes either: an experiment neither selected nor stored comes back not run
    /// (<see cref="StoredResult.NotRun"/>), its tables, figures and claims saying so; a selected one missing is an error.
    /// </summary>
    public static StoredResult Run(string experiment)
    {
        var e = ExperimentRegistry.Get(experiment);
        var store = new ResultStore(OutDir);
        if (store.TryLoad(e.Name, Profile, Seed, Threads) is { } stored) return stored;
        // A merge keeps each shard's own thread count (its node's cores): a session that does not compute takes any of this build.
        if (!Computes && store.TryLoadAnyThreads(e.Name, Profile, Seed) is { } merged) return merged;
        if (!Selected(e.Name)) return StoredResult.NotRunHere(e.Name, Profile, Seed, Threads, NotRunNotice(e.Name));
        string why = store.TryLoadAnyVersion(e.Name, Profile, Seed, Threads) is { } old
            ? $"the stored result is from another build of the library ({old.LibraryVersion}, this build is {ResultStore.LibraryVersion}): a rebuild invalidates it"
            : $"no stored result in {store.Directory} for profile {ProfileName}, seed {Seed}, {Threads} threads";
        if (StoredOnly)
            throw new InvalidOperationException($"{e.Name}: {why}, and the session is stored-only ({StoredOnlyVariable}): run `reproduce` with the same settings first, or Start(storedOnly: false)");
        if (!Computes)
            throw new InvalidOperationException($"{e.Name}: {why}, though the run selected it ({OnlyVariable}: {string.Join(" ", Only)}) and a run of selected claims computes nothing in its notebooks: did the experiment crash in `reproduce`?");
        Console.WriteLine($"{e.Name}: computing, {why}; it took about {Estimate(e.Name)} on the 2-core development machine");
        var progress = new NotebookProgress(e.Name);
        var result = ExperimentRunner.Run(e, Context(progress));
        progress.Finish(string.Create(CultureInfo.InvariantCulture, $"{e.Name}: done in {result.Seconds:0} s, stored in {store.Directory}"));
        return result;
    }

    /// <summary>
    /// What running <paramref name="experiments"/> takes now: for each, whether its result is stored for this build,
    /// profile, seed and thread count, and the seconds it took on the development machine at this profile
    /// (Experiments/experiment-costs.json) where it is not.
    /// </summary>
    public static Table Plan(params string[] experiments)
    {
        var store = new ResultStore(OutDir);
        var rows = experiments.Select(name =>
        {
            var e = ExperimentRegistry.Get(name);
            string state = store.TryLoad(e.Name, Profile, Seed, Threads) is not null
                || !Computes && store.TryLoadAnyThreads(e.Name, Profile, Seed) is not null ? "stored"
                : !Selected(e.Name) ? "not selected: not run"
                : store.TryLoadAnyVersion(e.Name, Profile, Seed, Threads) is not null ? "stored by another build: recomputed"
                : "not stored";
            string cost = state == "stored" ? "0" : Sharding.Cost(e.Name, Profile).ToString("0", CultureInfo.InvariantCulture);
            return (IReadOnlyList<string>)[e.Name, string.Join(" ", e.Claims), state, cost];
        }).ToList();
        return new Table($"Experiments of this notebook at profile {ProfileName}, seed {Seed}, {Threads} threads{(StoredOnly ? " (stored only)" : "")}{OnlyNote}",
            ["experiment", "claims", "result", "seconds to compute"], rows).Named("plan");
    }

    /// <summary>What an experiment neither selected nor stored shows in place of its tables, figures and claims.</summary>
    static string NotRunNotice(string experiment) =>
        $"{experiment}: not run in this reproduction (it selected only {string.Join(" ", Only)}): run `reproduce` without --only, or open the notebook to compute it";

    static string OnlyNote => Only.Count == 0 ? "" : $" (only {string.Join(" ", Only)} selected: nothing is computed)";

    static string ProfileName => Profile.ToString().ToLowerInvariant();

    static string Estimate(string experiment)
    {
        double s = Sharding.Cost(experiment, Profile);
        return s >= 90 ? $"{s / 60:0} min" : string.Create(CultureInfo.InvariantCulture, $"{s:0} s");
    }

    /// <summary>The ledger of the last `reproduce` into <see cref="OutDir"/>; every claim as not-run when there is none yet.</summary>
    public static LedgerView Ledger() =>
        new(LedgerFiles.Read(OutDir) ?? ClaimCatalog.All.Select(LedgerRow.NotRun).ToList(), OutDir);

    /// <summary>One line on what this session runs with, for a notebook's first output.</summary>
    public static string Describe() =>
        $"profile {ProfileName}, seed {Seed}, {Threads} threads, results in {OutDir}{(StoredOnly ? " (stored only: nothing is computed)" : OnlyNote)}";

    static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim() : null;
}

/// <summary>
/// An experiment's progress as a notebook cell shows it: one line that updates in place in the kernel (the kernel's
/// display(...).Update, see <see cref="LiveDisplay"/>; at most once a second), or, outside
/// a kernel cell, a printed line at most every 5 seconds for the same status. <see cref="Finish"/> writes the last line.
/// </summary>
public sealed class NotebookProgress : IProgress<ExperimentProgress>
{
    readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    readonly LiveDisplay? _live;
    readonly object _gate = new();
    string? _status;
    double _last = double.NegativeInfinity;

    public NotebookProgress(string experiment)
    {
        _live = LiveDisplay.TryShow($"{experiment}: starting");
    }

    /// <summary>Whether the progress updates one output in place (inside a kernel cell) rather than printing lines.</summary>
    public bool InPlace => _live is not null;

    public void Report(ExperimentProgress p)
    {
        lock (_gate)
        {
            double now = _clock.Elapsed.TotalSeconds;
            // In place: at most one update a second whatever the status (dotnet-repl keeps every update as an output).
            if (InPlace ? now - _last < 1 : p.Status == _status && now - _last < 5) return;
            (_status, _last) = (p.Status, now);
            string fraction = p.Fraction is double f ? string.Create(CultureInfo.InvariantCulture, $" ({100 * f:0}%)") : "";
            string line = string.Create(CultureInfo.InvariantCulture, $"{now,5:0} s  {p.Experiment}: {p.Status}{fraction}");
            if (_live is not null) _live.Update(line);
            else Console.WriteLine("  " + line);
        }
    }

    /// <summary>The last line: replaces the progress in place, or is printed.</summary>
    public void Finish(string line)
    {
        lock (_gate)
        {
            if (_live is not null) _live.Update(line);
            else Console.WriteLine(line);
        }
    }
}
