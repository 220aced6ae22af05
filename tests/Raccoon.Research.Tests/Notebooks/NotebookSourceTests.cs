using System.Text.RegularExpressions;
using Raccoon.Research.Ledger;
using Raccoon.Research.Notebooks;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Notebooks;

/// <summary>What the repository's notebooks say, read as source (no kernel): thin cells that call the library, a card
/// for every claim, settings in the first cell, closing tables from the notebook's own results.</summary>
public class NotebookSourceTests
{
    static IEnumerable<string> Notebooks() =>
        Directory.EnumerateFiles(Path.Combine(Repo.Root, "notebooks"), "*.ipynb").Order(StringComparer.Ordinal);

    static string Code(NotebookDocument nb) => string.Join("\n", nb.Cells.Where(c => c.IsCSharp).Select(c => c.Source));

    [Fact]
    public void Every_claim_has_a_card_in_its_own_notebook()
    {
        foreach (var group in ClaimCatalog.All.GroupBy(c => c.Notebook))
        {
            string code = Code(NotebookDocument.Load(Path.Combine(Repo.Root, group.Key)));
            var missing = group.Where(c => !code.Contains($".Claim(\"{c.Id}\")", StringComparison.Ordinal)).Select(c => c.Id).ToList();
            Assert.True(missing.Count == 0, $"{group.Key} shows no card for {string.Join(", ", missing)}");
        }
    }

    // A declaration in a cell: a method or local function ("LedgerView Verdict(StoredResult r, string id) =>"), a type.
    static readonly Regex Declaration = new(@"^\s*(?!(new|return|await|throw|display|var|using)\b)[\w<>\[\],.?]+\s+\w+\s*\([^)]*\)\s*(=>|\{|$)|^\s*(public\s+|static\s+)*(class|record|struct|interface|enum)\s", RegexOptions.Multiline);

    [Fact]
    public void No_notebook_defines_a_helper_or_reads_a_claims_sentence_by_hand()
    {
        foreach (var path in Notebooks())
        {
            var nb = NotebookDocument.Load(path);
            foreach (var cell in nb.Cells.Where(c => c.IsCSharp))
            {
                Assert.False(Declaration.IsMatch(cell.Source), $"{Path.GetFileName(path)} defines a helper: {Declaration.Match(cell.Source).Value.Trim()}");
                Assert.DoesNotContain(".Measurements.Single(", cell.Source);
            }
        }
    }

    [Fact]
    public void Each_notebook_starts_with_its_settings_and_a_document_notebook_closes_on_its_own_results()
    {
        foreach (var path in Notebooks())
        {
            var nb = NotebookDocument.Load(path);
            var first = nb.Cells.First(c => c.IsCSharp).Source;
            Assert.Contains("NotebookSession.Start(", first);
            if (Path.GetFileName(path) == "claims-ledger.ipynb") continue; // the whole ledger of the last reproduce, by design
            string code = Code(nb);
            Assert.DoesNotContain("NotebookSession.Ledger()", code);
            Assert.Contains("LedgerView.Of(", nb.Cells.Last(c => c.IsCSharp).Source + nb.Cells.Where(c => c.IsCSharp).SkipLast(1).LastOrDefault()?.Source);
        }
    }

    [Fact]
    public void The_declaration_check_catches_the_helpers_notebooks_used_to_define()
    {
        Assert.Matches(Declaration, "// x\nLedgerView Verdict(StoredResult result, string id) => new(result.Rows());");
        Assert.Matches(Declaration, "HtmlContent Why(StoredResult result, string id, string lead = \"Why.\") => Findings.Paragraph(result, id, lead);");
        Assert.Matches(Declaration, "record Row(string Id);");
        Assert.DoesNotMatch(Declaration, "var speed = NotebookSession.Run(\"log-classifiers-speed\");\nspeed.Claim(\"R0-02\")");
        Assert.DoesNotMatch(Declaration, "display(speed.Table(\"components\"));\nnew Table(\"t\", new[] { \"#\" }, rows)");
    }
}
