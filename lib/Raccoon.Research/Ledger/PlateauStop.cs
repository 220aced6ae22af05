using System.Globalization;

namespace Raccoon.Research.Ledger;

/// <summary>
/// Where a training loop stops: at the first evaluation where every plateau test of the claims it serves (their
/// <see cref="ConvergenceRule"/> in claims.json, the very rules the ledger applies to the finished trace) passes on
/// the trace so far. With no rule it never stops the loop, which then runs to its profile's cap. The loop reports why
/// it stopped with <see cref="Because"/>.
/// </summary>
public sealed record PlateauStop(IReadOnlyList<ConvergenceRule> Rules)
{
    public static PlateauStop None { get; } = new([]);

    /// <summary>The plateau tests of <paramref name="claims"/> that have one, by claim ID.</summary>
    public static IReadOnlyDictionary<string, ConvergenceRule> Of(IEnumerable<Claim> claims) =>
        claims.Where(c => c.Rule.Convergence is not null).ToDictionary(c => c.Id, c => c.Rule.Convergence!);

    /// <summary>Whether any rule is given (without one, a loop runs to its cap).</summary>
    public bool Active => Rules.Count > 0;

    /// <summary>The fewest evaluations at which every rule could pass: a loop must evaluate at least this often before its cap.</summary>
    public int Needed => Rules.Count == 0 ? 0 : Rules.Max(r => Math.Max(r.Needed, r.Window + 1));

    /// <summary>Whether every rule passes on <paramref name="trace"/> so far (false without a rule).</summary>
    public bool Reached(HeldOutTrace trace) => Active && trace.Values.Count > 0 && Rules.All(r => r.NotConverged(trace) is null);

    /// <summary>The step of the first evaluation at which every rule passes on the trace up to it, or null where none does
    /// (or no rule is given).</summary>
    public double? At(HeldOutTrace trace) => Active ? trace.FirstStepWhere(Reached) : null;

    /// <summary>The step of the first evaluation from which every rule passes at each later evaluation to the end of the
    /// trace: where a run that went on past an early plateau (a floor, a cap) settled for good, or null where the rules do
    /// not pass at its end. Equals <see cref="At"/> for a loop that stopped at its first plateau.</summary>
    public double? Settled(HeldOutTrace trace) => Active ? trace.SettledWhere(Reached) : null;

    /// <summary>Why a loop stopped, in the words a trace's StoppedBecause keeps: "plateau at epoch 14" or "cap of 40 epochs".</summary>
    public static string Because(bool plateau, double at, string unit) =>
        plateau ? $"plateau at {unit} {at.ToString("0", CultureInfo.InvariantCulture)}" : $"cap of {at.ToString("0", CultureInfo.InvariantCulture)} {unit}s";
}
