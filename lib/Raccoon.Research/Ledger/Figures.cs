using System.Globalization;
using Raccoon.Research.Measurements;

namespace Raccoon.Research.Ledger;

/// <summary>Where a figure is only bounded: <see cref="Above"/> means the true figure is at least the value
/// reported (a search that hit its largest size without the event it looked for), <see cref="Below"/> at most,
/// <see cref="Unbounded"/> that nothing was learnt about it (both sides of a ratio censored).</summary>
public enum Censor { None, Above, Below, Unbounded }

/// <summary>
/// One named figure an experiment measured for a claim: its value, unit, interval (with the sampling design that
/// produced it), how many samples it rests on, and whether it is only a bound. Figures carry no verdict: the
/// ledger judges them by the claim's rule in claims.json.
/// </summary>
public sealed record Quantity(string Name, double Value, string? Unit = null, MeasuredInterval? Interval = null,
    Censor Censored = Censor.None, int? Samples = null, Sampling? Design = null)
{
    /// <summary>The values the figure may take given its interval and censoring, as [low, high].</summary>
    public (double Low, double High) Range => Censored switch
    {
        Censor.Above => (Interval?.Low ?? Value, double.PositiveInfinity),
        Censor.Below => (double.NegativeInfinity, Interval?.High ?? Value),
        Censor.Unbounded => (double.NegativeInfinity, double.PositiveInfinity),
        _ => (Interval?.Low ?? Value, Interval?.High ?? Value),
    };

    public override string ToString()
    {
        string v = Value.ToString("G4", CultureInfo.InvariantCulture);
        string bound = Censored switch { Censor.Above => ">= ", Censor.Below => "<= ", _ => "" };
        return Censored == Censor.Unbounded ? $"{Name} not bounded (censored)"
            : $"{Name} {bound}{v}{(Unit is null ? "" : " " + Unit)}{(Interval is null ? "" : " " + Interval)}";
    }
}

/// <summary>
/// A trained model's held-out metric at each evaluation (the step or epoch it was taken at), and why training
/// stopped. The ledger reads it to decide whether the model converged before any figure from it is judged.
/// </summary>
public sealed record HeldOutTrace(string Name, string Metric, bool HigherIsBetter, IReadOnlyList<double> Steps,
    IReadOnlyList<double> Values, string StoppedBecause)
{
    /// <summary>
    /// A trace from per-step losses on fresh batches (a task that draws a new batch every step, so each batch is
    /// unseen when its loss is taken): the mean loss of each of <paramref name="evaluations"/> consecutive blocks of
    /// steps is one evaluation, at the block's last step.
    /// </summary>
    public static HeldOutTrace FromFreshBatchLosses(string name, IReadOnlyList<double> losses, int evaluations, string stoppedBecause)
    {
        if (losses.Count == 0) throw new ArgumentException($"trace '{name}' has no loss");
        int n = Math.Max(1, Math.Min(evaluations, losses.Count)), per = losses.Count / n;
        var steps = new List<double>(); var values = new List<double>();
        for (int i = 0; i < n; i++)
        {
            int from = i * per, to = i == n - 1 ? losses.Count : from + per;
            var block = losses.Skip(from).Take(to - from).Where(double.IsFinite).ToList();
            if (block.Count == 0) continue;
            steps.Add(to); values.Add(block.Average());
        }
        return new HeldOutTrace(name, $"loss on fresh batches (mean of blocks of {per} steps)", false, steps, values, stoppedBecause);
    }

    public void Validate()
    {
        if (Steps.Count != Values.Count)
            throw new ArgumentException($"trace '{Name}' has {Steps.Count} steps but {Values.Count} values");
        if (Values.Count == 0) throw new ArgumentException($"trace '{Name}' has no evaluation");
        if (Values.Any(v => !double.IsFinite(v))) throw new ArgumentException($"trace '{Name}' has a value that is not finite");
    }
}

/// <summary>
/// The plateau test of a claim whose figures come from training, fixed in claims.json: the best held-out value of the
/// last <paramref name="Window"/> evaluations improves on the best before them by at most <paramref name="MaxChange"/>
/// (relative to the earlier best when <paramref name="Relative"/>, else in the metric's own units), and the trace
/// has at least <paramref name="MinEvaluations"/> evaluations (default twice the window).
/// </summary>
public sealed record ConvergenceRule(int Window, double MaxChange, bool Relative = true, int? MinEvaluations = null)
{
    public int Needed => MinEvaluations ?? 2 * Window;

    /// <summary>Null when <paramref name="trace"/> converged; else why not, in words.</summary>
    /// <summary>The step of the first evaluation at which the plateau test passes on the trace so far (the epochs or
    /// steps to the plateau), or null where it never does.</summary>
    public double? PlateauAt(HeldOutTrace trace)
    {
        for (int k = Math.Max(Needed, Window + 1); k <= trace.Values.Count; k++)
            if (NotConverged(trace with { Steps = trace.Steps.Take(k).ToList(), Values = trace.Values.Take(k).ToList() }) is null)
                return trace.Steps[k - 1];
        return null;
    }

