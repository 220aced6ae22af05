using Raccoon.Research.Experiments;
using Raccoon.Research.Experiments.LanguageModels;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Reporting;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Experiments;

public class ReferenceResultsTests
{
    static readonly MachineContext Machine = new("test CPU", 2, 2, 2, "0.0", "0.0", ".NET", "Linux", true, "host");
    static readonly LanguageModelsTrainingExperiment Experiment = new();

    static HeldOutTrace Trace(string name, double last, string because) =>
        new(name, "held-out loss", false, [50, 100, 150, 200, 250, 300, 350], [4, 3, 2.5, last, last, last, last], because);

    /// <summary>H4-07 and H4-08 as language-models-training measures them; <paramref name="last"/> sets where the traces end.</summary>
    static IReadOnlyList<Measurement> Measured(double last, string because) =>
    [
        Measurement.Of("H4-07", "cuts", [new Quantity("largestCutParameterRatio", 0.8), new Quantity("worstCutLossRatio", 1.02)],
            traces: [Trace("full causal HyperMixer", last, because)]),
        Measurement.Of("H4-08", "both train", [new Quantity("transformerLossDrop", 0.3), new Quantity("hyperMixerLossDrop", 0.3),
            new Quantity("transformerGenerationOverUnigram", 0.6), new Quantity("hyperMixerGenerationOverUnigram", 0.7)],
            traces: [Trace("Transformer seed 1", last, because)]),
    ];

    static StoredResult Result(Profile profile, int seed, IReadOnlyList<Measurement> measurements) =>
        new(Experiment.Name, profile, seed, ResultStore.LibraryVersion, 2, new DateTimeOffset(2026, 12, 7, 1, 30, 0, TimeSpan.Zero), 600, measurements, [], []);

    [Fact]
    public void A_reference_result_round_trips_and_a_damaged_or_foreign_file_is_refused_by_name()
    {
        string dir = Repo.TempDir("reference");
        var saved = ReferenceResults.Save(dir, Experiment, Result(Profile.Reference, 1, Measured(2.3, "plateau at step 350")), 1234.5, Machine, "abc1234");
        var read = ReferenceResults.Load(dir, Experiment, 1)!;
        Assert.Equal(("abc1234", 1234.5, "reference run, 2026-12-07, abc1234"), (read.Commit, read.CpuSeconds, read.Source));
        Assert.Equal("plateau at step 350", read.Measurements.Single(m => m.ClaimId == "H4-08").Traces![0].StoppedBecause);
        Assert.Contains("\"steps\":3000", read.Sizes);
        Assert.Null(ReferenceResults.Load(dir, Experiment, 2)); // none committed for seed 2
        // The same result reused by a later run (no CPU time of its own) leaves the computed file as it is.
        var reused = ReferenceResults.Save(dir, Experiment, Result(Profile.Reference, 1, Measured(2.3, "plateau at step 350")), null, Machine, "def5678");
        Assert.Equal(("abc1234", 1234.5), (reused.Commit, reused.CpuSeconds));
        Assert.Equal(("abc1234", 1234.5), (ReferenceResults.Load(dir, Experiment, 1)!.Commit, ReferenceResults.Load(dir, Experiment, 1)!.CpuSeconds));
        // A damaged file there does not stop the reused result from being written (it is written over, as before).
        string damagedDir = Repo.TempDir("reference-damaged");
        File.WriteAllText(ReferenceResults.PathFor(damagedDir, Experiment.Name, 1), "{ not json");
        ReferenceResults.Save(damagedDir, Experiment, Result(Profile.Reference, 1, Measured(2.3, "plateau at step 350")), null, Machine, "def5678");
        Assert.Equal("def5678", ReferenceResults.Load(damagedDir, Experiment, 1)!.Commit);

        string path = ReferenceResults.PathFor(dir, Experiment.Name, 1);
        File.Copy(path, ReferenceResults.PathFor(dir, Experiment.Name, 2));
        var seed = Assert.Throws<InvalidDataException>(() => ReferenceResults.Load(dir, Experiment, 2));
        Assert.Contains(".seed2.json", seed.Message);
        Assert.Contains("holds seed 1, not seed 2", seed.Message);

        File.WriteAllText(path, File.ReadAllText(path).Replace("\"steps\": 3000", "\"steps\": 2000").Replace("\\u0022steps\\u0022:3000", "\\u0022steps\\u0022:2000"));
        var sizes = Assert.Throws<InvalidDataException>(() => ReferenceResults.Load(dir, Experiment, 1));
        Assert.Contains("other sizes", sizes.Message);

        string text = File.ReadAllText(ReferenceResults.PathFor(dir, Experiment.Name, 2));
        File.WriteAllText(path, text[..(text.Length / 2)]);
        var truncated = Assert.Throws<InvalidDataException>(() => ReferenceResults.Load(dir, Experiment, 1));
        Assert.Contains(path, truncated.Message);
        Assert.Contains("truncated", truncated.Message);

        Assert.Throws<ArgumentException>(() => ReferenceResults.Save(dir, Experiment, Result(Profile.Standard, 1, Measured(2.3, "x")), null, Machine, "abc"));
    }

