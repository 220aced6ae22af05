using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Cluster;

/// <summary>
/// A single-node Slurm on this machine (cluster/local-slurm.sh): started once for <see cref="SlurmTests"/> and
/// stopped after them, leaving no daemon behind. Where slurm-wlm and munge are not installed, or the tests do
/// not run as root, it does not start and says why.
/// </summary>
public sealed class LocalSlurm : IDisposable
{
    public string? Unavailable { get; }
    public string? StartFailure { get; }
    public string StateDir { get; } = Repo.TempDir("slurm");
    readonly bool _started;

    /// <summary>What every Slurm command and cluster script of the tests runs with.</summary>
    public Dictionary<string, string> Environment => new()
    {
        ["RACCOON_SLURM_DIR"] = StateDir,
        ["SLURM_CONF"] = Path.Combine(StateDir, "slurm.conf"),
        // The sbatch files ask for a cluster node's 24G; this node has what this machine has.
        ["SBATCH_MEM_PER_NODE"] = "2G",
        ["POLL_SECONDS"] = "1",
    };

    public LocalSlurm()
    {
        var missing = new[] { "slurmctld", "slurmd", "sbatch", "scontrol", "munged" }.Where(t => !OnPath(t)).ToList();
        if (missing.Count > 0)
        {
            Unavailable = $"Slurm is not installed here ({string.Join(", ", missing)} missing): apt-get install -y --no-install-recommends slurm-wlm munge (.ci/run does)";
            return;
        }
        if (!System.Environment.IsPrivilegedProcess)
        {
            Unavailable = "a local Slurm needs root (slurmd starts the jobs as their users)";
            return;
        }
        var start = Script("start");
        _started = true;
        if (start.ExitCode != 0) StartFailure = $"cluster/local-slurm.sh start exited {start.ExitCode}: {start.Stderr}{start.Stdout}";
    }

    public Repo.CliRun Script(string verb) =>
        ChildProcess.Run("bash", [Path.Combine(Repo.Root, "cluster", "local-slurm.sh"), verb], Repo.Root, Environment);

    static bool OnPath(string tool) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/sbin")
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));

    public void Dispose()
    {
        if (!_started) return;
        var pids = new[] { "slurmctld", "slurmd" }.Select(d => Path.Combine(StateDir, d + ".pid"))
            .Where(File.Exists).Select(f => int.Parse(File.ReadAllText(f).Trim(), CultureInfo.InvariantCulture)).ToList();
        var stop = Script("stop");
        if (stop.ExitCode != 0) throw new InvalidOperationException($"cluster/local-slurm.sh stop exited {stop.ExitCode}: {stop.Stderr}");
        foreach (var pid in pids)
            if (Directory.Exists($"/proc/{pid}")) throw new InvalidOperationException($"a Slurm daemon (pid {pid}) is still running after stop");
    }
}

/// <summary>
/// The cluster path through a real slurmctld and slurmd: cluster/submit.sh submits the shards as a job array and
/// the merge with afterok, waits with squeue and scontrol, and the merged ledger equals one unsharded run's.
/// The selection is of the cheapest experiments (seconds of torch each), at the quick profile.
/// </summary>
public class SlurmTests(LocalSlurm slurm) : IClassFixture<LocalSlurm>
{
    // Over two shards, as experiment-costs.json's quick seconds split them; the shard with log-classifiers-deployment
    // (seconds long) runs another experiment before it: a task to preempt after its first result.
    static readonly string[] Selection = ["R0-01", "R0-10", "R0-11", "G3-01", "G3-02", "G3-05", "H4-01", "H4-02"];

    static readonly Lazy<string> Single = new(() =>
    {
        string dir = Path.Combine(Repo.TempDir("slurm-single"), "single");
        var run = Repo.RunCli(["reproduce", "--only", .. Selection, "--profile", "quick", "--threads", "2", "--out", dir, "--no-notebooks"]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        return dir;
    });

    void RequireSlurm()
    {
        Assert.SkipWhen(slurm.Unavailable is not null, slurm.Unavailable ?? "");
        Assert.True(slurm.StartFailure is null, slurm.StartFailure);
    }

    ChildProcess Submit(string runDir, IReadOnlyDictionary<string, string>? extra = null)
    {
        var env = slurm.Environment;
        env["ONLY"] = string.Join(' ', Selection);
        env["NOTEBOOKS"] = "0";
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) env[k] = v;
        return new ChildProcess("bash", [Path.Combine(Repo.Root, "cluster", "submit.sh"), "--wait", "2", runDir, "quick"], Repo.Root, env);
    }

