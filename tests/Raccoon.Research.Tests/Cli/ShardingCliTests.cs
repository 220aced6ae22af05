using System.Globalization;
using System.Text.Json;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Cli;

/// <summary>A sharded reproduction as a Slurm job array runs it (the repository's scripts, with the variables Slurm sets), against one plain run.</summary>
public class ShardingCliTests
{
    // Two cheap experiments (language-models-parameters, log-classifiers-structure): one to each shard.
    static readonly string[] Cheap = ["H4-01", "H4-02", "R0-01", "R0-10"];

    /// <summary>A single quick run of <paramref name="only"/> (the ledger the job must reproduce) in ROOT/single, and the variables
    /// the cluster scripts read for a job writing to ROOT/run, without the array's task count and id.</summary>
    static (string Root, string Single, string RunDir, Dictionary<string, string> Env) SingleRunAndJobEnvironment(string name, string[] only)
    {
        string root = Repo.TempDir(name);
        string single = Path.Combine(root, "single");
        var one = Repo.RunCli(["reproduce", "--only", .. only, "--profile", "quick", "--threads", "2", "--out", single, "--no-notebooks"]);
        Assert.True(one.ExitCode == 0, one.Stderr);
        string runDir = Path.Combine(root, "run");
        return (root, single, runDir, new Dictionary<string, string>
        {
            ["RUN_DIR"] = runDir, ["PROFILE"] = "quick", ["ONLY"] = string.Join(' ', only), ["REPO"] = Repo.Root,
            ["SLURM_CPUS_PER_TASK"] = "2", ["NOTEBOOKS"] = "0",
        });
    }

    [Fact]
    public void Two_shards_and_a_merge_give_the_single_runs_ledger()
    {
        var (root, single, runDir, env) = SingleRunAndJobEnvironment("shards", Cheap);
        env["SLURM_ARRAY_TASK_COUNT"] = "2";
        var shardRuns = new List<string>();
        for (int k = 0; k < 2; k++)
        {
            var task = ChildProcess.Run("bash", [Path.Combine(Repo.Root, "cluster", "reproduce.sbatch")], root,
                new Dictionary<string, string>(env) { ["SLURM_ARRAY_TASK_ID"] = k.ToString(CultureInfo.InvariantCulture) });
            Assert.True(task.ExitCode == 0, task.Stderr);
            Assert.Contains($"shard {k}/2", task.Stderr);
            string dir = Path.Combine(runDir, $"shard-{k}");
            // A shard writes its stored results only: no ledger, no report.
            Assert.False(File.Exists(Path.Combine(dir, LedgerFiles.JsonName)));
            Assert.False(Directory.Exists(Path.Combine(dir, "report")));
            var files = Directory.GetFiles(Path.Combine(dir, "results"), "*.json").Select(Path.GetFileName).ToList();
            Assert.Single(files);
            shardRuns.Add(files[0]!);
        }
        Assert.Equal(["language-models-parameters.quick.seed1.threads2.json", "log-classifiers-structure.quick.seed1.threads2.json"], shardRuns.Order());

        var merge = ChildProcess.Run("bash", [Path.Combine(Repo.Root, "cluster", "merge.sbatch")], root, env);
        Assert.True(merge.ExitCode == 0, merge.Stderr);
        string merged = Path.Combine(runDir, "merged");
        Assert.True(File.Exists(Path.Combine(merged, "report", "index.html")));

        var a = Rows(single);
        var b = Rows(merged);
        Assert.Equal(a.Select(r => r.Id), b.Select(r => r.Id));
        foreach (var (x, y) in a.Zip(b))
        {
            Assert.Equal(x.Verdict, y.Verdict);
            if (x.Verdict == Verdict.NotRun) continue;
            Assert.True(Cheap.Contains(x.Id), x.Id);
            Assert.Equal(FigureKind.Computed, x.FigureKind); // so every figure must agree, words included
            // By value: a row holds lists (builds), which records compare by reference.
            Assert.Equal(JsonSerializer.Serialize(x with { MeasuredAt = null }, Json.Options), JsonSerializer.Serialize(y with { MeasuredAt = null }, Json.Options));
        }
        Assert.Equal(Cheap.Length, b.Count(r => r.Verdict != Verdict.NotRun));
        // merge.sbatch names no profile: the merge took quick from the shards.
        Assert.All(b.Where(r => r.Verdict != Verdict.NotRun), r => Assert.Equal("quick", r.Profile));
    }

