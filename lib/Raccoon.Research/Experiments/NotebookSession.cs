using System.Globalization;
using Raccoon.Research.Ledger;
using Raccoon.Research.Reporting;
using Raccoon.Research.Runtime;

namespace Raccoon.Research.Experiments;

/// <summary>
/// What a notebook runs with: profile, seed, threads and output folder, set by `notebooks run` and
/// `reproduce` through RACCOON_PROFILE, RACCOON_SEED, RACCOON_THREADS and RACCOON_OUT. Opened in VS
/// Code, where none is set, it uses the command line's defaults (standard, seed 1, every core,
/// artifacts/ of the repository), so a notebook reuses the result `reproduce` stored rather than
/// training again.
/// </summary>
public static class NotebookSession
{
    public const string ProfileVariable = "RACCOON_PROFILE";
    public const string SeedVariable = "RACCOON_SEED";
    public const string ThreadsVariable = "RACCOON_THREADS";
    public const string OutVariable = "RACCOON_OUT";
    public const string DeviceVariable = "RACCOON_DEVICE";
    /// <summary>Set to 1 by `reproduce --merge`: the session only reads stored results and refuses to compute.</summary>
    public const string StoredOnlyVariable = "RACCOON_STORED_ONLY";

    public static Profile Profile => Variable(ProfileVariable) is { } p
        ? Enum.TryParse<Profile>(p, ignoreCase: true, out var profile) && !int.TryParse(p, out _) ? profile
            : throw new ArgumentException($"{ProfileVariable}='{p}' is not a profile: use quick, standard or full")
        : Profile.Standard;

    public static int Seed => Variable(SeedVariable) is { } s
        ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed
            : throw new ArgumentException($"{SeedVariable}='{s}' is not an integer seed")
        : 1;

    public static int Threads => Variable(ThreadsVariable) is { } t
        ? int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1 ? n
            : throw new ArgumentException($"{ThreadsVariable}='{t}' is not a thread count of at least 1")
        : Environment.ProcessorCount;

    /// <summary>RACCOON_DEVICE (cpu or cuda), else the CPU.</summary>
    public static ComputeDevice Device => Variable(DeviceVariable) is { } d ? TorchDevice.Parse(d) : ComputeDevice.Cpu;

    public static string OutDir => Variable(OutVariable) ?? Path.Combine(RepositoryRoot, "artifacts");

    /// <summary>The folder holding Raccoon.Research.sln, found from the working directory (a notebook's
    /// folder) or else from this assembly's location (lib/Raccoon.Research.Cli/bin/).</summary>
    public static string RepositoryRoot =>
        FindRoot(Environment.CurrentDirectory) ?? FindRoot(Path.GetDirectoryName(typeof(NotebookSession).Assembly.Location))
        ?? throw new InvalidOperationException(
            $"no Raccoon.Research.sln above '{Environment.CurrentDirectory}': open the notebook from the repository, or set {OutVariable}");

    public static ExperimentContext Context(IProgress<ExperimentProgress>? progress = null) =>
        new(Profile, Seed, Threads, OutDir, progress, Device: Device);

    /// <summary>RACCOON_STORED_ONLY=1 (a merge's notebooks): read stored results, never compute.</summary>
    public static bool StoredOnly => Variable(StoredOnlyVariable) is { } v
        ? v switch
        {
            "1" or "true" => true,
            "0" or "false" => false,
            _ => throw new ArgumentException($"{StoredOnlyVariable}='{v}' is neither 1 nor 0"),
        }
        : false;

    /// <summary>Runs the named experiment as `reproduce` does, or reuses its stored result from this build, profile and seed;
    /// with <see cref="StoredOnly"/>, only reads it (<see cref="ReadStored"/>).</summary>
    public static StoredResult Run(string experiment) => StoredOnly
        ? ReadStored(experiment, OutDir, Profile, Seed)
        : ExperimentRunner.Run(ExperimentRegistry.Get(experiment), Context());

    /// <summary>The stored result of this build, profile and seed in <paramref name="outDir"/> (any thread count); when there
    /// is none, an error saying that this session computes nothing and what to do instead.</summary>
    public static StoredResult ReadStored(string experiment, string outDir, Profile profile, int seed)
    {
        ExperimentRegistry.Get(experiment); // an unknown name is named as such
        return new ResultStore(outDir).TryLoadAnyThreads(experiment, profile, seed) ?? throw new InvalidOperationException(
            $"{StoredOnlyVariable}=1 (a merge computes nothing): {Path.Combine(outDir, "results")} holds no " +
            $"{profile.ToString().ToLowerInvariant()} seed-{seed} result of '{experiment}' from this build; put its claims in the shards' " +
            $"selection, or run this notebook without {StoredOnlyVariable} to compute it");
    }

    /// <summary>The ledger of the last `reproduce` into <see cref="OutDir"/>; every claim as not-run when there is none yet.</summary>
    public static LedgerView Ledger() =>
        new(LedgerFiles.Read(OutDir) ?? ClaimCatalog.All.Select(LedgerRow.NotRun).ToList(), OutDir);

    /// <summary>One line on what this session runs with, for a notebook's first output.</summary>
    public static string Describe() =>
        $"profile {Profile.ToString().ToLowerInvariant()}, seed {Seed}, {Threads} threads, results in {OutDir}";

    static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim() : null;

    static string? FindRoot(string? start)
    {
        for (var dir = start is null ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Raccoon.Research.sln"))) return dir.FullName;
        return null;
    }
}
