using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Experiments;
using Raccoon.Research.Experiments.LogClassifiers;
using Raccoon.Research.Ledger;
using Raccoon.Research.Reporting;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Ledger;

/// <summary>Issue 9: a broken measurement is an error of the experiment; the cache key holds everything that changes a figure.</summary>
public class ExperimentRunnerTests(TorchFixture torch) : IClassFixture<TorchFixture>
{
    readonly TorchFixture _ = torch;

    sealed class Fake(string claim, Func<ExperimentContext, Measurement> measure, Figure[]? figures = null) : IExperiment
    {
        public int Runs;
        public string Name => "fake-" + claim.ToLowerInvariant();
        public string Title => "fake";
        public IReadOnlyList<string> Claims => [claim];
        public ExperimentResult Run(ExperimentContext context)
        {
            Runs++;
            return new ExperimentResult([measure(context)], figures ?? [new Figure("f", "{}").Named("f")]);
        }
    }

    static ExperimentContext Context(string dir, int threads = 1, Profile profile = Profile.Quick, int seed = 1) => new(profile, seed, threads, dir);

    /// <summary>libtorch's message when it reads a Scalar TorchSharp's finalizer freed (standard run c, 2026-12-07).</summary>
    const string ScalarRace = "Expected false to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)\n" +
        "Exception raised from toFloat at /pytorch/c10/core/Scalar.h:140 (most recent call first):\nframe #0: c10::Error::Error(...)";

    [Fact]
    public void An_experiment_that_meets_torchsharps_scalar_race_runs_once_more_and_any_other_failure_is_its_own()
    {
        int calls = 0;
        var once = new Fake("H4-01", _ => ++calls == 1
            ? throw new System.Runtime.InteropServices.ExternalException(ScalarRace)
            : Measurement.Number("H4-01", 493973, "counted"));
        var stored = ExperimentRunner.Run(once, Context(Repo.TempDir("race")));
        Assert.Equal((2, 493973.0), (once.Runs, stored.Measurements[0].Value!.Value));

        int twice = 0;
        var always = new Fake("H4-01", _ => { twice++; throw new System.Runtime.InteropServices.ExternalException(ScalarRace); });
        Assert.Throws<System.Runtime.InteropServices.ExternalException>(() => ExperimentRunner.Run(always, Context(Repo.TempDir("race2"))));
        Assert.Equal(2, twice);

        int other = 0;
        var shape = new Fake("H4-01", _ => { other++; throw new System.Runtime.InteropServices.ExternalException("shape '[2, 3]' is invalid for input of size 5"); });
        Assert.Throws<System.Runtime.InteropServices.ExternalException>(() => ExperimentRunner.Run(shape, Context(Repo.TempDir("race3"))));
        Assert.Equal(1, other);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(0.0)]
    [InlineData(-2.0)]
    public void A_zero_or_non_finite_ratio_is_an_experiment_error_naming_the_claim(double value)
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            ExperimentRunner.Run(new Fake("R0-02", _ => Measurement.Number("R0-02", value, "broken")), Context(Repo.TempDir("nan"))));
        Assert.Contains("R0-02", e.Message);
    }

    [Fact]
    public void H4_04s_n_to_the_NaN_case_is_refused_before_any_verdict()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Measurement.Require("H4-04", "measured memory exponent", double.NaN));
        Assert.Contains("H4-04", e.Message);
        Assert.Throws<InvalidOperationException>(() => Measurement.Require("H4-04", "memory at n = 1024", 0));
        Assert.Equal(1.5, Measurement.Require("H4-04", "x", 1.5));
    }

    [Fact]
    public void Broken_builds_intervals_and_unnamed_figures_are_refused()
    {
        string dir = Repo.TempDir("broken");
        Assert.Contains("R0-01", Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(new Fake("R0-01", _ => Measurement.PerBuild("R0-01", "m",
            [new BuildMeasurement("u", "x", double.NaN, Upstream: true)])), Context(dir))).Message);
        Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(new Fake("R0-02", _ =>
            Measurement.Number("R0-02", 10, "m", interval: new MeasuredInterval(20, 30))), Context(dir)));
        Assert.Contains("stable name", Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(new Fake("H4-01", _ =>
            Measurement.Number("H4-01", 493973, "m"), [new Figure("untitled", "{}")]), Context(dir))).Message);
        Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(new Fake("H4-01", _ =>
            Measurement.Number("H4-01", 493973, "m"), [new Figure("a", "{}").Named("x"), new Figure("b", "{}").Named("x")]), Context(dir)));
        // a number for a check rule, and neither number nor verdict
        Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(new Fake("H4-02", _ => Measurement.Number("H4-02", 14, "m")), Context(dir)));
        Assert.Throws<InvalidOperationException>(() => ExperimentRunner.Run(new Fake("H4-02", _ => new Measurement("H4-02", "m")), Context(dir)));
    }

    [Fact]
    public void A_stored_result_is_not_reused_for_another_thread_count_profile_or_seed()
    {
        string dir = Repo.TempDir("cache-threads");
        var fake = new Fake("H4-01", c => Measurement.Number("H4-01", 493973, $"{c.Threads} threads"));
        var one = ExperimentRunner.Run(fake, Context(dir, threads: 1));
        Assert.Equal(1, fake.Runs);
        Assert.Same(one.Measurements, one.Measurements);
        ExperimentRunner.Run(fake, Context(dir, threads: 1));
        Assert.Equal(1, fake.Runs); // same key: reused
        var two = ExperimentRunner.Run(fake, Context(dir, threads: 2));
        Assert.Equal(2, fake.Runs); // another thread count: a miss
        Assert.Equal("2 threads", two.Measurements[0].Measured);
        Assert.Equal("1 threads", ExperimentRunner.Run(fake, Context(dir, threads: 1)).Measurements[0].Measured);
        Assert.Equal(2, fake.Runs); // both are kept apart
        ExperimentRunner.Run(fake, Context(dir, threads: 1, seed: 2));
        ExperimentRunner.Run(fake, Context(dir, threads: 1, profile: Profile.Standard));
        Assert.Equal(4, fake.Runs);
    }

    [Fact]
    public void R0_12s_verdict_follows_from_the_contradictions_found()
    {
        static Measurement R012(double contradictions, double inference, double epoch, double gap) => Measurement.Of("R0-12", "m",
            [new("contradictions", contradictions), new("inferenceRatio", inference), new("epochRatio", epoch), new("accuracyGap", gap)]);
        Assert.Equal(Verdict.Inconsistent, Judged.Verdict(R012(1, 50, 50, 3)));
        // a consistent set of figures is not inconsistent: the summary's comparisons decide (the rule's convergence test needs traces)
        var converged = new HeldOutTrace("t", "loss", false, [1, 2, 3, 4, 5, 6, 7], [3, 2, 1, 1, 1, 1, 1], "early stopping");
        Assert.Equal(Verdict.Holds, Judged.Verdict(R012(0, 50, 50, 3) with { Traces = [converged] }));
        Assert.Equal(Verdict.Partly, Judged.Verdict(R012(0, 50, 5, 3) with { Traces = [converged] }));
        Assert.Equal(Verdict.Fails, Judged.Verdict(R012(0, 5, 5, 30) with { Traces = [converged] }));
        Assert.Throws<ArgumentException>(() => Judged.Verdict(R012(0, 50, 50, 3)));
        // document 000 does contradict itself, so its R0-12 is inconsistent because of what was found
        Assert.NotEmpty(LogClassifiersTrainingExperiment.DocumentContradictions());
    }
}
