using System.Globalization;
using System.Text;
using Raccoon.Research.Experiments;
using Raccoon.Research.Measurements;

namespace Raccoon.Research.Planning;

/// <summary>Where a unit's cost comes from.</summary>
public enum CostBasis
{
    /// <summary>A few steps of the unit's model at the profile's size, timed on this machine now, times the planned steps.</summary>
    MeasuredStep,
    /// <summary>The seconds the experiment took at this profile on the development machine (experiment-costs.json).</summary>
    Recorded,
    /// <summary>The whole step does not fit in memory: a share of its batch timed now and scaled linearly to the batch.</summary>
    ScaledShare,
    /// <summary>Not even one sample of the step fits in memory: no cost (the unit is listed, marked, and left out of the total).</summary>
    NotPriced,
}

/// <summary>
/// One unit of a run's work (an experiment, or one (build, seed) part of a training experiment) and its cost on one node of
/// this machine's size: <see cref="Steps"/> x <see cref="StepSeconds"/> + <see cref="Evaluations"/> x
/// <see cref="EvaluationSeconds"/> + <see cref="OtherSeconds"/>. <see cref="Steps"/> is the cap the sizes record sets; early
/// stopping may end a unit sooner, so the cost is an upper bound for such units. <see cref="GpuSeconds"/>, where set, is an
/// estimate for a GPU (<see cref="GpuEstimate"/>), never a measurement. <see cref="PeakBytes"/>, where set, is the step's
/// estimated peak memory (<see cref="StepMemory"/>); a unit over a node's memory is marked in the plan.
/// </summary>
/// <param name="RunsAlone">Whether a node can run the unit by itself: a whole experiment, or a training unit its experiment
/// declares (<see cref="IExperiment.TrainingUnits"/>, <c>reproduce --unit</c>). A unit priced apart that its experiment cannot
/// run apart (a (build, seed) run of an experiment without training units) is placed on one node with the rest of its
/// experiment.</param>
public sealed record PlanUnit(string Experiment, string Unit, CostBasis Basis, long Steps = 0, double StepSeconds = 0,
    int Evaluations = 0, double EvaluationSeconds = 0, double OtherSeconds = 0, double? GpuSeconds = null, string? Note = null,
    long? PeakBytes = null, bool RunsAlone = true)
{
    /// <summary>Wall seconds on one node (0 for a unit not priced: it has no cost to add).</summary>
    public double Seconds => Basis == CostBasis.NotPriced ? 0 : Steps * StepSeconds + Evaluations * EvaluationSeconds + OtherSeconds;

    public void Validate()
    {
        if (Steps < 0 || Evaluations < 0) throw new ArgumentException($"{Experiment} / {Unit}: steps ({Steps}) and evaluations ({Evaluations}) cannot be negative");
        if (!(StepSeconds >= 0) || !(EvaluationSeconds >= 0) || !(OtherSeconds >= 0) || double.IsInfinity(StepSeconds + EvaluationSeconds + OtherSeconds))
            throw new ArgumentException($"{Experiment} / {Unit}: step, evaluation and other seconds must be finite and non-negative");
    }
}

/// <summary>
/// The cost plan of a run: every unit with its cost, the total, and the wall time on <see cref="Nodes"/> nodes of
/// <see cref="CoresPerNode"/> cores each. Units are indivisible: they are placed longest first, each on the least loaded
/// node (ties to the lower node), as <see cref="Sharding"/> places experiments, and the wall time is the most loaded
/// node's. Computing a plan runs nothing.
/// </summary>
/// <see cref="NodeMemoryBytes"/> is a node's memory (this machine's): a unit whose step needs more is marked as not fitting.
public sealed record RunPlan(Profile Profile, int Nodes, int CoresPerNode, IReadOnlyList<PlanUnit> Units, string StepCostsTaken, long? NodeMemoryBytes = null)
{
    /// <summary>A plan of <paramref name="units"/>; nodes below 1 or a unit with a bad cost names the problem.</summary>
    public static RunPlan Of(Profile profile, int nodes, int coresPerNode, IReadOnlyList<PlanUnit> units, string stepCostsTaken, long? nodeMemoryBytes = null)
    {
        if (nodes < 1) throw new ArgumentOutOfRangeException(nameof(nodes), nodes, $"--nodes must be at least 1, got {nodes}");
        if (coresPerNode < 1) throw new ArgumentOutOfRangeException(nameof(coresPerNode), coresPerNode, $"a node has at least 1 core, got {coresPerNode}");
        if (nodeMemoryBytes is < 1) throw new ArgumentOutOfRangeException(nameof(nodeMemoryBytes), nodeMemoryBytes, $"a node has some memory, got {nodeMemoryBytes} bytes");
        foreach (var u in units) u.Validate();
        return new RunPlan(profile, nodes, coresPerNode, units, stepCostsTaken, nodeMemoryBytes);
    }