    [Fact]
    public void Training_units_on_two_tasks_then_a_shard_and_a_merge_give_the_single_runs_ledger()
    {
        // path-flow-training's 10 quick units trained by a units array of 2 tasks into RUN_DIR/training, then one shard that
        // runs the experiment (resuming every unit finished) and the merge: the scripts as Slurm runs them (STAGE as submit.sh sets it).
        string[] only = ["V2-01", "V2-03", "V2-12"];
        var (root, single, runDir, env) = SingleRunAndJobEnvironment("units", only);
        string sbatch = Path.Combine(Repo.Root, "cluster", "reproduce.sbatch");
        for (int k = 0; k < 2; k++)
        {
            var task = ChildProcess.Run("bash", [sbatch], root, new Dictionary<string, string>(env)
                { ["STAGE"] = "units", ["SLURM_ARRAY_TASK_COUNT"] = "2", ["SLURM_ARRAY_TASK_ID"] = k.ToString(CultureInfo.InvariantCulture) });
            Assert.True(task.ExitCode == 0, task.Stderr);
            Assert.Contains("training 5 unit(s)", task.Stderr); // units k, k + 2, ... of the 10
        }
        var unitFiles = Directory.GetFiles(Path.Combine(runDir, "training"), "*.ckpt", SearchOption.AllDirectories);
        Assert.Equal(10, unitFiles.Length);
        var written = unitFiles.ToDictionary(f => f, File.GetLastWriteTimeUtc);

        var shard = ChildProcess.Run("bash", [sbatch], root, new Dictionary<string, string>(env)
            { ["STAGE"] = "shards", ["SLURM_ARRAY_TASK_COUNT"] = "1", ["SLURM_ARRAY_TASK_ID"] = "0" });
        Assert.True(shard.ExitCode == 0, shard.Stderr);
        Assert.DoesNotContain("training unit", shard.Stderr); // nothing trained again
        // Its result stored, the experiment's units have served: removed, none written again before that.
        Assert.All(written.Keys, f => Assert.False(File.Exists(f) && File.GetLastWriteTimeUtc(f) != written[f], f));
        Assert.Empty(Directory.GetFiles(Path.Combine(runDir, "training"), "*.ckpt", SearchOption.AllDirectories));

        var merge = ChildProcess.Run("bash", [Path.Combine(Repo.Root, "cluster", "merge.sbatch")], root, new Dictionary<string, string>(env) { ["SLURM_ARRAY_TASK_COUNT"] = "1" });
        Assert.True(merge.ExitCode == 0, merge.Stderr);
        var a = Rows(single).Where(r => r.Verdict != Verdict.NotRun).ToList();
        var b = Rows(Path.Combine(runDir, "merged")).Where(r => r.Verdict != Verdict.NotRun).ToList();
        Assert.Equal(["V2-01", "V2-03", "V2-12"], b.Select(r => r.Id));
        foreach (var (x, y) in a.Zip(b))
            Assert.Equal(JsonSerializer.Serialize(x with { MeasuredAt = null }, Json.Options), JsonSerializer.Serialize(y with { MeasuredAt = null }, Json.Options));
    }

