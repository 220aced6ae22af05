using System.Text.RegularExpressions;
using Raccoon.Research.Experiments;
using Raccoon.Research.Experiments.GlyphCnn;
using Raccoon.Research.Experiments.LanguageModels;
using Raccoon.Research.Experiments.LatentOde;
using Raccoon.Research.Experiments.LogClassifiers;
using Raccoon.Research.Experiments.PathFlow;
using Raccoon.Research.Measurements;
using Raccoon.Research.Planning;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Experiments;

/// <summary>
/// The sizes records (one per experiment, per profile) and the cost plan built on them: the records hold exactly the sizes
/// the experiments used before them, and the plan's arithmetic, placement on nodes and text are checked on given step costs.
/// </summary>
public class PlanTests : IClassFixture<TorchFixture>
{
    static readonly Profile[] Profiles = [Profile.Quick, Profile.Standard, Profile.Full];

    /// <summary>Each profile's value as the experiments' context.Pick(quick, standard, full) calls gave it before the records.</summary>
    static void Same<T>(Func<Profile, T> read, T quick, T standard, T full)
    {
        Assert.Equal(quick, read(Profile.Quick));
        Assert.Equal(standard, read(Profile.Standard));
        Assert.Equal(full, read(Profile.Full));
    }

    static void SameList<T>(Func<Profile, IReadOnlyList<T>> read, T[] quick, T[] standard, T[] full)
    {
        Assert.Equal(quick, read(Profile.Quick));
        Assert.Equal(standard, read(Profile.Standard));
        Assert.Equal(full, read(Profile.Full));
    }

    [Fact]
    public void Every_sizes_record_holds_the_sizes_the_experiments_picked_before()
    {
        var lcTiming = LogClassifiersBuilds.Timings;
        Same(p => (lcTiming.For(p).Warmup, lcTiming.For(p).Repeats), (2, 5), (3, 15), (5, 31));
        Same(p => LogClassifiersSpeedExperiment.Profiles.For(p), new(7, 1), new(41, 3), new(61, 3));
        Same(p => LogClassifiersDeploymentExperiment.Profiles.For(p), new(1, 20), new(3, 50), new(5, 200));
        Same(p => LogClassifiersMemoryExperiment.Profiles.For(p).Steps, 3, 10, 30);
        Same(p => LogClassifiersTrainingExperiment.Profiles.For(p),
            new(128, 32, 64, 2, 2, 1, 48), new(960, 256, 512, 8, 3, 3, 200), new(10_000, 2_000, 2_000, 50, 10, 3, 2_000));

        Same(p => LanguageModelsCostExperiment.Profiles.For(p).Repeats, 5, 31, 61);
        Same(p => LanguageModelsTrainingExperiment.Profiles.For(p), new(1, 40, 5, 40), new(2, 150, 20, 100), new(5, 1500, 50, 200));
        Same(p => GlyphCnnSpeedExperiment.Profiles.For(p).Repeats, 3, 5, 15);
        Same(p => GlyphCnnTrainingExperiment.Profiles.For(p), new(2, 64, 1), new(2, 64, 1), new(40, 1024, 3));

        SameList(p => PathFlowInferenceExperiment.Profiles.For(p).Lengths, [121, 1001, 10001], [121, 1001, 10001], [121, 1001, 10001, 100001]);
        Same(p => PathFlowInferenceExperiment.Profiles.For(p).Repeats, 2, 5, 5);
        Same(p => PathFlowTrainingExperiment.Profiles.For(p), new(16, 16, 32, 20, 2, 16, 20, 16), new(64, 64, 64, 60, 3, 64, 150, 64),
            new(1024, 256, 128, 10_000, 3, 256, 2000, 128));
        Same(p => PathFlowScalingExperiment.Profiles.For(p), new(3), new(7), new(15)); // V2-02/V2-11, V2-04 and V2-10 keep their own records

        var cost = LatentOdeCostExperiment.Profiles;
        SameList(p => cost.For(p).Lengths, [256, 512, 1024, 2048], [256, 512, 1024, 2048, 4096], [256, 512, 1024, 2048, 4096, 8192]);
        Same(p => cost.For(p) with { Lengths = [] }, new(5, [], 2, 4, 4, 8, 1, 8, 256) , new(11, [], 3, 8, 8, 16, 3, 16, 512), new(21, [], 5, 8, 8, 128, 3, 32, 512));
        var training = LatentOdeTrainingExperiment.Profiles;
        SameList(p => training.For(p).Stability.Depths, [6, 24, 96], [6, 12, 24, 48, 96], [6, 12, 24, 48, 96, 192]);
        SameList(p => training.For(p).Stability.LearningRates, [1e-3], [3e-4, 1e-3], [1e-4, 3e-4, 1e-3]);
        Same(p => (training.For(p).Stability.Seeds, training.For(p).Stability.Steps), (2, 40), (2, 60), (5, 1000));
        var grid = training.Standard.Stability;
        Same(p => training.For(p) with { Stability = grid }, new(32, 150, 1, grid, 150, 1, 20, 8, 3, 5), new(32, 200, 2, grid, 200, 3, 40, 16, 3, 11),
            new(64, 3000, 3, grid, 3000, 5, 1000, 128, 5, 21));
    }

