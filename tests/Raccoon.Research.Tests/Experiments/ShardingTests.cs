using System.Globalization;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Experiments;

/// <summary>The split of a reproduction over a job array's shards: every experiment exactly once, the same split in every shard.</summary>
public class ShardingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(20)]
    public void Every_experiment_goes_to_exactly_one_shard(int shards)
    {
        var all = ExperimentRegistry.All;
        var split = Sharding.Partition(all, shards, Profile.Quick);
        Assert.Equal(shards, split.Count);
        Assert.Equal(all.Select(e => e.Name).Order(), split.SelectMany(s => s).Select(e => e.Name).Order());
        // Each share keeps registry order, so a shard runs its experiments as an unsharded run would.
        foreach (var share in split)
            Assert.Equal(share.Select(e => e.Name), all.Where(share.Contains).Select(e => e.Name));
    }

    [Fact]
    public void The_split_is_the_same_every_time_and_from_every_shard()
    {
        var all = ExperimentRegistry.All;
        var first = Sharding.Partition(all, 3, Profile.Standard).Select(s => s.Select(e => e.Name).ToList()).ToList();
        var again = Sharding.Partition(all.ToList(), 3, Profile.Standard).Select(s => s.Select(e => e.Name).ToList()).ToList();
        Assert.Equal(first, again);
        for (int k = 0; k < 3; k++)
            Assert.Equal(first[k], Sharding.Select(all, new Shard(k, 3), Profile.Standard).Select(e => e.Name));
    }

    [Fact]
    public void The_split_balances_cost_longest_first()
    {
        var all = ExperimentRegistry.All;
        var split = Sharding.Partition(all, 2, Profile.Quick);
        double Load(IReadOnlyList<IExperiment> s) => s.Sum(e => Sharding.Cost(e.Name, Profile.Quick));
        // The two costliest experiments never share a shard when there are two shards.
        var costliest = all.OrderByDescending(e => Sharding.Cost(e.Name, Profile.Quick)).Take(2).ToList();
        Assert.NotEqual(split.Single(s => s.Contains(costliest[0])), split.Single(s => s.Contains(costliest[1])));
        // Longest-processing-time bound: no shard carries more than the mean load plus its largest experiment.
        double mean = all.Sum(e => Sharding.Cost(e.Name, Profile.Quick)) / 2;
        Assert.All(split, s => Assert.True(Load(s) <= mean + s.Max(e => Sharding.Cost(e.Name, Profile.Quick)) + 1e-9));
    }

    [Fact]
    public void An_experiment_without_a_recorded_cost_is_estimated_not_refused()
    {
        double c = Sharding.Cost("no-such-experiment", Profile.Quick);
        Assert.True(c > 0);
        Assert.True(Sharding.Cost("language-models-parameters", Profile.Quick) < Sharding.Cost("log-classifiers-training", Profile.Quick));
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("3/4", 3, 4)]
    [InlineData(" 1/2 ", 1, 2)]
    public void A_shard_reads_as_index_over_count(string text, int k, int n) => Assert.Equal(new Shard(k, n), Shard.Parse(text));

    [Fact]
    public void Only_selected_claims_experiments_are_split()
    {
        var chosen = ExperimentRegistry.For(ClaimCatalog.Select(["H4-01", "R0-01"]));
        var split = Sharding.Partition(chosen, 2, Profile.Quick);
        Assert.Equal(["language-models-parameters", "log-classifiers-structure"], split.SelectMany(s => s).Select(e => e.Name).Order());
        Assert.All(split, s => Assert.Single(s));
    }

    static string ShardDir(string root, int k, ReproductionOptions options)
    {
        string dir = Path.Combine(root, $"shard-{k}");
        Directory.CreateDirectory(dir);
        Sharding.WriteManifest(options with { OutDir = dir, Shard = new Shard(k, 2) }, []);
        return dir;
    }

    [Theory]
    [InlineData("profile", "differ in the profile: '{0}' ran quick, '{1}' ran standard")]
    [InlineData("seed", "differ in the seed: '{0}' ran seed 1, '{1}' ran seed 2")]
    [InlineData("claims", "differ in the claims: '{0}' ran H4-01, '{1}' ran R0")]
    public void Shards_of_different_runs_are_not_merged_and_the_difference_is_named(string what, string message)
    {
        string root = Repo.TempDir("manifests");
        var run = new ReproductionOptions(["H4-01"], Profile.Quick, "", 2, 1);
        string a = ShardDir(root, 0, run);
        string b = ShardDir(root, 1, what switch
        {
            "profile" => run with { Profile = Profile.Standard },
            "seed" => run with { Seed = 2 },
            _ => run with { Only = ["R0"] },
        });
        var e = Assert.Throws<ArgumentException>(() => Sharding.ReadManifests([a, b]));
        Assert.Equal("--merge: the shards are not of one run, they " + string.Format(CultureInfo.InvariantCulture, message, a, b), e.Message);
        Assert.Equal(2, Sharding.ReadManifests([a, ShardDir(root, 1, run)]).Count);
    }

    [Fact]
    public void A_folder_without_shard_json_is_named()
    {
        string dir = Repo.TempDir("manifests");
        var e = Assert.Throws<ArgumentException>(() => Sharding.ReadManifests([dir]));
        Assert.StartsWith($"--merge '{dir}' holds no shard.json", e.Message);
        File.WriteAllText(Path.Combine(dir, Sharding.ManifestName), "{\"index\": 0, ");
        Assert.Contains("its shard.json does not read", Assert.Throws<ArgumentException>(() => Sharding.ReadManifests([dir])).Message);
    }
}
