using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Sde;
using Raccoon.Research.Models.PathFlow;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.PathFlow;

public class PathFlowModelTests : IClassFixture<TorchFixture>
{
    static readonly PathFlowConfig Small = new(DataDim: 3, LatentDim: 4, Hidden: 16, Couplings: 2, TimeDim: 8);

    [Fact]
    public void Upstream_sizes_give_353392_parameters_per_module()
    {
        using var scope = NewDisposeScope();
        var model = new PathFlowModel();
        var parts = model.ParameterBreakdown().ToDictionary(p => p.Module, p => p.Parameters);
        Assert.Equal(158_256, parts["prior flow (time-conditioned RealNVP)"]);
        Assert.Equal(26_376, model.PriorFlow.Couplings.Layers[0].parameters().Sum(p => p.numel()));
        Assert.Equal(12, parts["prior OU"]);
        Assert.Equal(109_860, parts["observation flow (conditional RealNVP)"]);
        Assert.Equal(18_310, model.ObservationFlow.Layers[0].parameters().Sum(p => p.numel()));
        Assert.Equal(51_072, parts["posterior encoder (GRU)"]);
        Assert.Equal(34_184, parts["posterior affine"]);
        Assert.Equal(8, parts["z0 prior"]);
        Assert.Equal(353_392, model.ParameterCount);
        Assert.Equal(353_392, parts.Values.Sum());
    }

    [Fact]
    public void Grouped_ou_has_3d_plus_d_over_g_times_g_squared_parameters()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(3 * 256 + 64 * 16, new GroupedOrnsteinUhlenbeck(256, 4).parameters().Sum(p => p.numel()));
        Assert.Equal(3 * 4 + 4, new GroupedOrnsteinUhlenbeck(4, 1).parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Upstream_data_is_euler_maruyama_at_dt_2_5e_4_for_12000_steps_and_121_points()
    {
        using var scope = NewDisposeScope();
        var data = LorenzPaths.Generate(8, new Generator(1));
        Assert.Equal(new long[] { 8, 121, 3 }, data.Xs.shape);
        Assert.Equal(12_000, data.SolverSteps);
        Assert.Equal(2.5e-4, data.SolverDt, 12);
        Assert.Equal(3.0, data.Ts[0, 120, 0].item<float>(), 5);
        Assert.Contains("Euler-Maruyama", data.Solver);
    }

    [Fact]
    public void The_data_equals_the_euler_maruyama_solve_of_the_same_noise_step_for_step_and_not_a_coarser_one()
    {
        using var scope = NewDisposeScope();
        // 12 x 40 steps over 3 time units (dt 0.00625) against 12 x 20 (dt 0.0125); Euler-Maruyama on Lorenz diverges at dt 0.025
        var data = LorenzPaths.Generate(5, new Generator(9), observations: 12, innerSteps: 40);
        float same = (data.Xs - LorenzPaths.SolveAgain(5, 9, observations: 12, innerSteps: 40)).abs().max().item<float>();
        float coarser = (data.Xs - LorenzPaths.SolveAgain(5, 9, observations: 12, innerSteps: 20)).abs().max().item<float>();
        float otherSeed = (data.Xs - LorenzPaths.SolveAgain(5, 10, observations: 12, innerSteps: 40)).abs().max().item<float>();
        Assert.True(same < 1e-5, $"the generated paths differ from the solve of the same noise by {same}");
        Assert.True(coarser > 1e-2, $"a solve of half as many steps differs by only {coarser}: the comparison cannot tell solves apart");
        Assert.True(otherSeed > 1e-2, $"a solve of other noise differs by only {otherSeed}");
    }

    [Fact]
    public void Windowed_attention_equals_global_when_the_window_covers_every_point()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var values = randn(2, 13, 5, dtype: ScalarType.Float64);
        var queries = rand(2, 9, dtype: ScalarType.Float64) * 1.2; // some past the end, as upstream's raw time
        var global = WindowedTimeAttention.Global(values, queries);
        Assert.True((WindowedTimeAttention.RepeatPerQuery(values, queries) - global).abs().max().item<double>() < 1e-12); // upstream's form, the same sum
        foreach (int w in new[] { 13, 20 })
        {
            var windowed = WindowedTimeAttention.Windowed(values, queries, w);
            Assert.True((windowed - global).abs().max().item<double>() < 1e-12);
        }
        // Upstream's weights are a Gaussian one key-spacing wide, so 7 nearest points carry all but ~1e-8 of them.
        var narrow = WindowedTimeAttention.Windowed(values, queries, 7);
        Assert.True((narrow - global).abs().max().item<double>() < 1e-6);
        Assert.True((WindowedTimeAttention.Windowed(values, queries, 1) - global).abs().max().item<double>() > 1e-3);
    }