    public string? NotConverged(HeldOutTrace trace)
    {
        int n = trace.Values.Count;
        string steps = trace.Steps.Count == 0 ? "0" : trace.Steps[^1].ToString("0", CultureInfo.InvariantCulture);
        if (n < Needed || n <= Window)
            return $"{trace.Name}: {n} evaluation(s) up to step {steps}, fewer than the {Needed} the plateau test needs ({trace.StoppedBecause})";
        double Best(IEnumerable<double> xs) => trace.HigherIsBetter ? xs.Max() : xs.Min();
        double before = Best(trace.Values.Take(n - Window)), last = Best(trace.Values.Skip(n - Window));
        double gain = trace.HigherIsBetter ? last - before : before - last;
        double moved = Relative ? gain / Math.Max(Math.Abs(before), 1e-12) : gain;
        if (moved <= MaxChange) return null;
        string Show(double x) => Relative ? x.ToString("P1", CultureInfo.InvariantCulture) : x.ToString("G3", CultureInfo.InvariantCulture);
        return $"{trace.Name}: its {trace.Metric} still improved by {Show(moved)} over the last {Window} evaluations (plateau: at most {Show(MaxChange)}) " +
               $"after {n} evaluations up to step {steps} ({trace.StoppedBecause})";
    }
}

/// <summary>
/// One condition of a rule over named figures, fixed in claims.json with its reason: <c>figure op value</c>,
/// <c>figure op factor x than</c> (another figure), or <c>figure between [lo, hi]</c>. Ops: &gt;, &gt;=, &lt;, &lt;=, ==, between.
/// It is decided on the figure's whole range (interval, censoring): true or false when every value in the range
/// agrees, null (undecided) otherwise.
/// </summary>
public sealed record Condition(string Figure, string Op, double? Value = null, IReadOnlyList<double>? Between = null,
    string? Than = null, double? Factor = null, string? Why = null)
{
    public static readonly IReadOnlyList<string> Ops = [">", ">=", "<", "<=", "==", "between"];

    public void Validate(string claimId)
    {
        void Fail(string why) => throw new InvalidDataException($"claim {claimId}: condition on '{Figure}' {why}");
        if (string.IsNullOrWhiteSpace(Figure)) Fail("names no figure");
        if (!Ops.Contains(Op)) Fail($"has an unknown op '{Op}' (expected {string.Join(", ", Ops)})");
        if (string.IsNullOrWhiteSpace(Why)) Fail("has no reason ('why'): every threshold says why");
        if (Op == "between")
        {
            if (Between is not { Count: 2 } b || !(b[0] < b[1]) || !double.IsFinite(b[0]) || !double.IsFinite(b[1]))
                Fail("needs 'between': [low, high] with low < high");
            if (Value is not null || Than is not null) Fail("takes only 'between'");
            return;
        }
        if (Between is not null) Fail($"has 'between' with op '{Op}'");
        if ((Value is null) == (Than is null)) Fail("needs exactly one of 'value' and 'than'");
        if (Value is double v && !double.IsFinite(v)) Fail("has a value that is not finite");
        if (Factor is double f && (Than is null || !(f > 0) || !double.IsFinite(f))) Fail("has a 'factor', which needs 'than' and a positive number");
    }

    /// <summary>Decided on the figures' ranges: true, false, or null where the range straddles the threshold.</summary>
    public bool? Decide(IReadOnlyDictionary<string, Quantity> figures, string claimId)
    {
        var (lo, hi) = Get(figures, Figure, claimId).Range;
        double tlo, thi;
        if (Op == "between")
        {
            double a = Between![0], b = Between[1];
            if (lo >= a && hi <= b) return true;
            if (hi < a || lo > b) return false;
            return null;
        }
        if (Than is not null)
        {
            var (rlo, rhi) = Get(figures, Than, claimId).Range;
            double f = Factor ?? 1;
            (tlo, thi) = (f * rlo, f * rhi);
        }
        else (tlo, thi) = (Value!.Value, Value!.Value);
        return Op switch
        {
            ">" => lo > thi ? true : hi <= tlo ? false : null,
            ">=" => lo >= thi ? true : hi < tlo ? false : null,
            "<" => hi < tlo ? true : lo >= thi ? false : null,
            "<=" => hi <= tlo ? true : lo > thi ? false : null,
            "==" => lo == hi && tlo == thi && lo == tlo ? true : hi < tlo || lo > thi ? false : null,
            _ => throw new InvalidDataException($"claim {claimId}: unknown op '{Op}'"),
        };
    }

    /// <summary>"qkvSpeedup > 1" in words, for the row's reason.</summary>
    public override string ToString() => Op == "between"
        ? $"{Figure} in [{Num(Between![0])}, {Num(Between[1])}]"
        : $"{Figure} {Op} {(Than is null ? Num(Value!.Value) : (Factor is double f && f != 1 ? Num(f) + " x " : "") + Than)}";

    static string Num(double x) => x.ToString("G6", CultureInfo.InvariantCulture);

    static Quantity Get(IReadOnlyDictionary<string, Quantity> figures, string name, string claimId) =>
        figures.TryGetValue(name, out var q) ? q
        : throw new ArgumentException($"{claimId}: the rule reads figure '{name}', which the measurement does not give (it gives: {(figures.Count == 0 ? "none" : string.Join(", ", figures.Keys))})");
}
