using System.Text.Json;
using Raccoon.Research.Ledger;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Cli;

/// <summary>A sharded reproduction as a Slurm job array runs it (the repository's scripts, with the variables Slurm sets), against one plain run.</summary>
public class ShardingCliTests
{
    // Two cheap experiments (language-models-parameters, log-classifiers-structure): one to each shard.
    static readonly string[] Cheap = ["H4-01", "H4-02", "R0-01", "R0-10"];

    [Fact]
    public void Two_shards_and_a_merge_give_the_single_runs_ledger()
    {
        string root = Repo.TempDir("shards");
        string single = Path.Combine(root, "single");
        var one = Repo.RunCli(["reproduce", "--only", .. Cheap, "--profile", "quick", "--threads", "2", "--out", single, "--no-notebooks"]);
        Assert.True(one.ExitCode == 0, one.Stderr);

        string runDir = Path.Combine(root, "run");
        var env = new Dictionary<string, string>
        {
            ["RUN_DIR"] = runDir, ["PROFILE"] = "quick", ["ONLY"] = string.Join(' ', Cheap), ["REPO"] = Repo.Root,
            ["SLURM_ARRAY_TASK_COUNT"] = "2", ["SLURM_CPUS_PER_TASK"] = "2", ["NOTEBOOKS"] = "0",
        };
        var shardRuns = new List<string>();
        for (int k = 0; k < 2; k++)
        {
            var task = ChildProcess.Run("bash", [Path.Combine(Repo.Root, "cluster", "reproduce.sbatch")], root,
                new Dictionary<string, string>(env) { ["SLURM_ARRAY_TASK_ID"] = k.ToString() });
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
    }

    [Fact]
    public void A_merge_names_the_experiment_no_shard_stored()
    {
        string root = Repo.TempDir("shards");
        string shard = Path.Combine(root, "shard-0");
        var run = Repo.RunCli(["reproduce", "--shard", "0/2", "--only", .. Cheap, "--profile", "quick", "--threads", "2", "--out", shard]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var merge = Repo.RunCli(["reproduce", "--merge", shard, "--only", .. Cheap, "--profile", "quick", "--out", Path.Combine(root, "merged"), "--no-notebooks"]);
        Assert.Equal(1, merge.ExitCode);
        string missing = Directory.GetFiles(Path.Combine(shard, "results")).Any(f => f.Contains("language-models-parameters"))
            ? "log-classifiers-structure" : "language-models-parameters";
        Assert.Contains($"'{missing}' not merged", merge.Stderr);
        Assert.Contains("did every shard finish", merge.Stderr);
        // What the shard did store is in the ledger all the same.
        Assert.Equal(2, Rows(Path.Combine(root, "merged")).Count(r => r.Verdict != Verdict.NotRun));
    }

    static List<LedgerRow> Rows(string dir) =>
        JsonSerializer.Deserialize<List<LedgerRow>>(File.ReadAllText(Path.Combine(dir, LedgerFiles.JsonName)), Json.Options)!;
}
