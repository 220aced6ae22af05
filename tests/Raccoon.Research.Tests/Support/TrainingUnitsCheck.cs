using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;

namespace Raccoon.Research.Tests.Support;

/// <summary>
/// An experiment's training units against its whole run: the whole run in one folder; in another, every unit trained alone
/// (<see cref="ExperimentRunner.TrainUnit"/>, in reverse order: a unit depends on nothing but the run's seed), then the run,
/// which must resume each unit's file at its end, write none of them again, and give the whole run's figures, traces and
/// search runs digit for digit (timings aside: they are taken again in each run).
/// </summary>
public static class TrainingUnitsCheck
{
    public static (ExperimentResult Whole, ExperimentResult Assembled) AloneThenRun(IExperiment experiment, Profile profile, string dir, params string[] timings)
    {
        var plateaus = PlateauStop.Of(experiment.Claims.Select(ClaimCatalog.Get));
        ExperimentContext At(string name) => new(profile, 1, 2, Repo.TempDir(name), Plateaus: plateaus);
        var whole = experiment.Run(At($"{dir}-whole"));

        var context = At($"{dir}-alone");
        var units = experiment.TrainingUnits(profile);
        Assert.NotEmpty(units);
        Assert.Equal(units.Count, units.Distinct().Count());
        foreach (var unit in units.Reverse())
        {
            var done = ExperimentRunner.TrainUnit(experiment, context, unit);
            Assert.Equal(unit, done.Unit);
            Assert.True(File.Exists(done.File), done.File);
        }
        string folder = ExperimentContext.TrainingDirectory(context.TrainingFolder, experiment.Name);
        var written = FileStamps.In(folder);
        var assembled = experiment.Run(context);
        Assert.Equal(written.Keys.Order(), Directory.GetFiles(folder).Order());
        FileStamps.AssertUnchanged(written);

        IEnumerable<(string, double)> Figures(IReadOnlyList<Quantity>? q) => (q ?? []).Where(f => !timings.Contains(f.Name)).Select(f => (f.Name, f.Value));
        Assert.Equal(whole.Measurements.Select(m => m.ClaimId), assembled.Measurements.Select(m => m.ClaimId));
        foreach (var (a, b) in whole.Measurements.Zip(assembled.Measurements))
        {
            Assert.Equal(Figures(a.Figures), Figures(b.Figures));
            Assert.Equal((a.Traces ?? []).SelectMany(t => t.Values), (b.Traces ?? []).SelectMany(t => t.Values));
            Assert.Equal((a.Traces ?? []).SelectMany(t => t.Steps), (b.Traces ?? []).SelectMany(t => t.Steps));
            Assert.Equal((a.Runs ?? []).SelectMany(r => Figures(r.Figures)), (b.Runs ?? []).SelectMany(r => Figures(r.Figures)));
            Assert.Equal((a.Builds ?? []).SelectMany(x => Figures(x.Figures)), (b.Builds ?? []).SelectMany(x => Figures(x.Figures)));
            Assert.Equal((a.Builds ?? []).SelectMany(x => (x.Traces ?? []).SelectMany(t => t.Values)), (b.Builds ?? []).SelectMany(x => (x.Traces ?? []).SelectMany(t => t.Values)));
        }
        return (whole, assembled);
    }
}
