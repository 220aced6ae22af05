using Raccoon.Research.Ledger;
using Raccoon.Research.Models.LatentOde;
using Raccoon.Research.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.LatentOde;

public class LatentOdeTrainingStopTests : IClassFixture<TorchFixture>
{
    [Fact]
    public void A_run_with_a_plateau_stop_ends_at_the_first_block_where_the_rule_holds_and_its_trace_says_so()
    {
        TrainingTrace Run(PlateauStop? stop)
        {
            manual_seed(3);
            using var model = nn.Linear(4, 1);
            var x = randn(64, 4);
            var y = x.sum(1, keepdim: true);
            return LatentOdeTraining.Train(model, _ => nn.functional.mse_loss(model.forward(x), y), 60, lr: 1e-2, stopAt: stop, evaluateEvery: 5);
        }
        var capped = Run(null);
        Assert.Equal(60, capped.Losses.Count);
        Assert.Equal("cap of 60 steps", capped.HeldOut("x", 5, 60).StoppedBecause);
        Assert.Equal(12, capped.HeldOut("x", 5, 60).Values.Count);

        // A rule that holds on any trace: three blocks of five steps, never fewer.
        var stopped = Run(new PlateauStop([new ConvergenceRule(Window: 1, MaxChange: 1e9, MinEvaluations: 3)]));
        Assert.True(stopped.StoppedAtPlateau);
        Assert.Equal(capped.Losses.Take(15), stopped.Losses);
        var trace = stopped.HeldOut("x", 5, 60);
        Assert.Equal([5.0, 10, 15], trace.Steps);
        Assert.Equal("plateau at step 15", trace.StoppedBecause);
        Assert.Throws<ArgumentException>(() => LatentOdeTraining.Train(nn.Linear(1, 1), _ => zeros(1).sum(), 5,
            stopAt: new PlateauStop([new ConvergenceRule(1, 1)]), evaluateEvery: 0));
    }
}
