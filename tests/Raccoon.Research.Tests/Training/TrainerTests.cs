using Raccoon.Research.Data;
using Raccoon.Research.Data.Logs;
using Raccoon.Research.Models;
using Raccoon.Research.Models.Baselines;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Training;

public class TrainerTests : IClassFixture<TorchFixture>
{
    static readonly TemplateLogTask Task = new();
    static readonly MeanPoolClassifierConfig Small = new(40, 4, 16);

    static MeanPoolClassifier Model(int seed)
    {
        torch.random.manual_seed(seed);
        return new MeanPoolClassifier(Small);
    }

    static TrainingOptions Quick => new() { Epochs = 4, BatchSize = 32, LearningRate = 3e-2, Seed = 5 };

    [Fact]
    public void Loss_goes_down_and_accuracy_rises_on_the_template_log_task()
    {
        var model = Model(1);
        var train = Task.Dataset(512, 1);
        var test = Task.Dataset(256, 2);
        double before = Evaluator.Evaluate(model, test).Loss;
        var history = Trainer.Fit(model, train, test, Quick with { LearningRate = 0.1, Epochs = 6 });
        Assert.Equal(6, history.Epochs.Count);
        Assert.Equal(6 * 16, history.AppliedSteps);
        Assert.Equal(0, history.SkippedSteps);
        Assert.True(history.Epochs[^1].TrainLoss < 0.7 * history.Epochs[0].TrainLoss,
            $"train loss {history.Epochs[0].TrainLoss} -> {history.Epochs[^1].TrainLoss}");
        var after = Evaluator.Evaluate(model, test);
        Assert.True(after.Loss < before, $"test loss {before} -> {after.Loss}");
        Assert.True(after.Accuracy > 0.6, $"test accuracy {after.Accuracy}, train losses {string.Join(", ", history.TrainLosses)}");
    }

    [Fact]
    public void The_same_seed_gives_the_same_loss_history()
    {
        var train = Task.Dataset(256, 1);
        var a = Trainer.Fit(Model(3), train, null, Quick);
        var b = Trainer.Fit(Model(3), train, null, Quick);
        Assert.Equal(a.StepLosses, b.StepLosses);
        var c = Trainer.Fit(Model(3), train, null, Quick with { Seed = 6 });
        Assert.NotEqual(a.StepLosses, c.StepLosses);
    }

    [Fact]
    public void A_step_with_a_NaN_loss_or_an_infinite_gradient_is_skipped_counted_and_changes_nothing()
    {
        torch.random.manual_seed(1);
        var model = new FaultyClassifier(Small, nanLossAt: [1], infGradientAt: [2]);
        var parameters = model.parameters().ToList();
        using var optimizer = Trainer.CreateOptimizer(parameters, Quick);
        var data = Task.Dataset(32, 1);
        var before = Params.Of(model);
        for (int call = 1; call <= 2; call++)
        {
            using var scope = NewDisposeScope();
            var (tokens, labels) = data.Batch(Enumerable.Range(0, 32).ToArray());
            var outcome = Trainer.Step(model, parameters, optimizer, tokens, labels, clipNorm: 1.0);
            Assert.NotNull(outcome.SkipReason);
            Params.AssertEqual(before, Params.Of(model));
        }
        using (var scope = NewDisposeScope())
        {
            var (tokens, labels) = data.Batch(Enumerable.Range(0, 32).ToArray());
            Assert.Null(Trainer.Step(model, parameters, optimizer, tokens, labels, clipNorm: 1.0).SkipReason);
        }
        Assert.NotEqual(before["inner.head.weight"], Params.Of(model)["inner.head.weight"]);

        torch.random.manual_seed(1);
        var faulty = new FaultyClassifier(Small, nanLossAt: [3], infGradientAt: [5]);
        var history = Trainer.Fit(faulty, Task.Dataset(128, 1), null, Quick with { Epochs = 2 });
        Assert.Equal(2, history.SkippedSteps);
        Assert.Equal([3, 5], history.Skipped.Select(s => s.Step));
        Assert.Contains("NaN", history.Skipped[0].Reason);
        Assert.Contains("gradient", history.Skipped[1].Reason);
        Assert.Equal(6, history.AppliedSteps);
        Assert.True(double.IsNaN(history.StepLosses[2]));
        Assert.All(history.Epochs, e => Assert.True(double.IsFinite(e.TrainLoss)));
    }

