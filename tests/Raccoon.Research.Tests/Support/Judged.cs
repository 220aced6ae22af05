using Raccoon.Research.Ledger;

namespace Raccoon.Research.Tests.Support;

/// <summary>A measurement's verdict as the ledger gives it (experiments return figures only).</summary>
public static class Judged
{
    public static Verdict Verdict(Measurement m, string profile = "quick") =>
        Judge.Row(ClaimCatalog.Get(m.ClaimId), m, "test", profile, 1, DateTimeOffset.UnixEpoch).Verdict;
}
