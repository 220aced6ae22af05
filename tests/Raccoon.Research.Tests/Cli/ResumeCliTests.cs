using System.Text.Json;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Cli;

/// <summary>A reproduce killed with SIGKILL part-way, then started again: it finishes without recomputing what it had finished, and no file is ever half-written.</summary>
public class ResumeCliTests
{
    [Fact]
    public void A_run_killed_mid_experiment_resumes_without_recomputing_what_it_finished()
    {
        string dir = Repo.TempDir("resume");
        // log-classifiers-structure runs first, language-models-cost (about 10 s of timed passes) after it.
        string[] args = ["reproduce", "--only", "R0-01", "R0-10", "H4-03", "--profile", "quick", "--threads", "2", "--out", dir, "--no-notebooks"];
        string results = Path.Combine(dir, "results");
        string first = Path.Combine(results, "log-classifiers-structure.quick.seed1.threads2.json");
        string second = Path.Combine(results, "language-models-cost.quick.seed1.threads2.json");

        DateTime firstWritten;
        using (var child = ChildProcess.Cli(args))
        {
            Assert.True(child.WaitUntil(() => child.Stderr.Contains("language-models-cost: n = "), TimeSpan.FromMinutes(6)),
                "the second experiment never got under way: " + child.Stderr);
            Assert.False(child.HasExited);
            child.KillHard();
            Assert.DoesNotContain("language-models-cost: done", child.Stderr);
        }
        // Killed inside the second experiment: the first's result is there whole, the second's is not there at all.
        Assert.True(File.Exists(first));
        Assert.False(File.Exists(second));
        Assert.False(File.Exists(Path.Combine(dir, LedgerFiles.JsonName)));
        foreach (var f in Directory.GetFiles(results).Where(f => !Path.GetFileName(f).StartsWith('.')))
            JsonDocument.Parse(File.ReadAllText(f)).Dispose(); // every visible file reads whole
        firstWritten = File.GetLastWriteTimeUtc(first);
        string firstText = File.ReadAllText(first);

        var again = Repo.RunCli(args);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(firstWritten, File.GetLastWriteTimeUtc(first)); // reused, not recomputed
        Assert.Equal(firstText, File.ReadAllText(first));
        Assert.DoesNotContain("log-classifiers-structure: counting parameters", again.Stderr);
        Assert.Contains("language-models-cost: n = ", again.Stderr);
        Assert.True(File.Exists(second));
        var rows = JsonSerializer.Deserialize<List<LedgerRow>>(File.ReadAllText(Path.Combine(dir, LedgerFiles.JsonName)), Json.Options)!;
        Assert.All(rows.Where(r => r.Id is "R0-01" or "R0-10" or "H4-03"), r => Assert.NotEqual(Verdict.NotRun, r.Verdict));
        Assert.Empty(Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f).StartsWith(".write-probe")));
    }

    [Fact]
    public void A_truncated_stored_result_is_recomputed_and_the_run_names_the_file()
    {
        string dir = Repo.TempDir("resume");
        string[] args = ["reproduce", "--only", "H4-01", "--profile", "quick", "--threads", "2", "--out", dir, "--no-notebooks"];
        Assert.Equal(0, Repo.RunCli(args).ExitCode);
        string path = new ResultStore(dir).PathFor("language-models-parameters", Profile.Quick, 1, 2);
        string whole = File.ReadAllText(path);
        File.WriteAllText(path, whole[..(whole.Length / 2)]);
        var again = Repo.RunCli(args);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains(path, again.Stderr);
        Assert.Contains("is truncated", again.Stderr);
        Assert.Contains("recomputing it", again.Stderr);
        JsonDocument.Parse(File.ReadAllText(path)).Dispose();
    }
}
