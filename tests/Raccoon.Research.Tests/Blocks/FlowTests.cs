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

    /// <summary>J[b, i, j] = d out[b, i] / d input[b, j], row by row with backward (samples are independent).</summary>
    static Tensor Jacobian(Tensor output, Tensor input)
    {
        var rows = new List<Tensor>();
        for (int i = 0; i < output.shape[1]; i++)
        {
            var grad = autograd.grad([output[.., i].sum()], [input], retain_graph: true)[0]; // (B, D)
            rows.Add(grad);
        }
        return stack(rows, 1); // (B, D_out, D_in)
    }

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
