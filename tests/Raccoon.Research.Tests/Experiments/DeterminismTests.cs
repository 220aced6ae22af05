using System.Text.Json;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Experiments;

/// <summary>
/// Two quick runs with the same seed give the same figures, experiment by experiment, except the ones the
/// experiment marks as timings or measured process memory (<see cref="FigureKind"/>), which vary by nature.
/// </summary>
public class DeterminismTests : IClassFixture<TorchFixture>
{
    [Theory]
    [InlineData("language-models-parameters", true)]
    [InlineData("log-classifiers-structure", true)]
    [InlineData("log-classifiers-memory", false)]
    [InlineData("language-models-cost", false)]
    public void Same_seed_same_non_timing_figures(string name, bool everyFigureComputed)
    {
        var experiment = ExperimentRegistry.Get(name);
        StoredResult Once() => ExperimentRunner.Run(experiment, new ExperimentContext(Profile.Quick, 3, 2, Repo.TempDir("determinism")), reuse: false);
        var a = Once();
        var b = Once();
        Assert.Equal(a.Measurements.Select(m => (m.ClaimId, m.Kind)), b.Measurements.Select(m => (m.ClaimId, m.Kind)));
        foreach (var (x, y) in a.Measurements.Zip(b.Measurements).Where(p => p.First.Kind == FigureKind.Computed))
        {
            Assert.True(x.Value == y.Value, $"{x.ClaimId}: {x.Value} then {y.Value}");
            Assert.True(Judged.Verdict(x) == Judged.Verdict(y), $"{x.ClaimId}: {Judged.Verdict(x)} then {Judged.Verdict(y)}");
            Assert.Equal((x.Figures ?? []).Select(f => (f.Name, f.Value)), (y.Figures ?? []).Select(f => (f.Name, f.Value)));
        }
        Assert.Equal(everyFigureComputed, a.Measurements.All(m => m.Kind == FigureKind.Computed));
        if (everyFigureComputed)
        {
            // Nothing timed: the whole result, words, charts and tables, is the same.
            // By value: a measurement holds lists (builds), which records compare by reference.
            Assert.Equal(JsonSerializer.Serialize(a.Measurements, Json.Options), JsonSerializer.Serialize(b.Measurements, Json.Options));
            Assert.Equal(JsonSerializer.Serialize(a.Figures, Json.Options), JsonSerializer.Serialize(b.Figures, Json.Options));
            Assert.Equal(JsonSerializer.Serialize(a.Tables, Json.Options), JsonSerializer.Serialize(b.Tables, Json.Options));
        }
    }

    [Fact]
    public void The_ledger_says_which_figures_are_timings()
    {
        var claim = ClaimCatalog.Get("R0-02");
        var timed = LedgerRow.From(claim, Measurement.Number("R0-02", 12, "12x") with { Kind = FigureKind.Timing }, "e", "quick", 1, DateTimeOffset.UnixEpoch);
        Assert.Equal(FigureKind.Timing, timed.FigureKind);
        Assert.Contains("\"figureKind\": \"timing\"", JsonSerializer.Serialize(timed, Json.Options));
        Assert.EndsWith(",timing,", LedgerFiles.ToCsv([timed]).Trim()); // then the build column, empty when not given
        Assert.Contains("[timing]", Raccoon.Research.Reporting.HtmlReport.LedgerTable([timed]));
        var counted = LedgerRow.From(ClaimCatalog.Get("R0-01"), Measurement.Number("R0-01", 31, "31x"), "e", "quick", 1, DateTimeOffset.UnixEpoch);
        Assert.Equal(FigureKind.Computed, counted.FigureKind);
        Assert.DoesNotContain("[timing]", Raccoon.Research.Reporting.HtmlReport.LedgerTable([counted]));
    }
}
