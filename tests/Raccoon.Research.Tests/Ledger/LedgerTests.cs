using System.Text.RegularExpressions;
using Raccoon.Research.Experiments;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Reporting;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Ledger;

public class LedgerTests
{
    [Fact]
    public void The_catalog_holds_every_claim_once_with_a_rule_and_a_notebook()
    {
        var all = ClaimCatalog.All;
        Assert.Equal(52, all.Count);
        Assert.Equal(all.Count, all.Select(c => c.Id).Distinct().Count());
        foreach (var c in all)
        {
            Assert.Matches(@"^(R0|T1|V2|G3|H4)-\d\d$", c.Id);
            Assert.StartsWith("notebooks/", c.Notebook);
            Assert.Contains(c.Rule.Kind, VerdictRules.Kinds);
            if (VerdictRules.IsNumeric(c.Rule.Kind)) Assert.NotNull(c.Claimed.Value);
        }
    }

    [Fact]
    public void The_catalog_matches_the_shared_inventory_where_it_is_present()
    {
        string shared = Path.Combine(Repo.Root, "..", "shared", "claims.md");
        Assert.SkipUnless(File.Exists(shared), "../shared/claims.md is not beside this checkout");
        var ids = Regex.Matches(File.ReadAllText(shared), @"^- ((R0|T1|V2|G3|H4)-\d\d) ", RegexOptions.Multiline).Select(m => m.Groups[1].Value);
        Assert.Equal(ids, ClaimCatalog.All.Select(c => c.Id));
    }

    [Fact]
    public void Selection_takes_ids_and_prefixes_and_names_unknown_ones()
    {
        Assert.Equal(13, ClaimCatalog.Select(["R0"]).Count);
        Assert.Equal(["H4-01"], ClaimCatalog.Select(["H4-01"]).Select(c => c.Id));
        Assert.Equal(52, ClaimCatalog.Select([]).Count);
        var e = Assert.Throws<ArgumentException>(() => ClaimCatalog.Select(["R0", "X1"]));
        Assert.Contains("X1", e.Message);
        Assert.Contains("H4-08", e.Message); // lists the valid IDs
    }

    [Fact]
    public void A_ledger_has_every_claim_keeps_older_rows_and_marks_the_rest_not_run()
    {
        var at = DateTimeOffset.UtcNow;
        var h401 = new StoredResult("counts", Profile.Quick, 1, "v", 2, at, 0.1,
            [Measurement.Number("H4-01", 493973, "493,973")], [], []);
        var first = Reproduction.BuildLedger(ClaimCatalog.Select(["H4-01"]), [h401], null);
        Assert.Equal(52, first.Count);
        Assert.Equal(Verdict.Holds, first.Single(r => r.Id == "H4-01").Verdict);
        Assert.All(first.Where(r => r.Id != "H4-01"), r => Assert.Equal(Verdict.NotRun, r.Verdict));

        // A later run of other claims keeps H4-01's figure; re-running H4-01 without a result says not-run.
        var second = Reproduction.BuildLedger(ClaimCatalog.Select(["R0"]), [], first);
        Assert.Equal("493,973", second.Single(r => r.Id == "H4-01").Measured);
        var third = Reproduction.BuildLedger(ClaimCatalog.Select(["H4"]), [], second);
        Assert.Equal(Verdict.NotRun, third.Single(r => r.Id == "H4-01").Verdict);
    }

    [Fact]
    public void Ledger_files_round_trip_and_a_corrupt_one_is_named()
    {
        string dir = Repo.TempDir("ledger");
        var rows = Reproduction.BuildLedger(ClaimCatalog.Select(["G3-01"]),
            [new StoredResult("x", Profile.Quick, 7, "v", 2, DateTimeOffset.UtcNow, 1, [Measurement.Number("G3-01", 7198317, "7,198,317, \"exact\"")], [], [])], null);
        LedgerFiles.Write(dir, rows);
        var back = LedgerFiles.Read(dir)!;
        Assert.Equal(rows.Select(r => (r.Id, r.Measured, r.Verdict, r.Seed)), back.Select(r => (r.Id, r.Measured, r.Verdict, r.Seed)));
        Assert.Equal(53, File.ReadAllText(Path.Combine(dir, LedgerFiles.CsvName)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length
            - File.ReadAllText(Path.Combine(dir, LedgerFiles.CsvName)).Split('\n').Count(l => l.Length > 0 && !Regex.IsMatch(l, @"^(id|[A-Z]\d-\d\d),")));
        File.WriteAllText(Path.Combine(dir, LedgerFiles.JsonName), "[{\"id\": ");
        Assert.Contains(LedgerFiles.JsonName, Assert.Throws<InvalidDataException>(() => LedgerFiles.Read(dir)).Message);
    }

    [Fact]
    public void An_interrupted_write_leaves_the_earlier_file_whole()
    {
        string dir = Repo.TempDir("atomic");
        string path = Path.Combine(dir, "claims.json");
        AtomicFile.WriteAllText(path, "complete");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("partial"u8);
            throw new InvalidOperationException("stopped half way");
        }));
        Assert.Equal("complete", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir)); // no temporary file left behind
    }
}