    [Fact]
    public void A_merge_with_a_result_missing_exits_1_before_the_ledger_and_the_notebooks()
    {
        string root = Repo.TempDir("shards");
        string shard = Path.Combine(root, "shard-0");
        var run = Repo.RunCli(["reproduce", "--shard", "0/2", "--only", .. Cheap, "--profile", "quick", "--threads", "2", "--out", shard]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var manifest = JsonSerializer.Deserialize<ShardManifest>(File.ReadAllText(Path.Combine(shard, Sharding.ManifestName)), Json.Options)!;
        Assert.Equal((0, 2, Profile.Quick, 1), (manifest.Index, manifest.Count, manifest.Profile, manifest.Seed));
        Assert.Equal(Cheap, manifest.Only);
        Assert.Equal(["R0-01", "R0-10", "H4-01", "H4-02"], manifest.Claims); // resolved, in catalog order
        Assert.Equal(Directory.GetFiles(Path.Combine(shard, "results")).Select(f => Path.GetFileName(f).Split('.')[0]), manifest.Experiments);

        // Left at the default profile and with notebooks on, as the merge was: it takes quick from the shard,
        // names the experiment shard 1 should have stored, and stops before writing or running anything.
        string merged = Path.Combine(root, "merged");
        var merge = Repo.RunCli(["reproduce", "--merge", shard, "--out", merged]);
        Assert.Equal(1, merge.ExitCode);
        Assert.Contains("profile quick, seed 1", merge.Stderr);
        string missing = manifest.Experiments.Contains("language-models-parameters") ? "log-classifiers-structure" : "language-models-parameters";
        Assert.Contains($"'{missing}' not merged: it is shard 1/2's, and no folder of shard 1/2 was given to --merge", merge.Stderr);
        Assert.Contains($"merge stopped before the ledger and the notebooks: 1 of the 2 expected results missing ({missing})", merge.Stderr);
        Assert.False(File.Exists(Path.Combine(merged, LedgerFiles.JsonName)));
        Assert.False(Directory.Exists(Path.Combine(merged, "notebooks")));
        Assert.False(Directory.Exists(Path.Combine(merged, "report")));
    }

    [Fact]
    public void A_merge_without_any_result_stops_naming_each_and_its_shard()
    {
        // Two shards that died before their first result: only their shard.json (no torch anywhere).
        string root = Repo.TempDir("shards");
        var options = new Raccoon.Research.Experiments.ReproductionOptions(Cheap, Profile.Quick, "", 2, 3);
        var dirs = new List<string>();
        for (int k = 0; k < 2; k++)
        {
            string dir = Path.Combine(root, $"shard-{k}");
            Directory.CreateDirectory(dir);
            var shard = new Shard(k, 2);
            Sharding.WriteManifest(options with { OutDir = dir, Shard = shard },
                Sharding.Select(ExperimentRegistry.For(ClaimCatalog.Select(Cheap)), shard, Profile.Quick));
            dirs.Add(dir);
        }
        var merge = Repo.RunCli(["reproduce", "--merge", .. dirs, "--out", Path.Combine(root, "merged")]);
        Assert.Equal(1, merge.ExitCode);
        Assert.Contains("profile quick, seed 3", merge.Stderr);
        foreach (var e in new[] { "language-models-parameters", "log-classifiers-structure" })
            Assert.Contains($"'{e}' not merged: shard ", merge.Stderr);
        Assert.Contains("should have stored its quick seed-3 result and did not: did it finish?", merge.Stderr);
        Assert.Contains("2 of the 2 expected results missing", merge.Stderr);
        Assert.False(Directory.Exists(Path.Combine(root, "merged")));
    }

    [Theory]
    [InlineData("--profile", "standard", "--profile standard was given, but the shards ran quick")]
    [InlineData("--seed", "2", "--seed 2 was given, but the shards ran seed 3")]
    [InlineData("--only", "H4-01", "--only H4-01 was given, but the shards ran H4-01 H4-02 R0-01 R0-10")]
    public void A_merge_refuses_a_profile_seed_or_selection_other_than_the_shards(string option, string value, string message)
    {
        string root = Repo.TempDir("shards");
        string dir = Path.Combine(root, "shard-0");
        Directory.CreateDirectory(dir);
        Sharding.WriteManifest(new Raccoon.Research.Experiments.ReproductionOptions(Cheap, Profile.Quick, dir, 2, 3, Shard: new Shard(0, 1)), []);
        var merge = Repo.RunCli(["reproduce", "--merge", dir, option, value, "--out", Path.Combine(root, "merged")]);
        Assert.Equal(2, merge.ExitCode);
        Assert.Contains(message, merge.Stderr);
        Assert.Contains("a merge takes the profile, seed and claims from the shards", merge.Stderr);
    }

    static List<LedgerRow> Rows(string dir) =>
        JsonSerializer.Deserialize<List<LedgerRow>>(File.ReadAllText(Path.Combine(dir, LedgerFiles.JsonName)), Json.Options)!;
}