    [Fact]
    public void Early_stopping_restores_the_weights_of_the_best_validation_epoch()
    {
        // Validation labels shifted by one class: the better the model fits the training set, the worse the validation loss.
        var train = Task.Dataset(256, 1);
        var lines = Task.Lines(128, 2);
        var shifted = LogTaskExtensions.ToDataset(lines.Select(l => l with { Label = (l.Label + 1) % 4 }).ToList(), Task.Vocabulary);
        var options = Quick with { Epochs = 20, Patience = 2, RestoreBest = true };

        var model = Model(4);
        var history = Trainer.Fit(model, train, shifted, options);
        Assert.True(history.StoppedEarly);
        Assert.True(history.RestoredBest);
        int best = history.BestEpoch!.Value;
        Assert.Equal(best + 2, history.Epochs.Count);
        Assert.Equal(history.Epochs.Min(e => e.ValidationLoss), history.BestValidationLoss);
        Assert.Equal(history.BestValidationLoss!.Value, Evaluator.Evaluate(model, shifted).Loss, 5);

        var reference = Model(4);
        Trainer.Fit(reference, train, shifted, options with { Epochs = best, Patience = null });
        Params.AssertEqual(Params.Of(reference), Params.Of(model));
    }

    /// <summary>Trains under <paramref name="options"/> with a resume file, stopped (as a kill would stop it) at
    /// each step of <paramref name="stops"/> in turn, from the model <paramref name="build"/> gives for
    /// <paramref name="seed"/> and then, at each start again, from a model initialised with another seed: what
    /// survives a stop is only what the file holds.</summary>
    static (TrainingHistory History, Dictionary<string, float[]> Weights) Interrupted(
        Func<int, nn.Module> build, int seed, SequenceDataset train, SequenceDataset? validation, TrainingOptions options, params int[] stops)
    {
        foreach (int stop in stops)
        {
            var model = build(stop == stops[0] ? seed : 100 + stop);
            using var cancel = new CancellationTokenSource();
            var progress = new SyncProgress<TrainingProgress>(p => { if (p.Step >= stop) cancel.Cancel(); });
            Assert.Throws<OperationCanceledException>(() => Trainer.Fit((ISequenceClassifier)model, train, validation, options, progress, cancel.Token));
        }
        var last = build(999);
        var history = Trainer.Fit((ISequenceClassifier)last, train, validation, options);
        return (history, Params.Of(last));
    }

    static void AssertSameRun(TrainingHistory expected, TrainingHistory actual)
    {
        Assert.Equal(expected.StepLosses, actual.StepLosses);
        Assert.Equal(expected.Epochs.Select(e => e with { Seconds = 0 }), actual.Epochs.Select(e => e with { Seconds = 0 }));
        Assert.Equal((expected.AppliedSteps, expected.StoppedEarly, expected.BestEpoch, expected.BestValidationLoss, expected.RestoredBest),
            (actual.AppliedSteps, actual.StoppedEarly, actual.BestEpoch, actual.BestValidationLoss, actual.RestoredBest));
    }

