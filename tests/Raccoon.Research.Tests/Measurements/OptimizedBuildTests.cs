using System.Diagnostics;
using System.Reflection;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;

namespace Raccoon.Research.Tests.Measurements;

/// <summary>Every timing the library takes comes from JIT-optimised code, whatever configuration built it.</summary>
public class OptimizedBuildTests
{
    [Fact]
    public void The_library_is_built_with_the_JIT_optimiser_on_in_every_configuration()
    {
        var attribute = typeof(MachineContext).Assembly.GetCustomAttribute<DebuggableAttribute>();
        Assert.False(attribute?.IsJITOptimizerDisabled ?? false,
            "Raccoon.Research.dll was built without optimisation: its timings would be Debug timings");
    }

    [Fact]
    public void Every_measured_ledger_row_names_the_build_that_measured_it()
    {
        Assert.True(MachineContext.LibraryOptimized);
        var claim = ClaimCatalog.Get("R0-02");
        var m = Measurement.Number("R0-02", 12, "12x") with { Kind = FigureKind.Timing };
        var optimized = LedgerRow.From(claim, m, "e", "quick", 1, DateTimeOffset.UnixEpoch, 2, optimized: true);
        var debug = LedgerRow.From(claim, m, "e", "quick", 1, DateTimeOffset.UnixEpoch, 2, optimized: false);
        Assert.Equal("optimized", optimized.BuildConfiguration);
        Assert.Equal("DEBUG", debug.BuildConfiguration);
        Assert.Equal("", LedgerRow.NotRun(claim).BuildConfiguration);
        string csv = LedgerFiles.ToCsv([optimized, debug]);
        string[] lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(",figure_kind,build", lines[0].TrimEnd());
        Assert.EndsWith(",timing,optimized", lines[1].TrimEnd());
        Assert.EndsWith(",timing,DEBUG", lines[2].TrimEnd());
    }
}
