using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;

namespace Raccoon.Research.Experiments;

/// <summary>One share of a sharded reproduction: shard <see cref="Index"/> (from 0) of <see cref="Count"/>, as a job array numbers its tasks.</summary>
public sealed record Shard(int Index, int Count)
{
    /// <summary>"K/N" with 0 &lt;= K &lt; N (Slurm's SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT); anything else names the problem.</summary>
    public static Shard Parse(string? text)
    {
        string t = text?.Trim() ?? "";
        var parts = t.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            throw new ArgumentException($"--shard '{text}' is not K/N: give the shard's index from 0 and the number of shards, e.g. 0/4");
        if (n < 1) throw new ArgumentException($"--shard '{text}': the number of shards must be at least 1");
        if (k >= n) throw new ArgumentException($"--shard '{text}': the index must be below the number of shards ({n}); shards are numbered 0 to {n - 1}");
        return new Shard(k, n);
    }

    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>
/// shard.json, written by a shard before its first experiment: shard <see cref="Index"/> of <see cref="Count"/>,
/// the run's profile, seed and claim selection (<see cref="Only"/> as given, <see cref="Claims"/> resolved), the
/// experiments of this shard and the build. The merge takes its profile, seed and selection from these.
/// </summary>
public sealed record ShardManifest(int Index, int Count, Profile Profile, int Seed, IReadOnlyList<string> Only,
    IReadOnlyList<string> Claims, IReadOnlyList<string> Experiments, string LibraryVersion);

/// <summary>
/// Splits the selected experiments over the shards of a job array and merges the shards' stored results.
/// The split depends only on the experiments selected, the shard count and the cost table embedded in the
/// library (seconds each experiment took on the 2-core development machine, per profile), so every shard
/// computes the same split without talking to the others: longest first, each to the least loaded shard
/// (ties to the lower shard). An experiment the table lacks is estimated at the table's median.
/// </summary>
public static class Sharding
{
    static readonly Lazy<IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>>> Table = new(LoadCosts);

