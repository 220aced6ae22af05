using System.Text.RegularExpressions;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Reporting;
using Raccoon.Research.Views;
using Raccoon.Research.Reporting.WriteUp;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Reporting;

/// <summary>Issue 24 item 4: the report, the write-up and the notebooks style verdicts from one stylesheet
/// (<see cref="VerdictStyle"/>); before, each defined its own badge and provisional marker, and they disagreed.</summary>
public sealed class VerdictStyleTests
{
    static int Rules(string html, string selector) => Regex.Matches(html, Regex.Escape(selector) + @"\{").Count;

    [Fact]
    public void The_report_the_write_up_and_the_notebooks_share_one_verdict_stylesheet()
    {
        var rows = Reproduction.BuildLedger(ClaimCatalog.All, [], null);
        string report = HtmlReport.Render(rows, [], [], Repo.TempDir("verdict-style"));
        string writeUp = PaperWriteUp.Page([]);
        string notebook = NotebookStyle.Css;

        Assert.Contains(VerdictStyle.Css(), report);
        Assert.Contains(VerdictStyle.Css(), writeUp);
        Assert.Contains(VerdictStyle.Css(".raccoon "), notebook);
        foreach (var (html, scope) in new[] { (report, ""), (writeUp, ""), (notebook, ".raccoon ") })
        {
            Assert.Equal(1, Rules(html, scope + ".provisional"));
            Assert.Equal(1, Regex.Matches(html, Regex.Escape(scope + ".verdict{") + "[^}]*(color|background|border|padding)").Count);
        }
    }

    [Fact]
    public void Every_verdict_has_its_own_colour_and_the_badge_uses_it()
    {
        var verdicts = Enum.GetValues<Verdict>();
        Assert.Equal(verdicts.Length, verdicts.Select(VerdictStyle.Colour).Distinct().Count());
        Assert.Equal("<span class=\"verdict\" style=\"background:#2e7d32\">holds</span>", VerdictStyle.Badge(Verdict.Holds));
    }
}