    [Fact]
    public void With_reference_the_rows_come_from_the_reference_run_with_the_standard_verdict_beside_them()
    {
        string dir = Repo.TempDir("reference-ledger");
        ReferenceResults.Save(dir, Experiment, Result(Profile.Reference, 1, Measured(2.3, "plateau at step 350")), 100, Machine, "abc1234");
        var selected = ClaimCatalog.Select(["H4"]);
        // The standard run's traces still fall by 10% over their last evaluations: not converged there.
        var standard = Result(Profile.Standard, 1, [.. Measured(2.3, "cap of 150 steps").Select(m => m with { Traces = [.. m.Traces!.Select(t => t with { Values = [4, 3.5, 3.2, 3, 2.8, 2.6, 2.4] })] })]);
        var ledger = Reproduction.BuildLedger(selected, [standard], null);
        Assert.Equal(Verdict.Inconclusive, ledger.Single(r => r.Id == "H4-08").Verdict);

        var rows = Reproduction.WithReference(ledger, selected, dir, 1, "standard");
        var h408 = rows.Single(r => r.Id == "H4-08");
        Assert.Equal(Verdict.Holds, h408.Verdict);
        Assert.Equal("reference", h408.Profile);
        Assert.True(h408.Converged);
        Assert.StartsWith("reference run, 2026-12-07, abc1234; ", h408.Evidence);
        Assert.Equal(("standard run", Verdict.Inconclusive, false), (h408.Beside!.Run, h408.Beside.Verdict, h408.Beside.Converged));
        Assert.Contains("standard run", HtmlReport.RowVerdict(h408));
        // Rows of experiments without a reference result stay as the run judged them.
        Assert.Equal(ledger.Single(r => r.Id == "H4-01"), rows.Single(r => r.Id == "H4-01"));
        Assert.Empty(Reproduction.WithReference(ledger, selected, Repo.TempDir("no-reference"), 1, "standard").Where(r => r.Beside is not null));

        // A notebook's view of the same rows: the reference verdicts, which rows they are, and this run's beside them.
        var view = new LedgerView(ledger).WithReference(dir);
        Assert.Equal(rows.Select(r => (r.Id, r.Verdict, r.Profile, r.Beside?.Verdict)), view.Rows.Select(r => (r.Id, r.Verdict, r.Profile, r.Beside?.Verdict)));
        Assert.Equal("2 claim(s) judged from the reference run (reference run, 2026-12-07, abc1234): H4-07, H4-08, each with this run's verdict beside it.",
            view.ReferenceNote());
        Assert.Contains("[standard run: inconclusive (not converged)]", view.ToNotebookText());
        Assert.Contains("standard run", view.ToHtml());
        var none = new LedgerView(ledger).WithReference(Repo.TempDir("no-reference-view"));
        Assert.Equal("No claim here has a committed reference result. Without a reference result, as this run judged them: H4-07, H4-08.", none.ReferenceNote());

        // the ledger's own seed and profile: the same rows as given explicitly; a ledger of two seeds is refused
        var derived = Reproduction.WithReference(ledger, dir, fallbackSeed: 7);
        Assert.Equal(rows.Select(r => (r.Id, r.Verdict, r.Evidence, r.Beside?.Run)), derived.Select(r => (r.Id, r.Verdict, r.Evidence, r.Beside?.Run)));
        Assert.Equal("reference run, 2026-12-07, abc1234", ReferenceResult.SourceOf(h408.Evidence));
        Assert.Null(ReferenceResult.SourceOf(ledger.Single(r => r.Id == "H4-08").Evidence));
        var mixed = ledger.Select((r, i) => i == 0 ? r with { Seed = 2 } : r).ToList();
        Assert.Contains("mixes seeds", Assert.Throws<InvalidDataException>(() => Reproduction.WithReference(mixed, dir, 1)).Message);
    }

    [Fact]
    public void Every_experiment_with_reference_sizes_declares_them_whole_so_a_result_from_other_sizes_is_refused()
    {
        int declared = 0;
        foreach (var e in ExperimentRegistry.All)
        {
            var profiles = e.GetType().GetProperty("Profiles", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)?.GetValue(null);
            if (profiles?.GetType().GetProperty("Reference")?.GetValue(profiles) is null) continue;
            Assert.True(e.SizesAt(Profile.Reference) is not null, $"{e.Name} has reference sizes but does not declare them (SizesAt)");
            declared++;
        }
        Assert.Equal(6, declared); // 000, 001, 002 (training and scaling), 003 and 004
        // The glyph CNNs' sizes hold the data's (16 classes at reference), not only the training record.
        var glyph = ExperimentRegistry.Get("glyph-cnn-training");
        Assert.Contains("\"Classes\":16", System.Text.Json.JsonSerializer.Serialize(glyph.SizesAt(Profile.Reference)));
    }
}
