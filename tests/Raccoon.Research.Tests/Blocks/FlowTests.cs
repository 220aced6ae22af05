using Raccoon.Research.Blocks.Flows;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Blocks;

/// <summary>One contract for every flow (as normalizing-flows tests it): shapes, forward-inverse round trip,
/// log-det(forward) + log-det(inverse) = 0, and log-det = log|det J| from autograd's Jacobian.</summary>
public class FlowTests : IClassFixture<TorchFixture>
{
    const int Batch = 3, Dim = 6, ContextDim = 4;

    public record Case(string Name, Func<Flow> Make, Func<long, Tensor?> Context)
    {
        public override string ToString() => Name;
    }

    static Tensor? NoContext(long b) => null;

    static Flow RandomisedDiagonal()
    {
        var flow = new DiagonalAffine(Dim);
        using (no_grad())
        {
            flow.Scale.copy_(tensor(new float[] { 0.5f, -1.5f, 2f, 0.1f, 1f, -0.7f })); // negative scales are invertible too
            flow.Shift.copy_(randn(Dim));
        }
        return flow;
    }

    public static TheoryData<Case> Flows() => new(
        new Case("diagonal affine (upstream init)", () => new DiagonalAffine(Dim), NoContext),
        new Case("diagonal affine (random scales)", RandomisedDiagonal, NoContext),
        new Case("coupling, masked input, context", () => new AffineCoupling(Dim, 16, AffineCoupling.AlternatingMask(Dim, 0), ContextDim), b => randn(b, ContextDim)),
        new Case("coupling, kept-only input, 3 hidden", () => new AffineCoupling(Dim, 16, AffineCoupling.AlternatingMask(Dim, 1), ContextDim, hiddenLayers: 3, input: CouplingInput.KeptOnly), b => randn(b, ContextDim)),
        new Case("coupling, no context", () => new AffineCoupling(Dim, 16, AffineCoupling.AlternatingMask(Dim, 1)), NoContext),
        new Case("time-conditioned coupling flow", () => new TimeConditionedCouplingFlow(Dim, 16, layers: 4, timeDim: 8), b => rand(b, 1)),
        new Case("coupling, tanh bound (path flow), context", () => new AffineCoupling(Dim, 16, AffineCoupling.AlternatingMask(Dim, 0), ContextDim, scaleRange: 1.5, bound: ScaleBound.Tanh), b => randn(b, ContextDim)),
        new Case("time-conditioned flow, tanh bound, frequencies to 16 (path flow prior)", () => new TimeConditionedCouplingFlow(Dim, 16, layers: 6, timeDim: 8, scaleRange: 1.5, maxFrequency: 16, bound: ScaleBound.Tanh), b => rand(b, 1)),
        new Case("multi-scale flow, 2 scales (6 -> 3)", () => new MultiScaleCouplingFlow(Dim, 16, scales: 2, timeDim: 8), b => rand(b, 1)),
        new Case("multi-scale flow, 3 scales (6 -> 3 -> 2), 3 couplings each, tanh bound (path flow)", () => new MultiScaleCouplingFlow(Dim, 16, scales: 3, couplingsPerScale: 3, timeDim: 8, scaleRange: 1.5, maxFrequency: 16, bound: ScaleBound.Tanh), b => rand(b, 1)),
        new Case("sequence of diagonals and a coupling", () => new FlowSequence([RandomisedDiagonal(), new AffineCoupling(Dim, 8, AffineCoupling.AlternatingMask(Dim, 0)), RandomisedDiagonal()]), NoContext));