    /// <summary>Whether <paramref name="unit"/>'s step needs more than a node's memory (false where either is unknown).</summary>
    public bool OverNodeMemory(PlanUnit unit) => unit.PeakBytes is long p && NodeMemoryBytes is long m && p > m;

    /// <summary>The units no cost could be given (not even one sample of their step fits in memory).</summary>
    public IReadOnlyList<PlanUnit> NotPriced => Units.Where(u => u.Basis == CostBasis.NotPriced).ToList();

    /// <summary>Seconds of every unit, on one node.</summary>
    public double NodeSeconds => Units.Sum(u => u.Seconds);

    /// <summary>Core-hours: node-seconds times the node's cores.</summary>
    public double CoreHours => NodeSeconds * CoresPerNode / 3600;

    /// <summary>What is placed on a node as one: a unit that runs alone, or all the units of an experiment that runs them
    /// together (in the order of the units; its name is the experiment's).</summary>
    public sealed record Placement(string Name, double Seconds, int Units, bool Together);

    /// <summary>The placements of the run: each unit that runs alone, and per experiment the units that do not, together.</summary>
    public IReadOnlyList<Placement> Placements =>
        Units.Select((u, i) => (u, i))
            .GroupBy(x => x.u.RunsAlone ? $"{x.u.Experiment} / {x.u.Unit}#{x.i}" : x.u.Experiment)
            .Select(g => new Placement(g.First().u.RunsAlone ? $"{g.First().u.Experiment} / {g.First().u.Unit}" : $"{g.Key} ({g.Count()} units run together)",
                g.Sum(x => x.u.Seconds), g.Count(), !g.First().u.RunsAlone))
            .ToList();

    /// <summary>Each node's seconds under the longest-first placement.</summary>
    public IReadOnlyList<double> NodeLoads
    {
        get
        {
            var loads = new double[Nodes];
            foreach (var p in Placements.Select((p, i) => (p, i)).OrderByDescending(x => x.p.Seconds).ThenBy(x => x.i))
            {
                int target = 0;
                for (int n = 1; n < Nodes; n++)
                    if (loads[n] < loads[target]) target = n;
                loads[target] += p.p.Seconds;
            }
            return loads;
        }
    }

    /// <summary>Wall seconds on <see cref="Nodes"/> nodes: the most loaded node's.</summary>
    public double WallSeconds => Units.Count == 0 ? 0 : NodeLoads.Max();

    /// <summary>The longest placement, which bounds the wall time however many nodes there are.</summary>
    public Placement? Longest => Units.Count == 0 ? null : Placements.MaxBy(p => p.Seconds);

