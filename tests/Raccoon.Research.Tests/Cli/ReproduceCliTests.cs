using System.Text.Json;
using Raccoon.Research.Ledger;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Cli;

/// <summary>The command-line contract, run as users run it.</summary>
public class ReproduceCliTests
{
    [Fact]
    public void An_unknown_claim_id_lists_the_valid_ones()
    {
        var run = Repo.RunCli("reproduce", "--only", "Z9-99", "--out", Repo.TempDir("cli"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Z9-99", run.Stderr);
        Assert.Contains("R0-01", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr); // a message, not a stack trace
    }

    [Fact]
    public void An_unwritable_out_folder_is_named()
    {
        string file = Path.Combine(Repo.TempDir("cli"), "a-file");
        File.WriteAllText(file, "");
        var run = Repo.RunCli("reproduce", "--only", "H4-01", "--out", Path.Combine(file, "sub"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("not writable", run.Stderr);
        Assert.Contains("a-file", run.Stderr);
    }

    [Fact]
    public void A_bad_profile_or_thread_count_is_named()
    {
        var profile = Repo.RunCli("reproduce", "--profile", "fast", "--out", Repo.TempDir("cli"));
        Assert.Equal(2, profile.ExitCode);
        Assert.Contains("fast", profile.Stderr);
        var threads = Repo.RunCli("reproduce", "--threads", "0", "--out", Repo.TempDir("cli"));
        Assert.Equal(2, threads.ExitCode);
        Assert.Contains("--threads", threads.Stderr);
    }

    [Fact]
    public void Claims_without_a_ledger_says_how_to_make_one()
    {
        var run = Repo.RunCli("claims", "--out", Repo.TempDir("cli"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("reproduce", run.Stderr);
    }

    [Fact]
    public void Claims_with_reference_judges_the_committed_reference_results_beside_a_ledger_computing_nothing()
    {
        // A committed standard ledger (no stored results beside it) and the repository's reference results.
        string dir = Repo.TempDir("cli");
        foreach (var f in new[] { "claims.json", "claims.csv" })
            File.Copy(Path.Combine(Repo.Root, "results", "standard-runs", "2026-12-07-b", "a", f), Path.Combine(dir, f));
        var run = Repo.RunCli("claims", "--out", dir, "--reference");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("| claim | experiment | reference run | wall / CPU s | at the reference run | beside: the ledger's own run |", run.Stdout);
        var lines = run.Stdout.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList();
        // Every claim of the experiments with a committed reference result has its line, naming that run and the standard run beside it.
        foreach (var (id, experiment) in new[] { ("R0-08", "log-classifiers-training"), ("H4-07", "language-models-training"), ("T1-12", "latent-ode-training") })
        {
            var line = Assert.Single(lines, l => l.StartsWith($"| {id} |", StringComparison.Ordinal));
            Assert.Contains($"| {experiment} | reference run, 2026-12-07, ", line);
            Assert.Contains("| standard run: ", line);
        }
        Assert.DoesNotContain(lines, l => l.StartsWith("| R0-01 |", StringComparison.Ordinal)); // no reference result for it

        var missing = Repo.RunCli("claims", "--out", dir, "--reference", "--reference-dir", Path.Combine(dir, "no-such-folder"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no-such-folder", missing.Stderr);
    }

    [Fact]
    public void Reproduce_writes_a_ledger_with_every_claim_a_csv_and_an_offline_report()
    {
        string dir = Repo.TempDir("cli");
        var run = Repo.RunCli("reproduce", "--only", "G3-06", "--profile", "quick", "--threads", "2", "--out", dir, "--no-notebooks");
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "claims.json")));
        var rows = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(ClaimCatalog.All.Select(c => c.Id), rows.Select(r => r.GetProperty("id").GetString()));
        foreach (var r in rows)
            foreach (var field in new[] { "id", "document", "claim", "claimed", "measured", "verdict", "notebook" })
                Assert.True(r.TryGetProperty(field, out _), $"{field} missing");
        Assert.True(File.Exists(Path.Combine(dir, "claims.csv")));
        string html = File.ReadAllText(Path.Combine(dir, "report", "index.html"));
        Assert.Contains("Plotly", html);          // plotly.js inlined: opens offline
        Assert.DoesNotContain("<script src=", html);
        Assert.Contains("G3-06", html);

        var claims = Repo.RunCli("claims", "--out", dir);
        Assert.Equal(0, claims.ExitCode);
        Assert.Contains("G3-06", claims.Stdout);
    }
}
