using Raccoon.Research.Training;
using Raccoon.Research.Data.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.LanguageModels;

/// <summary>Settings of a next-token training run: Adam, same-length batches, at most <paramref name="Steps"/> steps;
/// EvaluateOn limits the held-out examples evaluated at the end (null: all); Resume checkpoints the run so a stopped one goes on;
/// EvaluateEvery is how many steps apart the held-out slice is evaluated (null: ten evaluations over the run); StopAt ends the
/// run at the first evaluation where the claims' plateau tests pass on the held-out curve so far (null: at the step cap).</summary>
public sealed record TrainingOptions(int Steps, int BatchSize = 16, double LearningRate = 1e-3, int Seed = 0, int LogEvery = 10, int? EvaluateOn = null,
    Training.ResumeFile? Resume = null, int? EvaluateEvery = null, Ledger.PlateauStop? StopAt = null);

/// <summary>Held-out losses of a trained model: teacher-forced (one pass) and prefix-by-prefix (as in generation), nats per token.</summary>
public sealed record NextTokenEvaluation(double TeacherForced, double Generation);

/// <summary>What a training run produced: the training loss curve (step, mean loss since the last point), the held-out
/// teacher-forced loss at evenly spaced evaluations (<see cref="HeldOutCurve"/>, for the plateau test) and the final held-out losses.</summary>
public sealed record TrainingRun(string Architecture, long Parameters, IReadOnlyList<(int Step, double Loss)> Curve,
    NextTokenEvaluation HeldOut, double Seconds, IReadOnlyList<(int Step, double Loss)>? HeldOutCurve = null, string? StoppedBecause = null);