    /// <summary>The recorded (or, where none is recorded, estimated) seconds of <paramref name="experiment"/> at <paramref name="profile"/>.</summary>
    public static double Cost(string experiment, Profile profile)
    {
        // The full profile has no recorded costs (it does not fit the machine): the standard ones order it.
        // A profile with no recorded seconds is ordered by the quick ones (the profiles scale the same experiments).
        string key = profile == Profile.Quick ? "quick" : "standard";
        var costs = Table.Value[key].Count > 0 ? Table.Value[key] : Table.Value["quick"];
        if (costs.TryGetValue(experiment, out double s)) return s;
        if (costs.Count == 0) return 60;
        var sorted = costs.Values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>The seconds recorded for <paramref name="experiment"/> at <paramref name="profile"/> on the development machine, or
    /// null where none are (the full profile has none).</summary>
    public static double? Recorded(string experiment, Profile profile) =>
        profile is Profile.Quick or Profile.Standard && Table.Value[profile == Profile.Quick ? "quick" : "standard"].TryGetValue(experiment, out double s) ? s : null;

    /// <summary>The experiments of every shard, each list in registry order.</summary>
    public static IReadOnlyList<IReadOnlyList<IExperiment>> Partition(IReadOnlyList<IExperiment> experiments, int shards, Profile profile)
    {
        if (shards < 1) throw new ArgumentOutOfRangeException(nameof(shards), shards, "at least one shard");
        var order = experiments.Select((e, i) => (e, i)).ToList();
        var loads = new double[shards];
        var assigned = Enumerable.Range(0, shards).Select(_ => new List<(IExperiment E, int I)>()).ToList();
        foreach (var (e, i) in order.OrderByDescending(x => Cost(x.e.Name, profile)).ThenBy(x => x.i))
        {
            int target = 0;
            for (int s = 1; s < shards; s++)
                if (loads[s] < loads[target]) target = s;
            loads[target] += Cost(e.Name, profile);
            assigned[target].Add((e, i));
        }
        return assigned.Select(a => (IReadOnlyList<IExperiment>)a.OrderBy(x => x.I).Select(x => x.E).ToList()).ToList();
    }

    /// <summary>The experiments shard <paramref name="shard"/> runs.</summary>
    public static IReadOnlyList<IExperiment> Select(IReadOnlyList<IExperiment> experiments, Shard shard, Profile profile) =>
        Partition(experiments, shard.Count, profile)[shard.Index];

    /// <summary>The file a shard writes into its --out before its first experiment: what it runs, for the merge.</summary>
    public const string ManifestName = "shard.json";

    /// <summary>Writes <see cref="ManifestName"/> into the shard's output folder: its place in the array, the profile,
    /// seed and claim selection of the whole run, and the experiments this shard runs.</summary>
    public static ShardManifest WriteManifest(ReproductionOptions options, IReadOnlyList<IExperiment> experiments)
    {
        var shard = options.Shard ?? throw new ArgumentException("only a shard writes a shard manifest");
        var manifest = new ShardManifest(shard.Index, shard.Count, options.Profile, options.Seed, options.Only,
            ClaimCatalog.Select(options.Only).Select(c => c.Id).ToList(), experiments.Select(e => e.Name).ToList(),
            ResultStore.LibraryVersion);
        AtomicFile.WriteAllText(Path.Combine(options.OutDir, ManifestName), JsonSerializer.Serialize(manifest, Json.Options));
        return manifest;
    }

    /// <summary>
    /// The manifests of the shard folders to merge, checked to belong to one run: every folder holds a readable
    /// shard.json, and all agree on the profile, seed, claim selection and shard count (a mismatch is named with
    /// the two folders that disagree). Bad input throws <see cref="ArgumentException"/>.
    /// </summary>
    public static IReadOnlyList<(string Dir, ShardManifest Manifest)> ReadManifests(IReadOnlyList<string> shardDirs)
    {
        if (shardDirs.Count == 0) throw new ArgumentException("--merge needs at least one shard output folder");
        var read = new List<(string Dir, ShardManifest Manifest)>();
        foreach (var d in shardDirs)
        {
            if (File.Exists(d)) throw new ArgumentException($"--merge '{d}' is a file, not a shard's output folder");
            if (!Directory.Exists(d)) throw new ArgumentException($"--merge '{d}': no such folder");
            string path = Path.Combine(d, ManifestName);
            if (!File.Exists(path))
                throw new ArgumentException($"--merge '{d}' holds no {ManifestName}: is it the --out of a `reproduce --shard` run (of this version)?");
            ShardManifest? m;
            try
            {
                m = JsonSerializer.Deserialize<ShardManifest>(File.ReadAllText(path), Json.Options);
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"--merge '{d}': its {ManifestName} does not read ({e.Message}): rerun that shard");
            }
            if (m is null || m.Only is null || m.Claims is null || m.Experiments is null || m.Count < 1 || m.Index < 0 || m.Index >= m.Count)
                throw new ArgumentException($"--merge '{d}': its {ManifestName} is incomplete: rerun that shard");
            read.Add((d, m));
        }
        var (firstDir, first) = read[0];
        foreach (var (dir, m) in read.Skip(1))
        {
            string? what =
                m.Profile != first.Profile ? $"the profile: '{firstDir}' ran {Name(first.Profile)}, '{dir}' ran {Name(m.Profile)}"
                : m.Seed != first.Seed ? $"the seed: '{firstDir}' ran seed {first.Seed}, '{dir}' ran seed {m.Seed}"
                : !m.Claims.SequenceEqual(first.Claims) ? $"the claims: '{firstDir}' ran {Selection(first)}, '{dir}' ran {Selection(m)}"
                : m.Count != first.Count ? $"the number of shards: '{firstDir}' is shard {first.Index}/{first.Count}, '{dir}' is shard {m.Index}/{m.Count}"
                : null;
            if (what is not null) throw new ArgumentException($"--merge: the shards are not of one run, they differ in {what}");
        }
        return read;
    }

    static string Name(Profile p) => p.ToString().ToLowerInvariant();

    internal static string Selection(ShardManifest m) => m.Only.Count == 0 ? "every claim" : string.Join(' ', m.Only);

    /// <summary>experiment-costs.json: where and when the seconds were recorded, and the seconds per experiment of each profile.</summary>
    sealed record CostTable(string Recorded, Dictionary<string, double> Quick, Dictionary<string, double> Standard);

    static IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> LoadCosts()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Raccoon.Research.Experiments.experiment-costs.json")
            ?? throw new InvalidOperationException("experiment-costs.json is not embedded in the library");
        var table = JsonSerializer.Deserialize<CostTable>(stream, Json.Options)
            ?? throw new InvalidDataException("experiment-costs.json is empty");
        return new Dictionary<string, IReadOnlyDictionary<string, double>>
        {
            ["quick"] = table.Quick ?? [],
            ["standard"] = table.Standard ?? [],
        };
    }
}
