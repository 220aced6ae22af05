using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Reporting;
using Raccoon.Research.Views;
using Raccoon.Research.Reporting.WriteUp;

namespace Raccoon.Research.Tests.Reporting;

/// <summary>The run table (machine, threads, build, timings) is made once, by <see cref="RunTable"/>, and the report's
/// "The run" section and the write-up's Table 1 both show exactly its rows.</summary>
public sealed class RunTableTests
{
    static readonly MachineContext Machine = new("Test CPU", 4, 2, 2, "0.107.0", "2.10.0", ".NET 10.0", "Debian 12", false, "test-host");

    /// <summary>Two experiments' results at different profiles, seeds, threads and times.</summary>
    static (IReadOnlyList<LedgerRow> Ledger, IReadOnlyList<StoredResult> Results) Sample()
    {
        var ratio = ClaimCatalog.All.First(c => c.Rule.Kind == "ratio" && c.Id != "R0-01");
        var a = new StoredResult("run-a", Profile.Quick, 1, ResultStore.LibraryVersion, 2, new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero), 1.5,
            [Measurement.Number("R0-01", 6.2, "6.2x fewer parameters")], [], [], OtherCores: 0.1);
        var b = new StoredResult("run-b", Profile.Standard, 3, ResultStore.LibraryVersion, 1, new DateTimeOffset(2026, 12, 2, 8, 30, 0, TimeSpan.Zero), 2.7,
            [Measurement.Number(ratio.Id, 1.3, "1.3x faster")], [], []);
        return (Reproduction.BuildLedger(ClaimCatalog.All, [a, b], null), [a, b]);
    }

    [Fact]
    public void The_run_table_names_the_claims_profiles_seeds_threads_time_builds_and_machine()
    {
        var (ledger, results) = Sample();
        var table = RunTable.Of(ledger, results, Machine);
        Assert.Equal("run", table.Key);
        Assert.Equal(["property", "value"], table.Columns);
        string[][] expected =
        [
            ["claims measured", $"2 of {ClaimCatalog.All.Count}"],
            ["profiles", "quick, standard"],
            ["seeds", "1, 3"],
            ["torch threads", "1, 2"],
            ["experiments", "2"],
            ["experiment time", "4 s"],
            ["measured", "2026-12-01 12:00:00Z to 2026-12-02 08:30:00Z"],
            ["library builds", ResultStore.LibraryVersion],
            ["other processes", "0.10 cores on average, at most 0.10 (during run-a), of 1 experiment(s) read; 1 stored by a build that did not record it"],
            ["CPU", "Test CPU"],
            ["logical cores", "4"],
            ["physical cores", "2"],
            ["TorchSharp", "0.107.0"],
            ["libtorch", "2.10.0"],
            [".NET", ".NET 10.0"],
            ["OS", "Debian 12"],
            ["optimized build", "no (DEBUG: timings not comparable)"],
            ["plotly.js", PlotlyJs.Version],
        ];
        Assert.Equal(expected.Select(r => string.Join(" | ", r)), table.Rows.Select(r => string.Join(" | ", r)));

        var empty = RunTable.Of([.. ClaimCatalog.All.Select(LedgerRow.NotRun)], [], null);
        Assert.Equal(["claims measured | 0 of " + ClaimCatalog.All.Count, "profiles | none", "seeds | none", "torch threads | none", "experiments | 0",
            "experiment time | 0 s", "measured | none", "library builds | none", "other processes | not recorded", "plotly.js | " + PlotlyJs.Version], empty.Rows.Select(r => string.Join(" | ", r)));
    }

    [Fact]
    public void The_report_and_the_write_up_show_the_same_run_table()
    {
        var (ledger, results) = Sample();
        var rows = RunTable.Of(ledger, results, Machine).Rows;

        string report = HtmlReport.Render(ledger, results, [], Path.GetTempPath(), Machine);
        string expected = "<h2 id=\"run\">The run</h2><table class=\"run\"><tbody>" +
            string.Concat(rows.Select(r => $"<tr><th>{Html.Escape(r[0])}</th><td>{Html.Escape(r[1])}</td></tr>")) + "</tbody></table>";
        Assert.Contains(expected, report);

        var (_, tables) = PaperWriteUp.Number(ledger, results, Machine);
        Assert.Equal(1, tables[0].Number);
        Assert.Equal(rows.Select(r => string.Join(" | ", r)), tables[0].Table.Rows.Select(r => string.Join(" | ", r)));
    }
}
