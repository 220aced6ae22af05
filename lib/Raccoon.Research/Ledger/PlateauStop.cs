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

    /// <summary>How long a set of runs trained, for the sentence that reports them (a loop stopped at its plateau trained
    /// less than its cap): "200 steps" where every run ran to the cap; "to the plateau, 550-650 steps (cap 3,000)" where
    /// every run stopped there; "550-3,000 steps (2 of 6 at the cap of 3,000, the rest at the plateau)" where some did.
    /// Each run is its steps (or epochs) trained and whether it stopped at the plateau.</summary>
    public static string TrainedFor(IReadOnlyList<(double Trained, bool AtPlateau)> runs, int cap, string unit)
    {
        if (runs.Count == 0) throw new ArgumentException("no run to say how long it trained", nameof(runs));
        static string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        double lo = runs.Min(r => r.Trained), hi = runs.Max(r => r.Trained);
        string span = lo == hi ? $"{N(lo)} {unit}s" : $"{N(lo)}-{N(hi)} {unit}s";
        int atPlateau = runs.Count(r => r.AtPlateau);
        if (atPlateau == 0) return span;
        if (atPlateau == runs.Count) return $"to the plateau, {span} (cap {N(cap)})";
        return $"{span} ({runs.Count - atPlateau} of {runs.Count} at the cap of {N(cap)}, the rest at the plateau)";
    }

    /// <summary><see cref="TrainedFor(IReadOnlyList{ValueTuple{double, bool}}, int, string)"/> of traces: each trained to
    /// its last evaluation, and stopped at the plateau where its StoppedBecause (<see cref="Because"/>) says so.</summary>
    public static string TrainedFor(IEnumerable<HeldOutTrace> traces, int cap, string unit) =>
        TrainedFor([.. traces.Select(t => (t.Steps[^1], t.StoppedBecause.StartsWith("plateau ", StringComparison.Ordinal)))], cap, unit);
}