    [Fact]
    public void A_phase_stopped_mid_epoch_and_resumed_from_its_file_gives_the_uninterrupted_run_exactly()
    {
        // Validation labels shifted by one class, so early stopping, the plateau schedule and best-weights restore all act.
        var train = Task.Dataset(256, 1);
        var lines = Task.Lines(128, 2);
        var shifted = LogTaskExtensions.ToDataset(lines.Select(l => l with { Label = (l.Label + 1) % 4 }).ToList(), Task.Vocabulary);
        var dir = Directory.CreateTempSubdirectory("raccoon-resume-");
        try
        {
            var options = Quick with { Epochs = 20, Patience = 3, RestoreBest = true, Plateau = new LrPlateau(0.5, 1) };
            var reference = Model(4);
            var expected = Trainer.Fit(reference, train, shifted, options);
            Assert.True(expected.StoppedEarly && expected.RestoredBest, "the reference run exercises early stopping and restore");
            Assert.Contains(expected.Epochs, e => e.LearningRate < options.LearningRate);

            // 8 steps an epoch, a checkpoint every 3 steps: stops fall mid-epoch, just after a checkpoint and between two.
            var resumable = options with { Resume = new ResumeFile(Path.Combine(dir.FullName, "phase.ckpt"), EverySteps: 3) };
            var (history, weights) = Interrupted(seed => Model(seed), 4, train, shifted, resumable, 11, 20, 30);
            AssertSameRun(expected, history);
            Params.AssertEqual(Params.Of(reference), weights);

            // The finished file resumes to the finished model at once.
            var again = Model(7);
            AssertSameRun(expected, Trainer.Fit(again, train, shifted, resumable));
            Params.AssertEqual(Params.Of(reference), Params.Of(again));
            Assert.Single(Directory.GetFiles(dir.FullName, "phase.ckpt.best-epoch*"));
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void A_resumed_phase_draws_the_same_noise_and_a_file_from_another_phase_is_refused_by_name()
    {
        var train = Task.Dataset(256, 1);
        var dir = Directory.CreateTempSubdirectory("raccoon-resume-");
        try
        {
            NoisyClassifier Noisy(int seed) { torch.random.manual_seed(seed); return new NoisyClassifier(Small); }
            var options = Quick with { Epochs = 3 };
            var reference = Noisy(4);
            var expected = Trainer.Fit(reference, train, null, options);
            var resumable = options with { Resume = new ResumeFile(Path.Combine(dir.FullName, "noisy.ckpt"), EverySteps: 3) };
            var (history, weights) = Interrupted(seed => Noisy(seed), 4, train, null, resumable, 10);
            AssertSameRun(expected, history);
            Params.AssertEqual(Params.Of(reference), weights);

            var other = Assert.Throws<InvalidDataException>(() => Trainer.Fit(Model(1), train, null, resumable with { LearningRate = 0.5 }));
            Assert.Contains("noisy.ckpt", other.Message);
            Assert.Contains("another training phase", other.Message);
            File.WriteAllText(resumable.Resume!.Path, "not a checkpoint");
            var broken = Assert.Throws<InvalidDataException>(() => Trainer.Fit(Model(1), train, null, resumable));
            Assert.Contains("noisy.ckpt", broken.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(Model(1), train, null, options with { Resume = new ResumeFile("x", EverySteps: 0) }));
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void A_phase_with_a_plateau_stop_ends_at_the_first_epoch_where_the_rule_holds_never_before_min_evaluations()
    {
        var train = Task.Dataset(256, 1);
        var validation = Task.Dataset(128, 2);
        var options = Quick with { Epochs = 12, LearningRate = 0.05 };
        var capped = Trainer.Fit(Model(4), train, validation, options);
        Assert.Equal(12, capped.Epochs.Count);
        Assert.Equal("cap of 12 epochs", capped.ValidationTrace("x")!.StoppedBecause);

        // The rule passes first at some epoch k of the capped run's trace: with the stop, the run is that run's first k epochs.
        var stop = new Raccoon.Research.Ledger.PlateauStop([new Raccoon.Research.Ledger.ConvergenceRule(Window: 2, MaxChange: 0.05, MinEvaluations: 4)]);
        double k = stop.At(capped.ValidationTrace("x")!) ?? throw new InvalidOperationException("the test's rule never passes on the capped run: loosen it");
        Assert.InRange(k, 4, 11);
        var stopped = Trainer.Fit(Model(4), train, validation, options with { StopAt = stop });
        Assert.True(stopped.StoppedAtPlateau);
        Assert.Equal((int)k, stopped.Epochs.Count);
        Assert.Equal(capped.StepLosses.Take(stopped.StepLosses.Count), stopped.StepLosses);
        Assert.Equal($"plateau at epoch {k}", stopped.ValidationTrace("x")!.StoppedBecause);

        // A rule that holds on any trace still waits for its minimum number of evaluations; one that needs more than the cap never stops it.
        var always = new Raccoon.Research.Ledger.PlateauStop([new Raccoon.Research.Ledger.ConvergenceRule(Window: 1, MaxChange: 1e9, MinEvaluations: 5)]);
        Assert.Equal(5, Trainer.Fit(Model(4), train, validation, options with { StopAt = always }).Epochs.Count);
        // A floor of steps (a build upstream trains for a fixed length): no plateau ends the phase before it; the first
        // epoch end at or past it does.
        int perEpoch = capped.StepLosses.Count / 12;
        var floored = Trainer.Fit(Model(4), train, validation, options with { StopAt = always, MinSteps = 7 * perEpoch - 1 });
        Assert.Equal((7, true), (floored.Epochs.Count, floored.StoppedAtPlateau));
        Assert.Equal(capped.StepLosses.Take(floored.StepLosses.Count), floored.StepLosses);
        var never = new Raccoon.Research.Ledger.PlateauStop([new Raccoon.Research.Ledger.ConvergenceRule(Window: 1, MaxChange: 1e9, MinEvaluations: 30)]);
        var ran = Trainer.Fit(Model(4), train, validation, options with { Epochs = 6, StopAt = never });
        Assert.Equal((6, false), (ran.Epochs.Count, ran.StoppedAtPlateau));
        Assert.Contains("validation set", Assert.Throws<ArgumentException>(() => Trainer.Fit(Model(4), train, null, options with { StopAt = always })).Message);
    }

    [Fact]
    public void A_phase_stopped_at_the_plateau_resumes_to_the_uninterrupted_run()
    {
        var train = Task.Dataset(256, 1);
        var validation = Task.Dataset(128, 2);
        var dir = Directory.CreateTempSubdirectory("raccoon-resume-");
        try
        {
            var always = new Raccoon.Research.Ledger.PlateauStop([new Raccoon.Research.Ledger.ConvergenceRule(Window: 1, MaxChange: 1e9, MinEvaluations: 5)]);
            var options = Quick with { Epochs = 12, LearningRate = 0.05, StopAt = always };
            var reference = Model(4);
            var expected = Trainer.Fit(reference, train, validation, options);
            var resumable = options with { Resume = new ResumeFile(Path.Combine(dir.FullName, "plateau.ckpt"), EverySteps: 3) };
            var (history, weights) = Interrupted(seed => Model(seed), 4, train, validation, resumable, 13, 30);
            AssertSameRun(expected, history);
            Assert.True(history.StoppedAtPlateau);
            Assert.Equal(5, history.Epochs.Count);
            Params.AssertEqual(Params.Of(reference), weights);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void Max_steps_ends_a_run_mid_epoch_and_the_upstream_presets_say_what_upstream_does()
    {
        var history = Trainer.Fit(Model(2), Task.Dataset(256, 1), null, Quick with { Epochs = int.MaxValue, MaxSteps = 20 });
        Assert.Equal(20, history.TotalSteps);
        Assert.Equal(3, history.Epochs.Count); // 8 + 8 + 4 steps
        Assert.Equal(1000, TrainingOptions.UpstreamRaccoon.MaxSteps);
        Assert.Equal(OptimizerKind.AdamW, TrainingOptions.UpstreamRaccoon.Optimizer);
        Assert.Equal(10, TrainingOptions.UpstreamSimpleRaccoon.Patience);
        Assert.Equal(OptimizerKind.Adam, TrainingOptions.UpstreamSimpleRaccoon.Optimizer);
    }

    [Fact]
    public void Progress_is_reported_and_bad_setups_are_named()
    {
        var reports = new List<TrainingProgress>();
        Trainer.Fit(Model(2), Task.Dataset(128, 1), null, Quick with { Epochs = 2 }, new SyncProgress<TrainingProgress>(reports.Add));
        Assert.Contains(reports, r => r.Epoch == 2 && r.Fraction == 1.0);
        var train = Task.Dataset(64, 1);
        Assert.Contains("validation", Assert.Throws<ArgumentException>(() => Trainer.Fit(Model(1), train, null, Quick with { Patience = 2 })).Message);
        Assert.Contains("classes", Assert.Throws<ArgumentException>(() => Trainer.Fit(new MeanPoolClassifier(new(40, 3)), train, null, Quick)).Message);
        Assert.Contains("no full batch", Assert.Throws<ArgumentException>(() => Trainer.Fit(Model(1), train, null, Quick with { BatchSize = 100 })).Message);
    }

    [Fact]
    public void Evaluation_counts_every_sample_in_the_confusion_matrix()
    {
        var model = Model(1);
        var data = Task.Dataset(100, 4);
        var eval = Evaluator.Evaluate(model, data, batchSize: 32);
        Assert.Equal(100, eval.Confusion.Sum(r => r.Sum()));
        Assert.Equal(eval.Accuracy, Enumerable.Range(0, 4).Sum(c => eval.Confusion[c][c]) / 100.0);
        Assert.Equal(data.ClassCounts(), eval.Confusion.Select(r => r.Sum()));
        Assert.True(model.training); // restored
    }

    [Fact]
    public void A_seed_summary_gives_mean_and_sample_spread_and_refuses_a_diverged_run()
    {
        var s = SeedSummary.Of([0.8, 0.9, 1.0]);
        Assert.Equal(0.9, s.Mean, 12);
        Assert.Equal(0.1, s.StdDev, 12);
        Assert.Equal((0.8, 1.0), (s.Min, s.Max));
        Assert.Equal("0.900 ± 0.100 (n=3)", s.ToString("F3"));
        Assert.Equal(0, SeedSummary.Of([2.0]).StdDev);
        Assert.Contains("value 1", Assert.Throws<ArgumentException>(() => SeedSummary.Of([1, double.NaN])).Message);
        Assert.Equal([7, 8, 9], Seeds.From(7, 3));
    }
}

/// <summary>Progress reported on the caller's thread (Progress&lt;T&gt; posts to the thread pool).</summary>
sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