    Repo.CliRun Scontrol(params string[] args) => ChildProcess.Run("scontrol", args, Repo.Root, slurm.Environment);

    /// <summary>The array's and merge's job ids, from the RUN_DIR/jobs.env submit.sh writes.</summary>
    static (string Array, string Merge) Jobs(string runDir)
    {
        var values = File.ReadAllLines(Path.Combine(runDir, "jobs.env")).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        return (values["ARRAY_JOB"], values["MERGE_JOB"]);
    }

    string State(string job) => Regex.Match(Scontrol("-o", "show", "job", job).Stdout, @"JobState=(\S+)").Groups[1].Value;

    [Fact]
    public void Two_shards_and_the_merge_run_through_slurm_and_give_the_single_runs_ledger()
    {
        RequireSlurm();
        string runDir = Path.Combine(Repo.TempDir("slurm-run"), "run");
        using var submit = Submit(runDir);
        Assert.True(submit.WaitForExit(TimeSpan.FromMinutes(5)) == 0, submit.Stderr + submit.Stdout);
        Assert.Contains("submit: every shard and the merge completed", submit.Stdout);
        var (array, merge) = Jobs(runDir);
        // Slurm ran them: each task and the merge has its end state in the controller and its log under RUN_DIR/logs.
        foreach (var job in new[] { $"{array}_0", $"{array}_1", merge })
            Assert.Equal("COMPLETED", State(job));
        Assert.Contains("shard 0/2 runs", File.ReadAllText(Path.Combine(runDir, "logs", $"raccoon-shard-{array}_0.out")));
        Assert.Contains("shard 1/2 runs", File.ReadAllText(Path.Combine(runDir, "logs", $"raccoon-shard-{array}_1.out")));
        Assert.Contains("merging 2 shard folders", File.ReadAllText(Path.Combine(runDir, "logs", $"raccoon-merge-{merge}.out")));
        AssertSameLedger(Single.Value, Path.Combine(runDir, "merged"));
    }

    [Fact]
    public void A_failing_task_keeps_the_merge_from_running_and_submit_names_it_and_its_log()
    {
        RequireSlurm();
        string runDir = Path.Combine(Repo.TempDir("slurm-fail"), "run");
        Directory.CreateDirectory(runDir);
        // Shard 1's output folder is taken by a file: that task fails at once, shard 0 succeeds.
        File.WriteAllText(Path.Combine(runDir, "shard-1"), "not a folder");
        using var submit = Submit(runDir);
        Assert.Equal(1, submit.WaitForExit(TimeSpan.FromMinutes(5)));
        var (array, merge) = Jobs(runDir);
        string log = Path.Combine(runDir, "logs", $"raccoon-shard-{array}_1.out");
        Assert.Matches($@"submit: shard task {array}_1 FAILED \(exit code [1-9]\d*:0\); log: {Regex.Escape(log)}", submit.Stderr);
        Assert.Contains("shard-1", File.ReadAllText(log)); // the log says what failed, and submit shows its end
        Assert.DoesNotContain($"shard task {array}_0", submit.Stderr);
        Assert.Contains($"submit: merge job {merge} did not run (CANCELLED): a shard task failed, so its afterok dependency can never hold", submit.Stderr);
        Assert.Equal("COMPLETED", State($"{array}_0"));
        Assert.Equal("CANCELLED", State(merge));
        Assert.False(File.Exists(Path.Combine(runDir, "logs", $"raccoon-merge-{merge}.out")));
        Assert.False(Directory.Exists(Path.Combine(runDir, "merged")));
    }