    [Fact]
    public void Every_attention_form_reads_the_exact_softmax_weighted_sum()
    {
        using var scope = NewDisposeScope();
        // Two keys at tau = 0 and 1, L = 2: a query at t = 0 weighs them softmax(0, -(2 x 1)^2) = (1, e^-4) / (1 + e^-4).
        var values = tensor(new double[] { 1, 10, 3, -2 }).view(1, 2, 2);                 // v0 = (1, 10), v1 = (3, -2)
        var queries = tensor(new double[] { 0 }).view(1, 1);
        double w1 = Math.Exp(-4) / (1 + Math.Exp(-4)), w0 = 1 - w1;
        double[] expected = [w0 * 1 + w1 * 3, w0 * 10 - w1 * 2];
        foreach (var read in new[] { WindowedTimeAttention.RepeatPerQuery(values, queries), WindowedTimeAttention.Global(values, queries), WindowedTimeAttention.Windowed(values, queries, 2) })
        {
            Assert.Equal(new long[] { 1, 1, 2 }, read.shape);
            Assert.Equal(expected[0], read[0, 0, 0].item<double>(), 12);
            Assert.Equal(expected[1], read[0, 0, 1].item<double>(), 12);
        }
        // A window of one key reads the nearest value alone.
        Assert.Equal(new[] { 1.0, 10.0 }, WindowedTimeAttention.Windowed(values, queries, 1).data<double>().ToArray());
    }