/// <summary>Trains a <see cref="LanguageModel"/> on a <see cref="TextCorpus"/> to predict the next token (teacher forcing, as RustGPT trains).</summary>
public static class LanguageModelTrainer
{
    public static TrainingRun Train(LanguageModel model, TextCorpus corpus, TrainingOptions options,
        Action<int, double>? progress = null, CancellationToken cancel = default)
    {
        if (options.Steps < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Steps, "training needs at least one step");
        if (options.EvaluateEvery is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.EvaluateEvery, "evaluate at least every step, not never");
        if (corpus.LongestExample > model.Config.MaxLength)
            throw new ArgumentException($"the corpus has an example of {corpus.LongestExample} tokens; the model takes at most {model.Config.MaxLength}");
        if (corpus.Vocabulary.Size != model.Config.VocabularySize)
            throw new ArgumentException($"the corpus vocabulary has {corpus.Vocabulary.Size} words; the model was built for {model.Config.VocabularySize}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var rng = new Random(options.Seed);
        var optimizer = Optimizers.Adam(model.parameters(), options.LearningRate);
        // Evaluations on a fixed held-out slice (teacher-forced), ten over the run unless given: the trace the ledger's plateau test reads.
        int evalEvery = options.EvaluateEvery ?? Math.Max(1, options.Steps / HeldOutEvaluations);
        var evalSlice = corpus.HeldOut.Take(HeldOutSlice).ToList();
        string phase = Training.PhaseCheckpoint.PhaseOf(new
        {
            options = options with { Resume = null }, model.Architecture, model.ParameterCount, train = corpus.Train.Count, heldOut = corpus.HeldOut.Count,
        });
        var state = Training.PhaseCheckpoint.Resume<LoopState>(options.Resume, model, optimizer, phase) ?? new LoopState();
        // The batch order of the passes already begun is drawn again, so the rest of the run draws as uninterrupted.
        for (int e = 1; e < state.PassesBegun; e++)
            using (var order = TextCorpus.Batches(corpus.Train, options.BatchSize, rng).GetEnumerator())
                if (order.MoveNext()) order.Current.Dispose();
        bool resuming = state.PassesBegun > 0;
        var sinceSave = System.Diagnostics.Stopwatch.StartNew();
        model.train();
        while (state.Step < options.Steps && !state.StoppedAtPlateau)
        {
            int skip = resuming ? state.BatchInPass : 0;
            if (!resuming) (state.PassesBegun, state.BatchInPass) = (state.PassesBegun + 1, 0);
            resuming = false;
            int b = 0;
            foreach (var batch in TextCorpus.Batches(corpus.Train, options.BatchSize, rng))
            {
                if (b++ < skip) { batch.Dispose(); continue; }
                cancel.ThrowIfCancellationRequested();
                using (var scope = NewDisposeScope())
                {
                    optimizer.zero_grad();
                    var loss = NextToken.TeacherForcedLoss(model, batch);
                    loss.backward();
                    optimizer.step();
                    state.Window += loss.item<float>();
                    state.InWindow++;
                }
                batch.Dispose();
                int step = ++state.Step;
                state.BatchInPass = b;
                if (step % options.LogEvery == 0 || step == options.Steps)
                {
                    state.Curve.Add(new(step, state.Window / state.InWindow));
                    progress?.Invoke(step, state.Window / state.InWindow);
                    (state.Window, state.InWindow) = (0, 0);
                }
                if (evalSlice.Count > 0 && (step % evalEvery == 0 || step == options.Steps) && (state.HeldOutCurve.Count == 0 || state.HeldOutCurve[^1].Step != step))
                {
                    model.eval();
                    state.HeldOutCurve.Add(new(step, TeacherForced(model, evalSlice)));
                    model.train();
                    if (options.StopAt is { Active: true } stop && stop.Reached(HeldOutTrace(state.HeldOutCurve, "in training")))
                    {
                        state.StoppedAtPlateau = true;
                        if (state.InWindow > 0 && (state.Curve.Count == 0 || state.Curve[^1].Step != step))
                        {
                            state.Curve.Add(new(step, state.Window / state.InWindow));
                            (state.Window, state.InWindow) = (0, 0);
                        }
                    }
                }
                if (Training.PhaseCheckpoint.Due(options.Resume, step, sinceSave) || (options.Resume is not null && (step == options.Steps || state.StoppedAtPlateau)))
                {
                    state.Seconds += clock.Elapsed.TotalSeconds;
                    clock.Restart();
                    Training.PhaseCheckpoint.Save(options.Resume!, model, optimizer, phase, state, step);
                    sinceSave.Restart();
                }
                if (step == options.Steps || state.StoppedAtPlateau) break;
            }
        }
        var curve = state.Curve.Select(p => (p.Step, p.Loss)).ToList();
        var heldOutCurve = state.HeldOutCurve.Select(p => (p.Step, p.Loss)).ToList();
        model.eval();
        var heldOut = Evaluate(model, options.EvaluateOn is int k ? corpus.HeldOut.Take(k).ToList() : corpus.HeldOut);
        string because = Ledger.PlateauStop.Because(state.StoppedAtPlateau, state.StoppedAtPlateau ? state.Step : options.Steps, "step");
        return new TrainingRun(model.Architecture, model.ParameterCount, curve, heldOut, state.Seconds + clock.Elapsed.TotalSeconds, heldOutCurve, because);
    }

    /// <summary>The held-out curve as the trace the plateau test reads.</summary>
    static Ledger.HeldOutTrace HeldOutTrace(IReadOnlyList<CurvePoint> curve, string stoppedBecause) =>
        new("held-out", "held-out teacher-forced loss", false, curve.Select(p => (double)p.Step).ToList(), curve.Select(p => p.Loss).ToList(), stoppedBecause);

    /// <summary>A point of a loss curve.</summary>
    sealed record CurvePoint(int Step, double Loss);

    /// <summary>Where a run is, for its resume file: steps taken, passes over the training set begun and batches of the
    /// last one taken, the curves so far and the running mean of the loss since the last curve point.</summary>
    sealed class LoopState
    {
        public int Step { get; set; }
        public int PassesBegun { get; set; }
        public int BatchInPass { get; set; }
        public List<CurvePoint> Curve { get; set; } = [];
        public List<CurvePoint> HeldOutCurve { get; set; } = [];
        public double Window { get; set; }
        public int InWindow { get; set; }
        public double Seconds { get; set; }
        public bool StoppedAtPlateau { get; set; }
    }

    /// <summary>Evaluations of the held-out slice over a run, and the slice's size.</summary>
    public const int HeldOutEvaluations = 10, HeldOutSlice = 64;

    /// <summary>Token-weighted teacher-forced loss over <paramref name="examples"/> (the held-out curve's metric).</summary>
    public static double TeacherForced(LanguageModel model, IReadOnlyList<long[]> examples) => Losses(model, examples, prefixToo: false).TeacherForced;

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