    [Fact]
    public void No_experiment_picks_a_size_outside_its_sizes_record()
    {
        string dir = Path.Combine(Repo.Root, "lib", "Raccoon.Research", "Experiments");
        var pick = new Regex(@"\bcontext\.Pick\s*[<(]", RegexOptions.Compiled);
        var hits = Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => pick.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(dir, x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.True(hits.Count == 0, "declare sizes in the experiment's ProfileSizes record:\n" + string.Join("\n", hits));
    }

    [Fact]
    public void An_unknown_profile_value_is_refused_by_name()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => LogClassifiersMemoryExperiment.Profiles.For((Profile)7));
        Assert.Contains("not a profile", e.Message);
    }

    static readonly PlanUnit[] Given =
    [
        new("a", "one", CostBasis.MeasuredStep, Steps: 1000, StepSeconds: 0.5, Evaluations: 10, EvaluationSeconds: 2, OtherSeconds: 30), // 550 s
        new("a", "two", CostBasis.MeasuredStep, Steps: 200, StepSeconds: 1.5, Evaluations: 4, EvaluationSeconds: 5), // 320 s
        new("b", "whole experiment", CostBasis.Recorded, OtherSeconds: 90), // 90 s
        new("c", "big", CostBasis.MeasuredStep, Steps: 7200, StepSeconds: 1, GpuSeconds: 36), // 7,200 s
    ];

    [Fact]
    public void The_plan_adds_steps_evaluations_and_other_seconds_per_unit()
    {
        Assert.Equal([550.0, 320.0, 90.0, 7200.0], Given.Select(u => u.Seconds));
        var plan = RunPlan.Of(Profile.Full, 2, 2, Given, "given");
        Assert.Equal(8160, plan.NodeSeconds);
        Assert.Equal(8160 * 2 / 3600.0, plan.CoreHours, 12);
        // Longest first to the least loaded node: 7,200 -> node 0, 550 -> 1, 320 -> 1, 90 -> 1.
        Assert.Equal([7200.0, 960.0], plan.NodeLoads);
        Assert.Equal(7200, plan.WallSeconds);
        Assert.Equal("big", plan.Longest!.Unit);
        // More nodes than units: the wall time is the longest unit's.
        Assert.Equal(7200, RunPlan.Of(Profile.Full, 16, 2, Given, "given").WallSeconds);
        Assert.Equal(8160, RunPlan.Of(Profile.Full, 1, 2, Given, "given").WallSeconds);
        Assert.Equal(0, RunPlan.Of(Profile.Quick, 3, 2, [], "given").WallSeconds);
    }

    [Fact]
    public void The_plan_prints_every_unit_the_total_and_the_wall_time()
    {
        string text = RunPlan.Of(Profile.Full, 2, 2, Given, "given step costs").Format();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("plan: profile full, 4 units, on 2 node(s) of 2 cores (this machine's size); nothing was run", lines[0]);
        Assert.Equal("step costs: given step costs", lines[1]);
        Assert.Equal("experiment  unit              basis          steps  s/step  evaluations  node-hours  core-hours  GPU estimate", lines[2]);
        Assert.Equal("a           one               measured step  1,000   0.500   10 x 2.000       0.153       0.306  -", lines[3]);
        Assert.Equal("a           two               measured step    200   1.500    4 x 5.000       0.089       0.178  -", lines[4]);
        Assert.Equal("b           whole experiment  recorded           -       -            -       0.025       0.050  -", lines[5]);
        Assert.Equal("c           big               measured step  7,200   1.000            -         2.0         4.0  ~0.010 h (estimate)", lines[6]);
        Assert.Contains("total: 2.3 node-hours = 4.5 core-hours", text);
        Assert.Contains("GPU estimate of the units marked: 0.010 h", text);
        Assert.Contains("wall time on 2 node(s): 2.0 h (units placed longest first; the longest unit, c / big, takes 2.0 h alone)", text);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Nodes_below_one_are_refused(int nodes)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RunPlan.Of(Profile.Full, nodes, 2, Given, "given"));
        Assert.Contains($"--nodes must be at least 1, got {nodes}", e.Message);
    }

    [Fact]
    public void A_unit_with_a_negative_or_infinite_cost_is_refused_by_name()
    {
        var e = Assert.Throws<ArgumentException>(() => RunPlan.Of(Profile.Full, 1, 2, [new("x", "bad", CostBasis.MeasuredStep, 10, -1)], "given"));
        Assert.Contains("x / bad", e.Message);
        Assert.Throws<ArgumentException>(() => RunPlan.Of(Profile.Full, 1, 2, [new("x", "nan", CostBasis.MeasuredStep, 10, double.NaN)], "given"));
        Assert.Throws<ArgumentException>(() => RunPlan.Of(Profile.Full, 1, 2, [new("x", "inf", CostBasis.Recorded, OtherSeconds: double.PositiveInfinity)], "given"));
    }

    [Fact]
    public void A_gpu_estimate_assumes_the_cpus_share_of_peak()
    {
        // 1e12 FLOPs; the CPU reaches 50 GFLOP/s of a 100 GFLOP/s peak (half); a 10 TFLOP/s device at half its peak: 0.2 s.
        Assert.Equal(0.2, GpuEstimate.Seconds(1e12, 50e9, 100e9, new GpuDevice("test", 10e12)), 12);
        Assert.Throws<ArgumentException>(() => GpuEstimate.Seconds(1e12, 0, 100e9, GpuDevice.Rtx3090Amp));
    }

    [Fact]
    public void Experiments_without_a_probe_are_priced_from_the_recorded_seconds_labelled()
    {
        var quick = UnitCosts.Recorded("log-classifiers-speed", Profile.Quick);
        Assert.Equal((CostBasis.Recorded, 101.3, null), (quick.Basis, quick.Seconds, quick.Note));
        var full = UnitCosts.Recorded("log-classifiers-speed", Profile.Full);
        Assert.Equal(14.9, full.Seconds);
        Assert.Contains("full not recorded", full.Note);
    }

    [Fact]
    public void A_training_experiment_is_split_into_its_build_and_seed_units_with_the_records_steps()
    {
        var units = UnitCosts.For([new LogClassifiersTrainingExperiment()], Profile.Quick, 2);
        // 3 builds x 1 seed; 2 epochs x 128 samples / batch 32 = 8 steps; one validation per epoch.
        Assert.Equal(["DocumentedOriginal seed 1", "UpstreamOriginal seed 1", "Alternative seed 1"], units.Select(u => u.Unit));
        Assert.All(units, u =>
        {
            Assert.Equal((CostBasis.MeasuredStep, 8L, 2), (u.Basis, u.Steps, u.Evaluations));
            Assert.True(u.StepSeconds > 0 && u.EvaluationSeconds > 0, $"{u.Unit}: step and evaluation were timed");
        });
    }
}
