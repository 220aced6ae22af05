using Raccoon.Research.Tests.Support;
using Raccoon.Research.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Training;

/// <summary>The held-Scalar Adam and AdamW (Optimizers) are TorchSharp's: the same weights, bit for bit, and the same
/// state after several steps, and a checkpoint of one loads into the other.</summary>
public class OptimizersTests : IClassFixture<TorchFixture>
{
    static Sequential Model()
    {
        torch.random.manual_seed(7);
        return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3));
    }

    static void Steps(Sequential model, optim.Optimizer optimizer, int steps)
    {
        torch.random.manual_seed(11);
        for (int s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            var x = torch.randn(16, 6);
            var y = torch.randn(16, 3);
            optimizer.zero_grad();
            nn.functional.mse_loss(model.forward(x), y).backward();
            optimizer.step();
        }
    }

    /// <summary>Exactly equal: same shape and every element identical (torch.equal in TorchSharp is elementwise).</summary>
    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(false, 0.01)]
    [InlineData(true, 0.0)]
    [InlineData(true, 1e-5)]
    public void Held_scalar_steps_give_torchsharps_weights_bit_for_bit(bool decoupled, double weightDecay)
    {
        using var theirs = Model();
        using var ours = Model();
        using optim.Optimizer a = decoupled ? optim.AdamW(theirs.parameters(), 1e-2, weight_decay: weightDecay) : optim.Adam(theirs.parameters(), 1e-2, weight_decay: weightDecay);
        using optim.Optimizer b = decoupled ? Optimizers.AdamW(ours.parameters(), 1e-2, weightDecay) : Optimizers.Adam(ours.parameters(), 1e-2, weightDecay);
        Steps(theirs, a, 6);
        Steps(ours, b, 6);
        var p = theirs.parameters().ToList();
        var q = ours.parameters().ToList();
        Assert.Equal(p.Count, q.Count);
        for (int i = 0; i < p.Count; i++)
            Assert.True(Same(p[i], q[i]), $"parameter {i} differs after 6 steps (largest difference {(p[i] - q[i]).abs().max().item<float>()})");
        Assert.False(Same(p[0], Model().parameters().First()), "the steps moved nothing, so the comparison proves nothing");
    }

    [Fact]
    public void A_checkpoint_of_the_held_scalar_optimizer_is_torchsharps()
    {
        using var model = Model();
        using var ours = Optimizers.AdamW(model.parameters(), 1e-2, 1e-5);
        Steps(model, ours, 3);
        string path = Path.Combine(Repo.TempDir("held-scalar-adamw"), "optimizer.bin");
        ours.save_state_dict(path);
        using var again = Model();
        using var theirs = optim.AdamW(again.parameters(), 1e-2, weight_decay: 1e-5);
        theirs.load_state_dict(path);
        var s = (AdamW.State)ours.state_dict().State[0];
        var t = (AdamW.State)theirs.state_dict().State[0];
        Assert.Equal(3, t.step);
        Assert.Equal(s.step, t.step);
        Assert.True(Same(s.exp_avg, t.exp_avg));
        Assert.True(Same(s.exp_avg_sq, t.exp_avg_sq));

        // and the other way: a checkpoint TorchSharp's AdamW wrote (as every checkpoint before this fix) resumes here
        string back = Path.Combine(Repo.TempDir("held-scalar-adamw-back"), "optimizer.bin");
        theirs.save_state_dict(back);
        using var third = Model();
        using var resumed = Optimizers.AdamW(third.parameters(), 1e-2, 1e-5);
        resumed.load_state_dict(back);
        var r = (AdamW.State)resumed.state_dict().State[0];
        Assert.Equal(3, r.step);
        Assert.True(Same(s.exp_avg, r.exp_avg));
    }

    [Fact]
    public void Clearing_gradients_to_none_gives_the_same_steps_as_zeroing_them()
    {
        using var scope = NewDisposeScope();
        var zeroed = Model();
        var cleared = Model();
        var a = Optimizers.Adam(zeroed.parameters(), 1e-2);
        var b = Optimizers.Adam(cleared.parameters(), 1e-2);
        torch.random.manual_seed(11);
        for (int s = 0; s < 5; s++)
        {
            var x = torch.randn(16, 6);
            var y = torch.randn(16, 3);
            a.zero_grad();
            nn.functional.mse_loss(zeroed.forward(x), y).backward();
            a.step();
            Optimizers.ClearGradients(cleared.parameters());
            Assert.All(cleared.parameters(), p => Assert.Null(p.grad));
            nn.functional.mse_loss(cleared.forward(x), y).backward();
            Assert.All(cleared.parameters().Zip(zeroed.parameters()), pq => Assert.True(Same(pq.First.grad!, pq.Second.grad!)));
            b.step();
        }
        Assert.All(cleared.parameters().Zip(zeroed.parameters()), pq => Assert.True(Same(pq.First, pq.Second)));
    }
}
