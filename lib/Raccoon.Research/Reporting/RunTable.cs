using System.Globalization;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;

namespace Raccoon.Research.Reporting;

/// <summary>
/// Where and how a run was measured, made once for the report's "The run" section and the write-up's Table 1: the claims
/// measured, profiles, seeds, torch threads, experiments and their time, when, the library builds, then the machine
/// (CPU, cores, TorchSharp, libtorch, .NET, OS, whether the build is optimized) and the plotly.js the pages inline.
/// </summary>
public static class RunTable
{
    public static Table Of(IReadOnlyList<LedgerRow> ledger, IReadOnlyList<StoredResult> results, MachineContext? machine)
    {
        static string List<T>(IEnumerable<T> xs)
        {
            var l = xs.Select(x => Convert.ToString(x, CultureInfo.InvariantCulture) ?? "").Where(x => x.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList();
            return l.Count == 0 ? "none" : string.Join(", ", l);
        }
        var measured = ledger.Where(r => r.Verdict != Verdict.NotRun).ToList();
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "claims measured", string.Create(CultureInfo.InvariantCulture, $"{measured.Count} of {ledger.Count}") },
            new[] { "profiles", List(measured.Select(r => r.Profile)) },
            new[] { "seeds", List(measured.Select(r => r.Seed)) },
            new[] { "torch threads", List(results.Select(r => r.Threads)) },
            new[] { "experiments", results.Count.ToString(CultureInfo.InvariantCulture) },
            new[] { "experiment time", results.Sum(r => r.Seconds).ToString("F0", CultureInfo.InvariantCulture) + " s" },
            new[] { "measured", measured.Count == 0 ? "none"
                : string.Create(CultureInfo.InvariantCulture, $"{measured.Min(r => r.MeasuredAt):u} to {measured.Max(r => r.MeasuredAt):u}") },
            new[] { "library builds", List(results.Select(r => r.LibraryVersion)) },
            new[] { "other processes", OtherProcesses(results) },
        };
        if (machine is not null)
            rows.AddRange(machine.ToTable().Rows.Where(r => r[0] is not ("torch threads" or "host"))
                .Select(r => r[0] == "optimized build" && !machine.Optimized ? (IReadOnlyList<string>)[r[0], "no (DEBUG: timings not comparable)"] : r));
        rows.Add(["plotly.js", PlotlyJs.Version]);
        return new Table("Run", ["property", "value"], rows).Named("run");
    }

    /// <summary>The CPU other processes used while the experiments ran (<see cref="MachineLoad"/>), at its busiest: a
    /// timing taken beside other work is not from a quiet machine, and the reader is told where.</summary>
    public static string OtherProcesses(IReadOnlyList<StoredResult> results)
    {
        var read = results.Where(r => r.OtherCores is not null).ToList();
        if (read.Count == 0) return "not recorded";
        var busiest = read.MaxBy(r => r.OtherCores!.Value)!;
        double mean = read.Sum(r => r.OtherCores!.Value * r.Seconds) / Math.Max(read.Sum(r => r.Seconds), 1e-9);
        string unread = read.Count < results.Count
            ? string.Create(CultureInfo.InvariantCulture, $"; {results.Count - read.Count} stored by a build that did not record it") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{mean:0.00} cores on average, at most {busiest.OtherCores:0.00} (during {busiest.Experiment}), of {read.Count} experiment(s) read{unread}");
    }
}
