using Raccoon.Research.Data;
using Raccoon.Research.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Training;

/// <summary>How a model does on a dataset: accuracy and confusion counts from its inference path
/// (<see cref="ISequenceClassifier.Logits"/>), the mean of its training objective (NaN when not computed).</summary>
public sealed record Evaluation(int Count, double Accuracy, double Loss, int[][] Confusion)
{
    /// <summary>Recall of each class: Confusion[c][c] over the samples of class c (NaN for an absent class).</summary>
    public double[] Recall => Confusion.Select((row, c) => row.Sum() == 0 ? double.NaN : (double)row[c] / row.Sum()).ToArray();
}

/// <summary>Evaluation of an <see cref="ISequenceClassifier"/> in eval mode without gradients.</summary>
public static class Evaluator
{
    /// <summary>
    /// Accuracy and confusion (rows: true class, columns: predicted) from the model's logits, and, with
    /// <paramref name="withLoss"/>, the objective averaged over samples. The model's train/eval mode is restored after.
    /// </summary>
    public static Evaluation Evaluate(ISequenceClassifier model, SequenceDataset data, int batchSize = 256, bool withLoss = true)
    {
        var module = Trainer.AsModule(model);
        if (data.Classes != model.Classes)
            throw new ArgumentException($"the dataset has {data.Classes} classes, the model {model.Classes}");
        bool wasTraining = module.training;
        module.eval();
        var confusion = Enumerable.Range(0, model.Classes).Select(_ => new int[model.Classes]).ToArray();
        double lossSum = 0;
        int correct = 0;
        try
        {
            using var noGrad = no_grad();
            foreach (var indices in BatchPlan.Sequential(data.Count, batchSize))
            {
                using var scope = NewDisposeScope();
                var (tokens, labels) = data.Batch(indices);
                var predicted = model.Logits(tokens).argmax(1).data<long>().ToArray();
                for (int b = 0; b < indices.Length; b++)
                {
                    int truth = data.Label(indices[b]);
                    confusion[truth][predicted[b]]++;
                    if (predicted[b] == truth) correct++;
                }
                if (withLoss) lossSum += model.Objective(tokens, labels).Loss.ToDouble() * indices.Length;
            }
        }
        finally
        {
            module.train(wasTraining);
        }
        return new Evaluation(data.Count, (double)correct / data.Count, withLoss ? lossSum / data.Count : double.NaN, confusion);
    }
}