    /// <summary>The plan as text: one line per unit, then the total and the wall time.</summary>
    public string Format()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        string memory = NodeMemoryBytes is long m ? string.Create(inv, $" and {m / 1073741824.0:0.#} GiB") : "";
        sb.AppendLine(inv, $"plan: profile {Profile.ToString().ToLowerInvariant()}, {Units.Count} units, on {Nodes} node(s) of {CoresPerNode} cores{memory} (this machine's size); nothing was run");
        sb.AppendLine(inv, $"step costs: {StepCostsTaken}");
        var rows = new List<string[]> { new[] { "experiment", "unit", "basis", "steps", "s/step", "evaluations", "node-hours", "core-hours", "GPU estimate" } };
        foreach (var u in Units)
            rows.Add([u.Experiment, u.Unit, Basis(u.Basis), u.Steps == 0 ? "-" : u.Steps.ToString("N0", inv),
                u.Steps == 0 ? "-" : u.Basis == CostBasis.NotPriced ? "?" : Seconds(u.StepSeconds), u.Evaluations == 0 ? "-" : $"{u.Evaluations.ToString("N0", inv)} x {Seconds(u.EvaluationSeconds)}",
                Hours(u.Seconds / 3600), Hours(u.Seconds * CoresPerNode / 3600), u.GpuSeconds is double g ? $"~{Hours(g / 3600)} h (estimate)" : "-"]);
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var r in rows)
            sb.AppendLine(string.Join("  ", r.Select((cell, c) => c is >= 3 and <= 7 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd());
        foreach (var u in Units.Where(u => u.Note is not null || OverNodeMemory(u)))
        {
            string over = OverNodeMemory(u)
                ? string.Create(inv, $"needs ~{Gb(u.PeakBytes!.Value)} GB, does not fit one node of {NodeMemoryBytes!.Value / 1073741824.0:0.#} GiB")
                : "";
            sb.AppendLine(inv, $"  {u.Experiment} / {u.Unit}: {string.Join("; ", new[] { over, u.Note ?? "" }.Where(t => t.Length > 0))}");
        }
        string without = NotPriced.Count == 0 ? ""
            : string.Create(inv, $", without the {NotPriced.Count} unit(s) not priced ({string.Join(", ", NotPriced.Select(u => $"{u.Experiment} / {u.Unit}"))})");
        sb.AppendLine(inv, $"total: {Hours(NodeSeconds / 3600)} node-hours = {Hours(CoreHours)} core-hours{without}");
        if (Units.Any(OverNodeMemory))
            sb.AppendLine(inv, $"over a node's memory: {Units.Count(OverNodeMemory)} unit(s) need more than one node's {NodeMemoryBytes!.Value / 1073741824.0:0.#} GiB for a step (a bigger node, or a smaller batch per step)");
        double gpu = Units.Sum(u => u.GpuSeconds ?? 0);
        if (Units.Any(u => u.GpuSeconds is not null))
            sb.AppendLine(inv, $"GPU estimate of the units marked: {Hours(gpu / 3600)} h on {GpuDevice.Rtx3090Amp.Name} (an estimate from measured CPU throughput, not a measurement)");
        var together = Placements.Where(p => p.Together).ToList();
        if (together.Count > 0)
            sb.AppendLine(inv, $"run together on one node (the experiment declares no training units a node can run alone): {string.Join(", ", together.Select(p => $"{p.Name}, {Hours(p.Seconds / 3600)} h"))}");
        sb.AppendLine(inv, $"wall time on {Nodes} node(s): {Hours(WallSeconds / 3600)} h (units placed longest first, each experiment's that run together as one; the longest, {Longest?.Name}, takes {Hours((Longest?.Seconds ?? 0) / 3600)} h alone)");
        return sb.ToString();
    }

    static string Basis(CostBasis b) => b switch
    {
        CostBasis.MeasuredStep => "measured step",
        CostBasis.ScaledShare => "scaled share",
        CostBasis.NotPriced => "not priced",
        _ => "recorded",
    };

    static string Gb(long bytes) => (bytes / 1e9).ToString(bytes >= 10e9 ? "0" : "0.0", CultureInfo.InvariantCulture);

    static string Seconds(double s) => s.ToString(s >= 10 ? "0.0" : s >= 0.01 ? "0.000" : "0.00000", CultureInfo.InvariantCulture);

    static string Hours(double h) => h.ToString(h >= 100 ? "N0" : h >= 1 ? "0.0" : "0.000", CultureInfo.InvariantCulture);
}
