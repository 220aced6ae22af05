using Raccoon.Research.Views;

namespace Raccoon.Research.Experiments;

/// <summary>
/// Sentences that state what a run found, written by the experiment from its own figures and kept with its
/// result as the table named "findings" (claim, sentence), so a notebook's prose about results is generated
/// from the result it shows and never goes stale when a run differs.
/// </summary>
public static class Findings
{
    public const string TableName = "findings";

    public static Table Of(params (string Claim, string Text)[] findings)
    {
        var dup = findings.GroupBy(f => f.Claim).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"two findings for {dup.Key}: join them into one");
        return new Table("Findings of this run (sentences generated from its figures)", ["claim", "finding"],
            findings.Select(f => (IReadOnlyList<string>)[f.Claim, f.Text]).ToList()).Named(TableName);
    }

    /// <summary>The finding of <paramref name="claim"/> in <paramref name="result"/>; a claim without one throws, listing those it has.</summary>
    public static string For(StoredResult result, string claim)
    {
        var rows = result.Table(TableName).Rows;
        return rows.FirstOrDefault(r => r[0] == claim)?[1]
            ?? throw new KeyNotFoundException($"experiment '{result.Experiment}' has no finding for {claim}; it has: {string.Join(", ", rows.Select(r => r[0]))}");
    }
}
