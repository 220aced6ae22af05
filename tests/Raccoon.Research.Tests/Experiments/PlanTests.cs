using System.Text.RegularExpressions;
using Raccoon.Research.Experiments;
using Raccoon.Research.Experiments.GlyphCnn;
using Raccoon.Research.Experiments.LanguageModels;
using Raccoon.Research.Experiments.LatentOde;
using Raccoon.Research.Experiments.LogClassifiers;
using Raccoon.Research.Experiments.PathFlow;
using Raccoon.Research.Measurements;
using Raccoon.Research.Models.PathFlow;
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
            new(1024, 256, 128, 10_000, 3, 256, 10_000, 128));
        // path-flow-scaling: one record holding V2-05's repeats and each section's record (V2-02/V2-11, V2-04, V2-10), values unchanged.
        var scaling = PathFlowScalingExperiment.Profiles;
        Same(p => scaling.For(p).Repeats, 3, 7, 15);
        int[] none = [];
        SameList(p => scaling.For(p).Attention.Lengths, [100, 300, 1000, 3000, 10_000], [100, 300, 1000, 3000, 10_000], [100, 300, 1000, 3000, 10_000]);
        SameList(p => scaling.For(p).Attention.SpeechUpstreamLengths, [250, 500], [250, 500, 1000], [250, 500, 1000]);
        Same(p => scaling.For(p).Attention with { Lengths = none, SpeechUpstreamLengths = none },
            new(none, 1200L << 20, Repeats: 3, ElboSeeds: 3, ElboSteps: 5, ElboPaths: 8, ElboHidden: 32, SpeechRepeats: 3, SpeechUpstreamLengths: none, SpeechUpstreamCapBytes: 1200L << 20),
            new(none, 2500L << 20, Repeats: 7, ElboSeeds: 3, ElboSteps: 30, ElboPaths: 16, ElboHidden: 32, SpeechRepeats: 3, SpeechUpstreamLengths: none, SpeechUpstreamCapBytes: 2500L << 20),
            new(none, 4000L << 20, Repeats: 15, ElboSeeds: 3, ElboSteps: 2000, ElboPaths: 256, ElboHidden: 128, SpeechRepeats: 6, SpeechUpstreamLengths: none, SpeechUpstreamCapBytes: 4000L << 20));
        SameList(p => scaling.For(p).Flow.Dims, [16, 64, 256, 1024], [16, 64, 256, 1024, 4096], [16, 64, 256, 1024, 4096, 16384]);
        Same(p => scaling.For(p).Flow with { Dims = none },
            new(none, Batch: 256, Repeats: 3, FitFrom: 256, LikelihoodDim: 64, TrainPaths: 16, HeldOutPaths: 8, Steps: 30, Evaluations: 3),
            new(none, Batch: 256, Repeats: 15, FitFrom: 256, LikelihoodDim: 256, TrainPaths: 64, HeldOutPaths: 32, Steps: 150, Evaluations: 10),
            new(none, Batch: 256, Repeats: 21, FitFrom: 256, LikelihoodDim: 1024, TrainPaths: 256, HeldOutPaths: 64, Steps: 2000, Evaluations: 20));
        SameList(p => scaling.For(p).Factorised.BaselineDims, [1000, 3000], [1000, 3000, 10000], [1000, 3000, 10000, 30000]);
        Same(p => scaling.For(p).Factorised with { BaselineDims = none },
            new(Steps: 8, Paths: 8, Evaluations: 4, TimingRepeats: 3, BaselineDims: none),
            new(Steps: 40, Paths: 16, Evaluations: 8, TimingRepeats: 6, BaselineDims: none),
            new(Steps: 400, Paths: 64, Evaluations: 20, TimingRepeats: 12, BaselineDims: none));

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
        Assert.Equal("c / big", plan.Longest!.Name);
        // More nodes than units: the wall time is the longest unit's.
        Assert.Equal(7200, RunPlan.Of(Profile.Full, 16, 2, Given, "given").WallSeconds);
        Assert.Equal(8160, RunPlan.Of(Profile.Full, 1, 2, Given, "given").WallSeconds);
        Assert.Equal(0, RunPlan.Of(Profile.Quick, 3, 2, [], "given").WallSeconds);
    }

    [Fact]
    public void Units_their_experiment_cannot_run_apart_are_placed_on_one_node_together()
    {
        // a's two runs are priced apart but a declares no training units: one node runs both, 870 s.
        PlanUnit[] together = [.. Given.Select(u => u.Experiment == "a" ? u with { RunsAlone = false } : u)];
        var plan = RunPlan.Of(Profile.Full, 3, 2, together, "given");
        Assert.Equal(["a (2 units run together)", "b / whole experiment", "c / big"], plan.Placements.Select(p => p.Name).Order());
        Assert.Equal([7200.0, 870.0, 90.0], plan.NodeLoads);
        // Apart (as Given), 3 nodes would spread them: 7,200, 550, 410.
        Assert.Equal([7200.0, 550.0, 410.0], RunPlan.Of(Profile.Full, 3, 2, Given, "given").NodeLoads);
        // With a long unit in a: the group is the longest placement and bounds the wall time.
        PlanUnit[] longA = [.. together.Select(u => u.Unit == "two" ? u with { Steps = 8000, StepSeconds = 1 } : u)];
        var longPlan = RunPlan.Of(Profile.Full, 16, 2, longA, "given");
        Assert.Equal("a (2 units run together)", longPlan.Longest!.Name);
        Assert.Equal(550 + 8020, longPlan.WallSeconds);
        Assert.Contains("run together on one node", longPlan.Format());
        // The real plan: path-flow-training's units run alone (it declares them), path-flow-scaling's sections do not.
        Assert.Contains("lorenz-upstream.training-seed1", Raccoon.Research.Experiments.ExperimentRegistry.Get("path-flow-training").TrainingUnits(Profile.Full));
        Assert.Empty(Raccoon.Research.Experiments.ExperimentRegistry.Get("path-flow-scaling").TrainingUnits(Profile.Full));
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
        Assert.Contains("wall time on 2 node(s): 2.0 h (units placed longest first, each experiment's that run together as one; the longest, c / big, takes 2.0 h alone)", text);
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
        Assert.Equal(0.5, GpuEstimate.ShareOfPeak(50e9, 100e9), 12);
        Assert.Equal(0.2, GpuEstimate.Seconds(1e12, 50e9, 100e9, new GpuDevice("test", 10e12)), 12);
        Assert.Equal(0.2, GpuEstimate.Seconds(1e12, 0.5, new GpuDevice("test", 10e12)), 12);
        // G3-06's figure: a million glyphs' forward + backward (3 x 2 MFLOP each) at 25% of the 3090's 71 TFLOP/s: 6e12 / 17.75e12 s.
        Assert.Equal(6e12 / 17.75e12, GpuEstimate.Seconds(1e6 * 3 * 2e6, 0.25, GpuDevice.Rtx3090Amp), 12);
        Assert.Throws<ArgumentException>(() => GpuEstimate.Seconds(1e12, 0, 100e9, GpuDevice.Rtx3090Amp));
        Assert.Throws<ArgumentException>(() => GpuEstimate.Seconds(1e12, 0.0, GpuDevice.Rtx3090Amp));
    }

    [Fact]
    public void Machine_memory_is_read_from_meminfo_in_kilobytes()
    {
        string[] lines = ["MemTotal:       24573948 kB", "MemFree:         1000000 kB", "MemAvailable:   20000000 kB"];
        Assert.Equal(24573948L * 1024, MachineContext.MemInfoBytes(lines, "MemTotal"));
        Assert.Equal(20000000L * 1024, MachineContext.MemInfoBytes(lines, "MemAvailable"));
        Assert.Null(MachineContext.MemInfoBytes(lines, "SwapTotal"));
        var e = Assert.Throws<FormatException>(() => MachineContext.MemInfoBytes(["MemTotal: lots kB"], "MemTotal"));
        Assert.Contains("MemTotal: lots kB", e.Message);
        Assert.True(MachineContext.MemoryBytes() > 0 && MachineContext.AvailableMemoryBytes() > 0);
    }

    [Fact]
    public void A_steps_memory_is_the_training_state_plus_activations_per_sample()
    {
        // 1,000 parameters: weights, gradients and two Adam moments, 4 x 4 bytes each; 1,000,000 floats (4 MB) per sample.
        var step = new StepMemory(Parameters: 1000, FloatsPerSample: 1_000_000, Batch: 1024);
        Assert.Equal(16_000, step.StateBytes);
        Assert.Equal(16_000 + 1024 * 4_000_000L, step.PeakBytes());
        Assert.Equal(4_000, (step with { Training = false }).StateBytes); // an evaluation holds the weights only
        Assert.Equal(100, step.LargestBatchWithin(16_000 + 100 * 4_000_000L + 3_999_999)); // room for 100 samples, not 101
        Assert.Equal(1024, step.LargestBatchWithin(long.MaxValue / 2));
        Assert.Equal(0, step.LargestBatchWithin(16_000 + 3_999_999));
        Assert.Throws<ArgumentException>(() => new StepMemory(10, 0, 1).LargestBatchWithin(1000));
    }

    [Fact]
    public void The_path_flows_step_memory_counts_its_attention_flows_and_encoder_from_the_sizes()
    {
        // V2-01 at full: upstream's model (hidden 128, latent 4, data 3, 6 couplings, time embedding 64), T = 121.
        var c = new PathFlowConfig(Hidden: 128);
        long encoder = 121 * 10 * 128 + 122 * 128;                  // 170,496: GRU gates and states, then the context
        long attention = 4L * 121 * 121 * 128;                      // 7,496,192: the states repeated per query, kept and their gradient
        long posterior = 121 * (6 * 128 + 2 * 4 + 1);                // 94,017
        long latent = 121 * 10 * 4;                                  // 4,840
        long prior = 122 * (64 + 6 * (4 + 64 + 4 * 128 + 2 * 4 + 12 * 4));   // 473,360: 6 couplings over T + 1 points
        long observation = 121 * 6 * (3 + 4 + 4 * 128 + 2 * 3 + 12 * 3);   // 407,286
        long perPath = encoder + attention + posterior + latent + prior + observation;
        Assert.Equal(8_646_191, perPath);
        Assert.Equal(perPath, PathFlowMemory.FloatsPerPath(c, 121, training: true));
        var step = PathFlowMemory.TrainingStep(c, parameters: 500_000, paths: 1024, times: 121);
        Assert.Equal(500_000L * 16 + 1024 * perPath * 4, step.PeakBytes()); // ~35.4 GB: over this machine's 24 GiB
        // Without gradients the attention keeps half; windowed attention holds 2 x T x w x H per path instead of T^2 H.
        Assert.Equal(perPath - 2L * 121 * 121 * 128, PathFlowMemory.FloatsPerPath(c, 121, training: false));
        Assert.Equal(perPath - attention + 4L * 121 * 10 * 128, PathFlowMemory.FloatsPerPath(c with { Attention = PosteriorAttention.Windowed }, 121, training: true));
    }

    [Fact]
    public void The_glyph_cnns_step_memory_counts_every_conv_bn_act_at_its_resolution()
    {
        // Full (E 96, stages 96 / 192 / 256 at 16 / 8 / 4 cells a side, 3 blocks each, head 256) at 1,197 classes.
        long embedding = 2 * 256 * 96, stem = 5 * 256 * 96;
        long stage0 = 3 * 11 * 256 * 96;                              // two ConvBnAct of 5 tensors and a sum per block
        long stage1 = 5 * 64 * 192 + 3 * 11 * 64 * 192;               // the stride-2 downsample, then the blocks
        long stage2 = 5 * 16 * 256 + 3 * 11 * 16 * 256;
        long head = 3 * 256 + 4 * 256 + 2 * 1197;
        Assert.Equal(1_609_818, embedding + stem + stage0 + stage1 + stage2 + head);
        Assert.Equal(1_609_818, Raccoon.Research.Models.GlyphCnn.GlyphCnnClassifier.TrainingFloatsPerGlyph(Raccoon.Research.Models.GlyphCnn.GlyphCnnConfig.Full()));
    }

    [Fact]
    public void A_step_over_the_memory_budget_is_timed_on_a_share_and_scaled_or_not_run_at_all()
    {
        var step = new StepMemory(Parameters: 1000, FloatsPerSample: 1_000_000, Batch: 1024); // 4.1 GB whole
        var asked = new List<long>();
        double Time(long b) { asked.Add(b); return 2.5; }

        var none = ShareProbe.Time(step, 3_000_000, Time); // not one sample fits: nothing runs
        Assert.Empty(asked);
        Assert.Equal((false, false, 0.0), (none.Timed, none.Whole, none.Seconds));
        Assert.Equal("step: not timed: one sample alone is over the probe's memory budget (the whole needs ~4.1 GB by its sizes)", none.Label("step"));

        var share = ShareProbe.Time(step, 16_000 + 100 * 4_000_000L, Time); // room for 100 of 1,024
        Assert.Equal([100L], asked);
        Assert.Equal(2.5 * 1024 / 100, share.Seconds, 12);
        Assert.Equal("step: estimate: timed at batch 100 of 1,024, scaled linearly (the whole needs ~4.1 GB by its sizes)", share.Label("step"));

        var whole = ShareProbe.Time(step, 5_000_000_000, Time);
        Assert.Equal([100L, 1024L], asked);
        Assert.Equal((true, 2.5), (whole.Whole, whole.Seconds));
        Assert.Null(whole.Label("step"));
    }

    [Fact]
    public void A_unit_over_a_nodes_memory_is_marked_and_one_not_priced_is_left_out_of_the_total_by_name()
    {
        const long GiB = 1L << 30;
        PlanUnit[] units =
        [
            new("path-flow-training", "V2-01 upstream seed 1", CostBasis.ScaledShare, Steps: 10_000, StepSeconds: 2, PeakBytes: 35_420_000_000,
                Note: "step: estimate: timed at batch 300 of 1,024, scaled linearly"),
            new("path-flow-training", "V2-01 windowed seed 1", CostBasis.MeasuredStep, Steps: 10_000, StepSeconds: 1, PeakBytes: 4_000_000_000),
            new("x", "huge", CostBasis.NotPriced, Steps: 5, PeakBytes: 900_000_000_000, Note: "step: not timed"),
        ];
        var plan = RunPlan.Of(Profile.Full, 1, 2, units, "given", nodeMemoryBytes: 24 * GiB);
        Assert.Equal([true, false, true], units.Select(plan.OverNodeMemory));
        string text = plan.Format();
        Assert.Contains("  path-flow-training / V2-01 upstream seed 1: needs ~35 GB, does not fit one node of 24 GiB; step: estimate: timed at batch 300 of 1,024, scaled linearly", text);
        Assert.DoesNotContain("V2-01 windowed seed 1: needs", text);
        Assert.Contains("  x / huge: needs ~900 GB, does not fit one node of 24 GiB; step: not timed", text);
        Assert.Contains("total: 8.3 node-hours = 16.7 core-hours, without the 1 unit(s) not priced (x / huge)", text);
        Assert.Contains("over a node's memory: 2 unit(s) need more than one node's 24 GiB for a step", text);
        Assert.StartsWith("plan: profile full, 3 units, on 1 node(s) of 2 cores and 24 GiB (this machine's size); nothing was run", text);
        Assert.Matches(@"(?m)^x\s+huge\s+not priced\s+5\s+\?\s", text); // its row: the steps, and no step cost
    }

    [Fact]
    public void Experiments_without_a_probe_are_priced_from_the_recorded_seconds_labelled()
    {
        var quick = UnitCosts.Recorded("log-classifiers-speed", Profile.Quick);
        // The seconds experiment-costs.json records (refreshed from each quiet run), read back as they are.
        Assert.Equal((CostBasis.Recorded, Sharding.Recorded("log-classifiers-speed", Profile.Quick), null), (quick.Basis, (double?)quick.Seconds, quick.Note));
        var full = UnitCosts.Recorded("log-classifiers-speed", Profile.Full);
        Assert.Equal(Sharding.Recorded("log-classifiers-speed", Profile.Standard), full.Seconds);
        Assert.Contains("full not recorded", full.Note);
    }

    [Fact]
    public void The_plan_prices_each_declared_training_unit_under_its_name_and_places_it_alone()
    {
        // Every experiment that declares training units: the plan's units are exactly those, each running alone.
        var declaring = Raccoon.Research.Experiments.ExperimentRegistry.All.Where(e => e.TrainingUnits(Profile.Quick).Count > 0).ToList();
        Assert.Equal(["glyph-cnn-training", "language-models-training", "latent-ode-training", "log-classifiers-training", "path-flow-training"], declaring.Select(e => e.Name).Order());
        foreach (var e in declaring)
        {
            var units = UnitCosts.For([e], Profile.Quick, 2);
            Assert.Equal(e.TrainingUnits(Profile.Quick).Order(), units.Select(u => u.Unit).Order());
            Assert.All(units, u => Assert.True(u.RunsAlone, $"{e.Name} / {u.Unit}"));
        }
    }

    [Fact]
    public void A_training_experiment_is_split_into_its_build_and_seed_units_with_the_records_steps()
    {
        var units = UnitCosts.For([new LogClassifiersTrainingExperiment()], Profile.Quick, 2);
        // 3 builds x 1 seed, named as the experiment's training units (each runs alone); 2 epochs x 128 samples / batch 32 = 8
        // steps; one validation per epoch.
        Assert.Equal(["DocumentedOriginal.training-seed1", "UpstreamOriginal.training-seed1", "Alternative.training-seed1"], units.Select(u => u.Unit));
        Assert.Equal(new LogClassifiersTrainingExperiment().TrainingUnits(Profile.Quick), units.Select(u => u.Unit));
        Assert.All(units, u =>
        {
            Assert.True(u.RunsAlone, u.Unit);
            Assert.Equal((CostBasis.MeasuredStep, 8L, 2), (u.Basis, u.Steps, u.Evaluations));
            Assert.True(u.StepSeconds > 0 && u.EvaluationSeconds > 0, $"{u.Unit}: step and evaluation were timed");
        });
    }
}
