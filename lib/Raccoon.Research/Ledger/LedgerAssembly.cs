namespace Raccoon.Research.Ledger;

/// <summary>
/// One ledger from this run's judged rows and the last run's: every claim once, in catalog order. A row of a claim
/// not selected this time is carried over and judged again under today's rules from its stored measurement; where
/// that measurement is gone or today's rule cannot read it, the row is inconclusive and says why, never the old verdict.
/// </summary>
public static class LedgerAssembly
{
    public static IReadOnlyList<LedgerRow> Assemble(IReadOnlyList<Claim> selected, IReadOnlyDictionary<string, LedgerRow> measured,
        IReadOnlyList<LedgerRow>? previous, Func<LedgerRow, Measurement?>? stored = null)
    {
        var selectedIds = selected.Select(c => c.Id).ToHashSet();
        var before = previous?.ToDictionary(r => r.Id) ?? [];
        return ClaimCatalog.All.Select(c =>
            measured.TryGetValue(c.Id, out var row) ? row
            : !selectedIds.Contains(c.Id) && before.TryGetValue(c.Id, out var old) && old.Verdict != Verdict.NotRun ? Rejudge(c, old, stored)
            : LedgerRow.NotRun(c)).ToList();
    }

    static LedgerRow Rejudge(Claim claim, LedgerRow old, Func<LedgerRow, Measurement?>? stored)
    {
        var evidence = string.IsNullOrEmpty(old.Evidence) ? $"experiment {old.Experiment}" : old.Evidence;
        var m = stored?.Invoke(old);
        if (m is not null && old.Experiment is { } e && old.Profile is { } p && old.Seed is int s && old.MeasuredAt is { } at)
        {
            try
            {
                return LedgerRow.From(claim, m, e, p, s, at, old.Threads, old.Optimized) with { Evidence = evidence };
            }
            catch (ArgumentException ex)
            {
                return old with { Verdict = Verdict.Inconclusive, Evidence = evidence, Builds = null,
                    Reason = $"carried over from an earlier run whose stored figures today's rule cannot read ({ex.Message}); run the claim again" };
            }
        }
        return old with { Verdict = Verdict.Inconclusive, Evidence = evidence, Builds = null,
            Reason = $"carried over from an earlier run (it read {old.Verdict.Name()}) but its stored result is not in this folder, so today's rules could not judge it again; run the claim again" };
    }
}