    [Fact]
    public void PosteriorAttend_is_the_attention_step_of_PosteriorCoefficients_in_every_form()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var xs = randn(2, 40, 3);
        var q = linspace(0, 1, 40).unsqueeze(0).repeat(2, 1);                                // (2, 40)
        var upstream = new PathFlowModel(Small);
        var state = upstream.state_dict();
        var reads = new List<Tensor>();
        foreach (var cfg in new[] { Small, Small with { Attention = PosteriorAttention.Global }, Small with { Attention = PosteriorAttention.Windowed, Window = 40 }, Small with { Attention = PosteriorAttention.Windowed, Window = 10 } })
        {
            var m = new PathFlowModel(cfg);
            m.load_state_dict(state);
            using var _ = no_grad();
            var ctx = m.Encode(xs);
            var read = m.PosteriorAttend(ctx, q);
            Assert.Equal(new long[] { 2, 40, 16 }, read.shape);
            // the coefficients are the MLP applied to the final state plus exactly this read
            var coeffs = m.PosteriorNet.forward(cat([ctx[.., 0].unsqueeze(1) + read, q.unsqueeze(2)], 2)).chunk(2, -1);
            var (mean, std) = m.PosteriorCoefficients(ctx, q);
            Assert.Equal(0f, (mean - coeffs[0]).abs().max().item<float>());
            Assert.Equal(0f, (std - coeffs[1].exp()).abs().max().item<float>());
            reads.Add(read);
        }
        Assert.True((reads[0] - reads[1]).abs().max().item<float>() < 1e-5f);               // upstream's repeat == one matmul
        Assert.True((reads[1] - reads[2]).abs().max().item<float>() < 1e-5f);               // a window over every key == global
        Assert.True((reads[1] - reads[3]).abs().max().item<float>() < 1e-5f);               // 10 keys hold all but ~1e-8 of the weight
        using var ng = no_grad();
        var nearestOnly = WindowedTimeAttention.Windowed(upstream.Encode(xs)[.., 1..], q, 1);
        Assert.True((reads[1] - nearestOnly).abs().max().item<float>() > 1e-3f, "a window of one key should differ from the global read");
    }

    [Fact]
    public void Posterior_modes_agree_upstream_repeat_global_matmul_and_full_window()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var xs = randn(3, 11, 3);
        var ts = linspace(0, 3, 11).view(1, 11, 1).repeat(3, 1, 1);
        var upstream = new PathFlowModel(Small);
        var state = upstream.state_dict();
        var results = new List<Tensor>();
        foreach (var cfg in new[] { Small, Small with { Attention = PosteriorAttention.Global }, Small with { Attention = PosteriorAttention.Windowed, Window = 11 } })
        {
            var m = new PathFlowModel(cfg);
            m.load_state_dict(state);
            using var _ = no_grad();
            results.Add(m.PosteriorCoefficients(m.Encode(xs), m.PosteriorQueryTime(ts[.., .., 0])).Mean);
        }
        Assert.True((results[0] - results[1]).abs().max().item<float>() < 1e-5f);
        Assert.True((results[0] - results[2]).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void Raw_time_quirk_sends_the_last_two_thirds_of_the_queries_to_the_final_step()
    {
        using var scope = NewDisposeScope();
        var q = PathFlowQuirk.Measure(121, 0, 3);
        Assert.Equal(121, q.Queries);
        Assert.InRange(q.QueriesOnFinalStep, 80, 81);            // t >= 1 + 1/(2 T): 2/3 of 121 queries
        Assert.True(q.FixedQueriesOnFinalStep <= 1);
    }

    [Fact]
    public void Grouped_ou_with_group_size_1_equals_the_diagonal_ou()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var diag = new DiagonalOrnsteinUhlenbeck(6);
        var grouped = new GroupedOrnsteinUhlenbeck(6, 1);
        using (no_grad())
        {
            foreach (var (a, b) in new[] { (diag.Mu, grouped.Mu), (diag.LogKappa, grouped.LogKappa), (diag.LogSigma, grouped.LogSigma) })
            {
                var v = randn(6);
                a.copy_(v); b.copy_(v);
            }
        }
        diag.to(ScalarType.Float64); grouped.to(ScalarType.Float64);
        var times = tensor(new double[] { 0, 0.1, 0.25, 0.3, 0.7, 1.5 });
        var y = randn(4, 6, 6, dtype: ScalarType.Float64);
        var y0 = randn(4, 6, dtype: ScalarType.Float64);
        var a1 = diag.PathLogProb(y, times, y0);
        var a2 = grouped.PathLogProb(y, times, y0);
        Assert.True((a1 - a2).abs().max().item<double>() < 1e-9, $"diff {(a1 - a2).abs().max().item<double>()}");
        var p1 = diag.SamplePath(times, y0, new Generator(9));
        var p2 = grouped.SamplePath(times, y0, new Generator(9));
        Assert.True((p1 - p2).abs().max().item<double>() < 1e-9);
        Assert.Equal(5, grouped.LastSampleSteps);
    }

    [Fact]
    public void Grouped_ou_exact_transition_matches_a_long_euler_maruyama_simulation()
    {
        using var scope = NewDisposeScope();
        var ou = new GroupedOrnsteinUhlenbeck(4, 2);
        using (no_grad())
        {
            ou.Mu.copy_(tensor(new float[] { 0.5f, -0.3f, 0.0f, 1.0f }));
            ou.LogKappa.copy_(tensor(new float[] { 0.2f, -0.5f, 0.4f, 0.0f }));
            ou.LogSigma.copy_(tensor(new float[] { 0.3f, -0.2f, 0.0f, 0.5f }));
            ou.Coupling.copy_(tensor(new float[] { 0, 1.5f, 0, 0, 0, -0.8f, 0.3f, 0 }).view(2, 2, 2));
        }
        ou.to(ScalarType.Float64);
        double horizon = 0.8; int steps = 400, paths = 40_000;
        var y0 = tensor(new double[] { 1.0, -1.0, 0.5, 2.0 }).expand(paths, 4).contiguous();
        using var _ = no_grad();
        var g = new Generator(17);
        var y = y0;
        for (int k = 0; k < steps; k++) y = EulerMaruyama.Step(ou, y, null, horizon / steps, g);
        var (phi, q) = ou.Transitions([horizon]);
        var mean = (ou.Mu.view(1, 2, 2, 1) + matmul(phi[0], (y0[..1] - ou.Mu).view(1, 2, 2, 1))).view(4);
        var simMean = y.mean([0L]);
        Assert.True((simMean - mean).abs().max().item<double>() < 0.02, $"mean {string.Join(", ", simMean.data<double>().ToArray())} vs {string.Join(", ", mean.data<double>().ToArray())}");
        for (int grp = 0; grp < 2; grp++)
        {
            var block = y[.., (2 * grp)..(2 * grp + 2)];
            var centred = block - block.mean([0L]);
            var cov = matmul(centred.t(), centred) / (paths - 1);
            var err = (cov - q[0, grp]).abs().max().item<double>();
            Assert.True(err < 0.02 * Math.Max(1, q[0, grp].abs().max().item<double>()), $"group {grp}: covariance off by {err}");
        }
    }

    [Fact]
    public void Elbo_is_finite_and_backprop_reaches_every_parameter()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var data = LorenzPaths.Generate(4, new Generator(2), observations: 20, innerSteps: 10);
        foreach (var cfg in new[] { Small, Small with { Attention = PosteriorAttention.Windowed, Window = 3, OuGroupSize = 2, NormalisedPosteriorTime = true } })
        {
            var model = new PathFlowModel(cfg);
            var loss = model.Loss(data.Xs, data.Ts, new Generator(3));
            Assert.True(float.IsFinite(loss.item<float>()));
            loss.backward();
            var missing = model.named_parameters().Where(p => p.parameter.grad is null).Select(p => p.name).ToList();
            // the zero-initialised coupling output layers still get gradients; only z0/OU coupling may not at start
            Assert.True(missing.Count == 0, "no gradient for: " + string.Join(", ", missing));
        }
    }

    [Fact]
    public void Sampling_takes_three_flow_passes_and_t_minus_1_ou_steps()
    {
        using var scope = NewDisposeScope();
        var model = new PathFlowModel(Small);
        model.ResetCounters();
        var (z, x) = model.SamplePaths(linspace(0, 3, 31), model.SampleZ0(5, new Generator(1)), new Generator(2));
        Assert.Equal(new long[] { 5, 31, 4 }, z.shape);
        Assert.Equal(new long[] { 5, 31, 3 }, x.shape);
        Assert.Equal(3, model.FlowPasses);
        Assert.Equal(30, model.Ou.LastSampleSteps);
        // the same count read from the computation: the generator advanced by exactly 30 increments of (5 x 4)
        var used = new Generator(2);
        model.SamplePaths(linspace(0, 3, 31), model.SampleZ0(5, new Generator(1)), used);
        Assert.Equal(30, Raccoon.Research.Experiments.PathFlow.PathFlowInferenceExperiment.IncrementsDrawn(used, 2, [5, 4], ScalarType.Float32, 40));
        var other = new Generator(2);
        for (int k = 0; k < 7; k++) randn([5, 4], generator: other);
        Assert.Equal(7, Raccoon.Research.Experiments.PathFlow.PathFlowInferenceExperiment.IncrementsDrawn(other, 2, [5, 4], ScalarType.Float32, 40));
        Assert.Equal(-1, Raccoon.Research.Experiments.PathFlow.PathFlowInferenceExperiment.IncrementsDrawn(used, 2, [5, 4], ScalarType.Float32, 20));
    }

    [Fact]
    public void Bad_input_gets_a_clear_error()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("window", Assert.Throws<ArgumentException>(() => new WindowedTimeAttention(0)).Message);
        Assert.Contains("window", Assert.Throws<ArgumentException>(() => new PathFlowModel(Small with { Attention = PosteriorAttention.Windowed, Window = 0 })).Message);
        Assert.Contains("divide", Assert.Throws<ArgumentException>(() => new GroupedOrnsteinUhlenbeck(10, 4)).Message);
        Assert.Contains("divide", Assert.Throws<ArgumentException>(() => new PathFlowModel(Small with { OuGroupSize = 3 })).Message);
        var model = new PathFlowModel(Small);
        var xs = randn(2, 5, 3);
        var ts = tensor(new float[] { 0, 0.5f, 0.4f, 1, 2 }).view(1, 5, 1).repeat(2, 1, 1);
        Assert.Contains("increasing", Assert.Throws<ArgumentException>(() => model.Elbo(xs, ts)).Message);
        var good = linspace(0, 1, 5).view(1, 5, 1).repeat(2, 1, 1);
        var nan = xs.clone(); nan[0, 2, 1] = tensor(float.NaN);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => model.Elbo(nan, good)).Message);
        Assert.Contains("increase", Assert.Throws<ArgumentException>(() => new DiagonalOrnsteinUhlenbeck(2).SamplePath(tensor(new float[] { 0, 1, 1 }), zeros(1, 2))).Message);
    }
}
