using Raccoon.Research.Measurements;
using Raccoon.Research.Tests.Support;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Measurements;

/// <summary>The Jacobian built from reverse passes, and the log-det check V2-09 rests on: exact for a map whose
/// log-det is right, off by exactly the mistake for one whose log-det is wrong.</summary>
public class JacobianTests : IClassFixture<TorchFixture>
{
    static readonly Tensor A = tensor(new double[,] { { 2, 1, 0 }, { 0, 3, 0 }, { 1, 0, 0.5 } }); // det 3

    [Fact]
    public void Rows_give_each_samples_jacobian_and_the_log_det_error_names_a_wrong_log_det()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[,] { { 1, 2, 3 }, { -1, 0, 4 } }).requires_grad_();
        var y = (x * x).matmul(A.t()); // y_i = sum_j A_ij x_j^2: J[b, i, j] = 2 A_ij x_bj
        var j = Jacobian.Rows(y, x);
        Assert.Equal([2L, 3, 3], j.shape);
        var expected = 2 * A.unsqueeze(0) * x.detach().unsqueeze(1);
        Assert.True(j.allclose(expected, rtol: 0, atol: 1e-12));

        var input = tensor(new double[,] { { 1, 2, 3 }, { -1, 0, 4 } });
        Assert.True(Jacobian.LogDetError(v => (v.matmul(A.t()), full(v.shape[0], Math.Log(3), dtype: ScalarType.Float64)), input) < 1e-12);
        Assert.Equal(0.5, Jacobian.LogDetError(v => (v.matmul(A.t()), full(v.shape[0], Math.Log(3) + 0.5, dtype: ScalarType.Float64)), input), 12);
        Assert.Throws<ArgumentException>(() => Jacobian.Rows(y.sum(), x));
    }
}