    [Theory, MemberData(nameof(Flows))]
    public void Forward_then_inverse_returns_the_input(Case c)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var flow = c.Make();
        var x = randn(Batch, Dim);
        var ctx = c.Context(Batch);
        using var _ = no_grad();
        var (z, ldF) = flow.Forward(x, ctx);
        var (back, ldI) = flow.Inverse(z, ctx);
        Assert.Equal(new long[] { Batch, Dim }, z.shape);
        Assert.Equal(new long[] { Batch }, ldF.shape);
        Assert.Equal(new long[] { Batch }, ldI.shape);
        Assert.True((back - x).abs().max().item<float>() < 1e-5f, $"round trip error {(back - x).abs().max().item<float>()}");
        Assert.True((ldF + ldI).abs().max().item<float>() < 1e-5f, "forward and inverse log-dets must cancel");
    }

    [Theory, MemberData(nameof(Flows))]
    public void Log_det_equals_log_abs_det_of_the_autograd_jacobian(Case c)
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var flow = c.Make();
        flow.to(ScalarType.Float64); // double precision so the determinant check is tight
        var x = randn(Batch, Dim, dtype: ScalarType.Float64).requires_grad_();
        var ctx = c.Context(Batch)?.to_type(ScalarType.Float64);
        var (z, logDet) = flow.Forward(x, ctx);

        var jacobian = Jacobian(z, x);                       // (B, D, D)
        var (_, expected) = linalg.slogdet(jacobian);        // (B)
        var err = (logDet.detach() - expected).abs().max().item<double>();
        // 1e-6, not 1e-12: the diagonal flow keeps upstream's log(|scale| + 1e-8) guard (1e-7 per coordinate at scale 0.1).
        Assert.True(err < 1e-6, $"log-det differs from autograd by {err}");

        // The inverse's log-det is log|det| of the inverse map's Jacobian at z.
        var zIn = z.detach().requires_grad_();
        var (xBack, invLogDet) = flow.Inverse(zIn, ctx);
        var (_, expectedInv) = linalg.slogdet(Jacobian(xBack, zIn));
        Assert.True((invLogDet.detach() - expectedInv).abs().max().item<double>() < 1e-6);
    }

    static Tensor Jacobian(Tensor output, Tensor input) => Raccoon.Research.Measurements.Jacobian.Rows(output, input);

    [Fact]
    public void Coupling_leaves_the_masked_coordinates_unchanged_and_bounds_the_scale()
    {
        using var scope = NewDisposeScope();
        manual_seed(13);
        var mask = AffineCoupling.AlternatingMask(Dim, 0);
        Assert.Equal(new float[] { 1, 0, 1, 0, 1, 0 }, mask.data<float>().ToArray());
        var flow = new AffineCoupling(Dim, 16, mask, scaleRange: 3.0);
        using var _ = no_grad();
        var x = randn(Batch, Dim) * 100; // huge inputs would blow exp(scale) without the tanh bound
        var (z, logDet) = flow.Forward(x);
        Assert.Equal(x[.., 0].data<float>().ToArray(), z[.., 0].data<float>().ToArray());
        Assert.Equal(x[.., 2].data<float>().ToArray(), z[.., 2].data<float>().ToArray());
        Assert.True(logDet.abs().max().item<float>() <= 3.0f * 3 + 1e-4f, "three free coordinates, each |scale| < 3");
    }

    [Fact]
    public void Diagonal_affine_log_det_is_the_same_for_every_sample_and_has_two_d_parameters()
    {
        using var scope = NewDisposeScope();
        var flow = new DiagonalAffine(32);
        Assert.Equal(64, flow.parameters().Sum(p => p.numel()));
        using var _ = no_grad();
        var (_, ld) = flow.Forward(randn(5, 32));
        Assert.Equal(32 * Math.Log(0.1 + 1e-8), ld[0].item<float>(), 3);
        Assert.Equal(ld[0].item<float>(), ld[4].item<float>());
    }

    [Fact]
    public void Multi_scale_flow_halves_the_width_per_scale_and_factors_out_half()
    {
        using var scope = NewDisposeScope();
        var flow = new MultiScaleCouplingFlow(16, 8, scales: 3, timeDim: 4);
        Assert.Equal(new[] { 16, 8, 4 }, flow.Widths);
        Assert.Equal(new[] { 8, 4, 4 }, flow.FactoredOut);
        Assert.Equal(new long[] { 16, 8, 4 }, flow.Scales.Select(s => (long)((AffineCoupling)s.Layers[0]).Dim).ToArray());
        Assert.Equal(new[] { 6, 3, 2 }, MultiScaleCouplingFlow.ScaleWidths(6, 3)); // odd widths: floor(w/2) out, the rest on
        Assert.Equal(new[] { 1000, 500, 250, 125, 63 }, MultiScaleCouplingFlow.ScaleWidths(1000, 5));
        Assert.Contains("at least 2", Assert.Throws<ArgumentException>(() => new MultiScaleCouplingFlow(4, 8, scales: 3)).Message);
        Assert.Throws<ArgumentException>(() => new MultiScaleCouplingFlow(16, 8, scales: 0));
        using var _ = no_grad();
        var (z, ld) = flow.Forward(randn(5, 16), rand(5, 1));
        Assert.Equal(new long[] { 5, 16 }, z.shape);
        Assert.Equal(new long[] { 5 }, ld.shape);
    }

    [Fact]
    public void A_factored_out_block_depends_only_on_the_scales_before_it()
    {
        using var scope = NewDisposeScope();
        manual_seed(14);
        var flow = new MultiScaleCouplingFlow(16, 8, scales: 3, timeDim: 4);
        var x = randn(4, 16); var t = rand(4, 1);
        using var _ = no_grad();
        var before = flow.Forward(x, t).Z;
        void Perturb(int scale) { foreach (var p in flow.Scales[scale].parameters()) p.add_(0.5); }
        Perturb(2); // the last scale: only its own 4 coordinates move
        var afterLast = flow.Forward(x, t).Z;
        Assert.Equal(0f, (afterLast[.., ..12] - before[.., ..12]).abs().max().item<float>());
        Assert.True((afterLast[.., 12..] - before[.., 12..]).abs().max().item<float>() > 1e-3f);
        Perturb(1); // the middle scale: its 4 factored-out coordinates and the last 4 move, the first 8 do not
        var afterMiddle = flow.Forward(x, t).Z;
        Assert.Equal(0f, (afterMiddle[.., ..8] - before[.., ..8]).abs().max().item<float>());
        Assert.True((afterMiddle[.., 8..12] - afterLast[.., 8..12]).abs().max().item<float>() > 1e-3f);
    }

    [Fact]
    public void Multi_scale_flow_has_the_parameters_of_its_couplings_at_each_width()
    {
        using var scope = NewDisposeScope();
        // A coupling at width d (masked input, time context C = 4, hidden H = 8, two hidden layers) has
        // (d + C) H + H  +  H H + H  +  H 2d + 2d = 26 d + 112 parameters; the time embedding has none.
        // Two couplings at each of the widths 16, 8, 4: 2 (26 (16 + 8 + 4) + 3 x 112) = 2128.
        Assert.Equal(2128, new MultiScaleCouplingFlow(16, 8, scales: 3, couplingsPerScale: 2, timeDim: 4).parameters().Sum(p => p.numel()));
        // The flat stack of six couplings at width 16: 6 (26 x 16 + 112) = 3168.
        Assert.Equal(3168, new TimeConditionedCouplingFlow(16, 8, layers: 6, timeDim: 4).parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void One_scale_is_the_flat_time_conditioned_coupling_flow()
    {
        using var scope = NewDisposeScope();
        manual_seed(15);
        var flat = new TimeConditionedCouplingFlow(Dim, 16, layers: 4, timeDim: 8);
        var multi = new MultiScaleCouplingFlow(Dim, 16, scales: 1, couplingsPerScale: 4, timeDim: 8);
        using var _ = no_grad();
        foreach (var (a, b) in flat.parameters().Zip(multi.parameters())) b.copy_(a);
        var x = randn(Batch, Dim); var t = rand(Batch, 1);
        var (zf, lf) = flat.Forward(x, t);
        var (zm, lm) = multi.Forward(x, t);
        Assert.Equal(0f, (zf - zm).abs().max().item<float>());
        Assert.Equal(0f, (lf - lm).abs().max().item<float>());
    }

    [Fact]
    public void Wrong_shapes_are_named()
    {
        using var scope = NewDisposeScope();
        var coupling = new AffineCoupling(Dim, 8, AffineCoupling.AlternatingMask(Dim, 0), ContextDim);
        var e1 = Assert.Throws<ArgumentException>(() => coupling.Forward(randn(2, Dim + 1), randn(2, ContextDim)));
        Assert.Contains("(batch, 6)", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => coupling.Forward(randn(2, Dim)));
        Assert.Contains("context", e2.Message);
        var flow = new TimeConditionedCouplingFlow(Dim, 8, timeDim: 4);
        Assert.Throws<ArgumentException>(() => flow.Forward(randn(2, Dim)));
    }
}
