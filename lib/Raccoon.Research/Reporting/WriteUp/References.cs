using Raccoon.Research.Ledger;

namespace Raccoon.Research.Reporting.WriteUp;

/// <summary>
/// The write-up's references: the five documents by file name (from claims.json's "source") and title, and the
/// public repositories whose code they describe, with the commit this project read (the snapshot its models were
/// ported from; document 004 names its commit itself). See ../shared/specs/README.md.
/// </summary>
public static class References
{
    /// <summary>An upstream repository, the commit read and the files that define what the documents describe.</summary>
    public sealed record Upstream(string Repository, string Commit, string Files, IReadOnlyList<string> Documents);

    public static readonly IReadOnlyList<Upstream> Repositories =
    [
        new("boomertechnodev/latent_trajectory_transformer", "4c5ff21af7d990fea1e756c1f87093d351d8739a",
            "latent_drift_trajectory.py, raccoon_alternative.py, variational_path_flows_friendly.py (ARCHITECTURAL_COMPARISON.md and review-of-original.md are documents 000 and 002)", ["000", "001", "002"]),
        new("israrwz/glyph-grid", "6653baf4d122b561beee7472986d550fddacea21", "models/phase2_cnn.py, configs/phase2*.yaml, train/train_phase2.py", ["003"]),
        new("ryancinsight/RustGPT", "69aa104b76e15026ee08d5c226ea26ccbc67da93", "src/ at that commit (later commits rework and then remove HyperMixer)", ["004"]),
    ];

    /// <summary>One item per document (its file and title) and per upstream repository (with its commit).</summary>
    public static IReadOnlyList<IReadOnlyList<Run>> Items(IReadOnlyList<LedgerRow> ledger)
    {
        var items = new List<IReadOnlyList<Run>>();
        foreach (var doc in ClaimCatalog.All.GroupBy(c => c.Document).OrderBy(g => g.Key))
        {
            var c = doc.First();
            items.Add([new Run($"[{doc.Key}] ", RunStyle.Bold), new Run(c.Title, RunStyle.Italic),
                $". Architecture document {doc.Key}, file {c.Source} ({doc.Count()} claims, {doc.First().Prefix}-01 to {doc.Last().Id}; this project's name {LedgerDigest.DocumentName(doc.Key)})."]);
        }
        foreach (var u in Repositories)
            items.Add([new Run(u.Repository, RunStyle.Bold), $", commit {u.Commit[..12]} (full: {u.Commit}): {u.Files}. Code behind document{(u.Documents.Count > 1 ? "s" : "")} {string.Join(", ", u.Documents)}."]);
        return items;
    }
}
