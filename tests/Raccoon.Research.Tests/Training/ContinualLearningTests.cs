using Raccoon.Research.Data.Logs;
using Raccoon.Research.Models.Baselines;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Training;
using TorchSharp;

namespace Raccoon.Research.Tests.Training;

public class ContinualLearningTests : IClassFixture<TorchFixture>
{
    [Fact]
    public void Each_stream_sample_is_scored_stored_and_replayed_once_memory_holds_enough()
    {
        var task = new TemplateLogTask();
        torch.random.manual_seed(1);
        var model = new MeanPoolClassifier(new(40, 4, 16));
        Trainer.Fit(model, task.Dataset(256, 1), null, new TrainingOptions { Epochs = 2, LearningRate = 3e-2 });
        var memory = new ListMemory(seed: 2);
        var stream = task.Dataset(80, 3, driftPoint: 40);
        var options = new ContinualOptions { DriftPoint = 40, Window = 10, LearningRate = 1e-2 };

        var result = ContinualLearning.Run(model, memory, stream, task.Dataset(64, 4), task.Dataset(64, 5, driftPoint: 0), options);

        Assert.Equal(80, memory.Count);
        Assert.Equal(80 - 31, result.Updates);  // an update from the 32nd sample on
        Assert.Equal(0, result.SkippedUpdates);
        Assert.All(memory.Priorities, p => Assert.InRange(p, 0, Math.Log(4) + 1e-6)); // entropy of 4 classes
        Assert.Equal(80, result.RollingAccuracy.Count);
        Assert.Equal(result.PreDriftBefore.Accuracy - result.PreDriftAfter.Accuracy, result.Forgetting);
        Assert.NotNull(result.PostDriftAfter);
        Assert.Equal(result.OnlineAccuracy, (result.OnlineAccuracyBeforeDrift!.Value + result.OnlineAccuracyAfterDrift!.Value) / 2, 12);
        Assert.True(model.training);
    }

    [Fact]
    public void The_same_seed_gives_the_same_continual_run()
    {
        var task = new TemplateLogTask();
        ContinualResult Run()
        {
            torch.random.manual_seed(1);
            var model = new MeanPoolClassifier(new(40, 4, 8));
            return ContinualLearning.Run(model, new ListMemory(2), task.Dataset(60, 3, 30), task.Dataset(32, 4), null,
                new ContinualOptions { LearningRate = 1e-1, MinMemory = 8, ReplayBatch = 4 });
        }
        var a = Run();
        var b = Run();
        Assert.Equal(a.RollingAccuracy, b.RollingAccuracy);
        Assert.Equal(a.PreDriftAfter.Loss, b.PreDriftAfter.Loss);
    }
}
