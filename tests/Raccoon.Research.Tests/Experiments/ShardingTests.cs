using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;

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
}