    [Fact]
    public void A_task_requeued_while_running_resumes_from_its_stored_results_and_the_merge_is_complete()
    {
        RequireSlurm();
        var split = Sharding.Partition(ExperimentRegistry.For(ClaimCatalog.Select(Selection)), 2, Profile.Quick);
        // The shard that runs log-classifiers-deployment (seconds long) after another experiment: preempted once that one is stored.
        int k = split.Select((s, i) => (s, i)).Single(x => x.s.Any(e => e.Name == "log-classifiers-deployment")).i;
        string firstName = split[k][0].Name;
        Assert.True(split[k].Count >= 2 && firstName != "log-classifiers-deployment",
            $"the split from experiment-costs.json puts log-classifiers-deployment first in its shard ({string.Join(", ", split[k].Select(e => e.Name))}): nothing is stored before it to preempt after");

        string runDir = Path.Combine(Repo.TempDir("slurm-requeue"), "run");
        using var submit = Submit(runDir);
        string first = Path.Combine(runDir, $"shard-{k}", "results", $"{firstName}.quick.seed1.threads2.json");
        Assert.True(submit.WaitUntil(() => File.Exists(Path.Combine(runDir, "jobs.env")), TimeSpan.FromMinutes(1)), submit.Stderr);
        var (array, _) = Jobs(runDir);
        string task = $"{array}_{k}";
        // Its first experiment stored, the second under way.
        Assert.True(submit.WaitUntil(() => File.Exists(first) && State(task) == "RUNNING", TimeSpan.FromMinutes(3)), submit.Stderr);
        string stored = File.ReadAllText(first);
        var requeue = Scontrol("requeue", task);
        Assert.True(requeue.ExitCode == 0, requeue.Stderr);
        // The requeue takes effect a moment later; then the task waits about two minutes before it may start
        // again (Reason=BeginTime): start it now.
        Assert.True(submit.WaitUntil(() => Regex.IsMatch(Scontrol("-o", "show", "job", task).Stdout, @"JobState=PENDING .*Restarts=1 "),
            TimeSpan.FromMinutes(1)), Scontrol("-o", "show", "job", task).Stdout);
        var update = Scontrol("update", $"jobid={task}", "StartTime=now");
        Assert.True(update.ExitCode == 0, update.Stderr);
        Assert.True(submit.WaitForExit(TimeSpan.FromMinutes(5)) == 0, submit.Stderr + submit.Stdout);

        string log = File.ReadAllText(Path.Combine(runDir, "logs", $"raccoon-shard-{task}.out"));
        Assert.Contains("DUE TO JOB REQUEUE", log); // it was killed while it ran
        Assert.Equal(2, Regex.Matches(log, $"shard {k}/2 runs").Count); // and ran again, in the same log
        Assert.Contains($"restart 1 of shard {k}", log);
        Assert.Equal(stored, File.ReadAllText(first)); // reused, not computed again
        AssertSameLedger(Single.Value, Path.Combine(runDir, "merged"));
    }

    /// <summary>Every selected claim measured in both; computed rows equal in every figure and word, the others in kind.</summary>
    static void AssertSameLedger(string single, string merged)
    {
        var a = Rows(single);
        var b = Rows(merged);
        Assert.Equal(a.Select(r => r.Id), b.Select(r => r.Id));
        foreach (var (x, y) in a.Zip(b))
        {
            Assert.Equal(Selection.Contains(x.Id), x.Verdict != Verdict.NotRun);
            Assert.Equal(Selection.Contains(x.Id), y.Verdict != Verdict.NotRun);
            Assert.Equal(x.FigureKind, y.FigureKind);
            Assert.Equal("quick", y.Profile ?? "quick");
            // A clock's figure differs from run to run; what is computed must not, in any figure or word.
            if (x.FigureKind == FigureKind.Computed)
                Assert.Equal(JsonSerializer.Serialize(x with { MeasuredAt = null }, Json.Options), JsonSerializer.Serialize(y with { MeasuredAt = null }, Json.Options));
        }
        Assert.Equal(7, a.Count(r => r.FigureKind == FigureKind.Computed && Selection.Contains(r.Id)));
    }

    static List<LedgerRow> Rows(string dir) =>
        JsonSerializer.Deserialize<List<LedgerRow>>(File.ReadAllText(Path.Combine(dir, LedgerFiles.JsonName)), Json.Options)!;
}
