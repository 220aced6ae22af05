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
        // a whole number of 10,000 or more (12,000 solver steps, 355,532,800 parameters) whole, not "1.2E+04"
        string v = Math.Abs(Value) >= 1e4 && Math.Abs(Value) < 1e15 && Value == Math.Round(Value)
            ? Value.ToString("#,0", CultureInfo.InvariantCulture)
            : Value.ToString("G4", CultureInfo.InvariantCulture);
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

    /// <summary>The trace up to its <paramref name="k"/>-th evaluation, as a loop that stopped there would hold it.</summary>
    public HeldOutTrace Prefix(int k) => this with { Steps = Steps.Take(k).ToList(), Values = Values.Take(k).ToList() };

    /// <summary>The step of the first evaluation (from the <paramref name="from"/>-th on) whose prefix passes
    /// <paramref name="passes"/>, or null where none does: where a loop testing after each evaluation would stop.</summary>
    public double? FirstStepWhere(Func<HeldOutTrace, bool> passes, int from = 1)
    {
        for (int k = Math.Max(1, from); k <= Values.Count; k++)
            if (passes(Prefix(k))) return Steps[k - 1];
        return null;
    }

    /// <summary>The step of the first evaluation from which every prefix, to the end of the trace, passes
    /// <paramref name="passes"/>: where the run settled for good. Null where the whole trace does not pass.</summary>
    public double? SettledWhere(Func<HeldOutTrace, bool> passes)
    {
        int first = -1;
        for (int k = Values.Count; k >= 1 && passes(Prefix(k)); k--) first = k;
        return first < 0 ? null : Steps[first - 1];
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
/// has at least <paramref name="MinEvaluations"/> evaluations (default twice the window) and, where
/// <paramref name="MinStep"/> is given, has trained to at least that step (a floor such as upstream's own training length:
/// a flat stretch before it is a pause, not the plateau).
/// </summary>
public sealed record ConvergenceRule(int Window, double MaxChange, bool Relative = true, int? MinEvaluations = null, double? MinStep = null)
{
    public int Needed => MinEvaluations ?? 2 * Window;

    /// <summary>The step of the first evaluation at which the plateau test passes on the trace so far (the epochs or
    /// steps to the plateau), or null where it never does.</summary>
    public double? PlateauAt(HeldOutTrace trace) => trace.FirstStepWhere(t => NotConverged(t) is null, Math.Max(Needed, Window + 1));

    /// <summary>Null when <paramref name="trace"/> converged; else why not, in words.</summary>
    public string? NotConverged(HeldOutTrace trace)
    {
        int n = trace.Values.Count;
        string steps = trace.Steps.Count == 0 ? "0" : trace.Steps[^1].ToString("0", CultureInfo.InvariantCulture);
        if (n < Needed || n <= Window)
            return $"{trace.Name}: {n} evaluation(s) up to step {steps}, fewer than the {Needed} the plateau test needs ({trace.StoppedBecause})";
        if (MinStep is double floor && trace.Steps[^1] < floor)
            return $"{trace.Name}: trained to step {steps}, short of the {floor.ToString("N0", CultureInfo.InvariantCulture)} steps its plateau test needs first ({trace.StoppedBecause})";
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

/// <summary>
/// One training run of a search for where training breaks (T1-10): the arm it belongs to (what is compared, such
/// as "postNorm"), the size it ran at (a depth), a label (its learning rate and seed) and its figures (first loss,
/// final loss, whether a loss or gradient went non-finite, ...). The run carries no judgement of its own: the
/// claim's <see cref="BreakSearch"/> in claims.json says what "destabilised" means.
/// </summary>
public sealed record SearchRun(string Arm, double Size, string Label, IReadOnlyList<Quantity> Figures);

/// <summary>
/// A search for the largest size at which training stays stable, fixed in claims.json: a run is destabilised when
/// any of <paramref name="Destabilised"/> holds on its figures (a condition its figures leave undecided counts as
/// destabilised: the run was not shown stable); an arm's deepest stable size is the largest size tried at which no
/// run of it, and no run at any smaller size, was destabilised. It is a bound where the search ran out: stable at
/// the largest size tried means at least that size (censored above); destabilised at the smallest means below it.
/// Between two sizes tried the deepest stable size is known only to the grid: [stable size, next size tried).
/// The rule's headline figure is <paramref name="Stable"/>'s deepest stable size over <paramref name="Versus"/>'s.
/// </summary>
public sealed record BreakSearch(string Stable, string Versus, IReadOnlyList<Condition> Destabilised, string Size = "depth")
{
    public void Validate(string claimId)
    {
        if (string.IsNullOrWhiteSpace(Stable) || string.IsNullOrWhiteSpace(Versus) || Stable == Versus)
            throw new InvalidDataException($"claim {claimId}: search needs two different arms ('stable' and 'versus')");
        if (Destabilised is not { Count: > 0 })
            throw new InvalidDataException($"claim {claimId}: search needs 'destabilised': the conditions under which a run counts as destabilised");
        foreach (var c in Destabilised) c.Validate(claimId);
    }

    /// <summary>Whether one run was destabilised, and by which condition (null when it was not).</summary>
    public string? Broke(SearchRun run, string claimId)
    {
        var figures = run.Figures.ToDictionary(q => q.Name);
        foreach (var c in Destabilised)
            if (c.Decide(figures, claimId) != false) return c.ToString();
        return null;
    }

    /// <summary>One arm's deepest stable size as a figure named "{arm}Deepest{Size}" (an interval to the next size tried;
    /// censored above where every size tried was stable, below where the smallest already broke), and in words.</summary>
    public (Quantity Figure, string Text) Deepest(IReadOnlyList<SearchRun> runs, string arm, string claimId)
    {
        var mine = runs.Where(r => r.Arm == arm).ToList();
        if (mine.Count == 0) throw new ArgumentException($"{claimId}: the search has no run of arm '{arm}' (arms: {string.Join(", ", runs.Select(r => r.Arm).Distinct())})");
        var sizes = mine.Select(r => r.Size).Distinct().Order().ToList();
        string name = $"{arm}DeepestStable";
        string unit = Size;
        for (int i = 0; i < sizes.Count; i++)
        {
            var broken = mine.Where(r => r.Size == sizes[i]).Select(r => (r, why: Broke(r, claimId))).Where(x => x.why is not null).ToList();
            if (broken.Count == 0) continue;
            string which = $"destabilised at {Num(sizes[i])} in {broken.Count} of {mine.Count(r => r.Size == sizes[i])} runs ({string.Join("; ", broken.Take(3).Select(x => $"{x.r.Label}: {x.why}"))})";
            if (i == 0)
                return (new Quantity(name, sizes[0], unit, Censored: Censor.Below), $"{arm}: below {Num(sizes[0])}, the smallest {Size} tried, {which}");
            return (new Quantity(name, sizes[i - 1], unit, new MeasuredInterval(sizes[i - 1], sizes[i])),
                $"{arm}: {Num(sizes[i - 1])} (stable up to it, {which})");
        }
        return (new Quantity(name, sizes[^1], unit, Censored: Censor.Above),
            $"{arm}: at least {Num(sizes[^1])} (no run destabilised at any {Size} tried, {Num(sizes[0])} to {Num(sizes[^1])})");
    }

    /// <summary>The headline: the stable arm's deepest stable size over the other's, as a range from both arms' ranges
    /// (a point with its grid interval, a bound where one side is open, unbounded where both are).</summary>
    public static (double Value, MeasuredInterval? Interval, Censor Censored) Ratio(Quantity stable, Quantity versus)
    {
        (double Lo, double Hi) R(Quantity q) => q.Censored switch
        {
            Censor.Above => (q.Value, double.PositiveInfinity),
            Censor.Below => (0, q.Value),
            _ => (q.Interval?.Low ?? q.Value, q.Interval?.High ?? q.Value),
        };
        var (a, b) = (R(stable), R(versus));
        double lo = b.Hi == double.PositiveInfinity ? 0 : a.Lo / b.Hi;
        double hi = b.Lo == 0 ? double.PositiveInfinity : a.Hi / b.Lo;
        if (lo == 0 && double.IsPositiveInfinity(hi)) return (1, null, Censor.Unbounded);
        if (double.IsPositiveInfinity(hi)) return (lo, null, Censor.Above);
        if (lo == 0) return (hi, null, Censor.Below);
        double point = stable.Value / versus.Value;
        return (point, new MeasuredInterval(Math.Min(lo, point), Math.Max(hi, point)), Censor.None);
    }

    static string Num(double x) => x.ToString("G6", CultureInfo.InvariantCulture);
}
