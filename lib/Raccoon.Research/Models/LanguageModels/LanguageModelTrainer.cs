using Raccoon.Research.Data.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.LanguageModels;

/// <summary>Settings of a next-token training run: Adam, same-length batches, a fixed number of steps;
/// EvaluateOn limits the held-out examples evaluated at the end (null: all).</summary>
public sealed record TrainingOptions(int Steps, int BatchSize = 16, double LearningRate = 1e-3, int Seed = 0, int LogEvery = 10, int? EvaluateOn = null);

/// <summary>Held-out losses of a trained model: teacher-forced (one pass) and prefix-by-prefix (as in generation), nats per token.</summary>
public sealed record NextTokenEvaluation(double TeacherForced, double Generation);

/// <summary>What a training run produced: the training loss curve (step, mean loss since the last point), the held-out
/// teacher-forced loss at evenly spaced evaluations (<see cref="HeldOutCurve"/>, for the plateau test) and the final held-out losses.</summary>
public sealed record TrainingRun(string Architecture, long Parameters, IReadOnlyList<(int Step, double Loss)> Curve,
    NextTokenEvaluation HeldOut, double Seconds, IReadOnlyList<(int Step, double Loss)>? HeldOutCurve = null);

/// <summary>Trains a <see cref="LanguageModel"/> on a <see cref="TextCorpus"/> to predict the next token (teacher forcing, as RustGPT trains).</summary>
public static class LanguageModelTrainer
{
    public static TrainingRun Train(LanguageModel model, TextCorpus corpus, TrainingOptions options,
        Action<int, double>? progress = null, CancellationToken cancel = default)
    {
        if (options.Steps < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Steps, "training needs at least one step");
        if (corpus.LongestExample > model.Config.MaxLength)
            throw new ArgumentException($"the corpus has an example of {corpus.LongestExample} tokens; the model takes at most {model.Config.MaxLength}");
        if (corpus.Vocabulary.Size != model.Config.VocabularySize)
            throw new ArgumentException($"the corpus vocabulary has {corpus.Vocabulary.Size} words; the model was built for {model.Config.VocabularySize}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var rng = new Random(options.Seed);
        var optimizer = optim.Adam(model.parameters(), lr: options.LearningRate);
        var curve = new List<(int, double)>();
        var heldOutCurve = new List<(int, double)>();
        // Ten evenly spaced evaluations on a fixed held-out slice (teacher-forced), the trace the ledger's plateau test reads.
        int evalEvery = Math.Max(1, options.Steps / HeldOutEvaluations);
        var evalSlice = corpus.HeldOut.Take(HeldOutSlice).ToList();
        double window = 0;
        int inWindow = 0, step = 0;
        model.train();
        while (step < options.Steps)
        {
            foreach (var batch in TextCorpus.Batches(corpus.Train, options.BatchSize, rng))
            {
                cancel.ThrowIfCancellationRequested();
                using (var scope = NewDisposeScope())
                {
                    optimizer.zero_grad();
                    var loss = NextToken.TeacherForcedLoss(model, batch);
                    loss.backward();
                    optimizer.step();
                    window += loss.item<float>();
                    inWindow++;
                }
                batch.Dispose();
                step++;
                if (step % options.LogEvery == 0 || step == options.Steps)
                {
                    curve.Add((step, window / inWindow));
                    progress?.Invoke(step, window / inWindow);
                    window = 0;
                    inWindow = 0;
                }
                if (evalSlice.Count > 0 && (step % evalEvery == 0 || step == options.Steps) && (heldOutCurve.Count == 0 || heldOutCurve[^1].Item1 != step))
                {
                    model.eval();
                    heldOutCurve.Add((step, TeacherForced(model, evalSlice)));
                    model.train();
                }
                if (step == options.Steps) break;
            }
        }
        model.eval();
        var heldOut = Evaluate(model, options.EvaluateOn is int k ? corpus.HeldOut.Take(k).ToList() : corpus.HeldOut);
        return new TrainingRun(model.Architecture, model.ParameterCount, curve, heldOut, clock.Elapsed.TotalSeconds, heldOutCurve);
    }

    /// <summary>Evaluations of the held-out slice over a run, and the slice's size.</summary>
    public const int HeldOutEvaluations = 10, HeldOutSlice = 64;

    /// <summary>Token-weighted teacher-forced loss over <paramref name="examples"/> (the held-out curve's metric).</summary>
    static double TeacherForced(LanguageModel model, IReadOnlyList<long[]> examples) => Losses(model, examples, prefixToo: false).TeacherForced;

    /// <summary>Token-weighted mean losses over <paramref name="examples"/>, teacher-forced and prefix by prefix.</summary>
    public static NextTokenEvaluation Evaluate(LanguageModel model, IReadOnlyList<long[]> examples) => Losses(model, examples, prefixToo: true);

    static NextTokenEvaluation Losses(LanguageModel model, IReadOnlyList<long[]> examples, bool prefixToo)
    {
        double forced = 0, prefix = 0;
        long tokens = 0;
        using var noGrad = no_grad();
        foreach (var batch in TextCorpus.Batches(examples, 64, new Random(0)))
        {
            using var scope = NewDisposeScope();
            long n = batch.shape[0] * (batch.shape[1] - 1);
            forced += NextToken.TeacherForcedLoss(model, batch).item<float>() * n;
            if (prefixToo) prefix += NextToken.PrefixLoss(model, batch) * n;
            tokens += n;
            batch.Dispose();
        }
        return new NextTokenEvaluation(forced / tokens, prefixToo ? prefix / tokens : double.NaN);
    }
}
