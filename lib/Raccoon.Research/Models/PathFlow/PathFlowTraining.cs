using Raccoon.Research.Training;
using System.Diagnostics;
using Raccoon.Research.Measurements;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.PathFlow;

/// <summary>A model of paths trained on its ELBO: <see cref="PathFlowModel"/>, <see cref="FactorisedPathFlow"/>.</summary>
public interface IPathElboModel
{
    /// <summary>Per-path ELBO (B) for observations xs (B, T, Dx) at times ts (B, T, 1).</summary>
    Tensor Elbo(Tensor xs, Tensor ts, Generator? generator = null);
    /// <summary>-mean ELBO.</summary>
    Tensor Loss(Tensor xs, Tensor ts, Generator? generator = null);
}

/// <summary>ELBO per path after each recorded step; the held-out ELBO per path at each evaluation (step 0 and the last
/// step always among them); the seconds per training step (evaluations and checkpoints excluded); resident memory at the
/// first and last recorded step.</summary>
public sealed record PathFlowCurve(IReadOnlyList<int> Steps, IReadOnlyList<double> TrainElbo,
    IReadOnlyList<int> EvaluatedAt, IReadOnlyList<double> HeldOut,
    double SecondsPerStep, long? ResidentFirstBytes, long? ResidentLastBytes, long LiveTensorGrowth, bool StoppedAtPlateau = false)
{
    /// <summary>Why training stopped: "plateau at step 600" or "cap of 2000 steps".</summary>
    public string StoppedBecause(int cap) => Ledger.PlateauStop.Because(StoppedAtPlateau, StoppedAtPlateau ? Steps[^1] : cap, "step");

    public double HeldOutBefore => HeldOut[0];
    public double HeldOutAfter => HeldOut[^1];
    public long? ResidentGrowthBytes => ResidentFirstBytes is long a && ResidentLastBytes is long b ? b - a : null;
}

/// <summary>Upstream's training: Adam (lr 1e-3), the full batch every step, no clipping, loss = -mean ELBO.</summary>
public static class PathFlowTraining
{
    /// <summary>Mean ELBO per path over <paramref name="draws"/> reparameterised draws from a fixed seed (no gradients):
    /// every evaluation draws the same noise, so two evaluations differ by the model alone.</summary>
    public static double HeldOutElbo(IPathElboModel model, PathData data, int draws = 4, long seed = 1234)
    {
        if (draws < 1) throw new ArgumentException($"the held-out ELBO needs at least one draw, got {draws}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var g = new Generator((ulong)seed);
        double sum = 0;
        for (int i = 0; i < draws; i++) sum += model.Elbo(data.Xs, data.Ts, g).mean().item<float>();
        double elbo = sum / draws;
        if (!double.IsFinite(elbo)) throw new InvalidOperationException($"held-out ELBO is {elbo}");
        return elbo;
    }

    /// <summary>
    /// Trains for <paramref name="steps"/> full-batch Adam steps with the reparameterisation noise drawn from a generator
    /// seeded by <paramref name="seed"/>; the held-out ELBO is taken before training, every <paramref name="evaluateEvery"/>
    /// steps (null: only before and after) and after the last step. With <paramref name="resume"/> the run checkpoints
    /// (weights, Adam state, torch's and the noise generator's state, the curves so far) every so many steps or seconds
    /// and at its end, and a run stopped at any point goes on from the file to the same curves and weights. With
    /// <paramref name="stopWhen"/> the run ends after the first recorded step or evaluation at which it holds on the curve so
    /// far (the caller's plateau test on the trace it reports), else at <paramref name="steps"/>.
    /// </summary>
    public static PathFlowCurve Train<TModel>(TModel model, PathData train, PathData heldOut, int steps, long seed, int recordEvery = 1,
        double learningRate = 1e-3, Action<int>? onStep = null, Training.ResumeFile? resume = null, int? evaluateEvery = null, int heldOutDraws = 4,
        Func<PathFlowCurve, bool>? stopWhen = null)
        where TModel : nn.Module, IPathElboModel
    {
        if (steps < 1) throw new ArgumentException($"training needs at least one step, got {steps}");
        if (recordEvery < 1) throw new ArgumentException($"record at least every step, not every {recordEvery}");
        if (evaluateEvery is < 1) throw new ArgumentException($"evaluate the held-out ELBO at least every step, not every {evaluateEvery}");
        resume?.Validate();
        var optimizer = Optimizers.Adam(model.parameters(), learningRate);
        var g = new Generator((ulong)seed);
        string phase = Training.PhaseCheckpoint.PhaseOf(new
        {
            steps, seed, recordEvery, learningRate, evaluateEvery, heldOutDraws, model = model.GetType().Name, plateauStop = stopWhen is not null,
            parameters = model.parameters().Sum(p => p.numel()), train = train.Xs.shape, heldOut = heldOut.Xs.shape,
        });
        var state = Training.PhaseCheckpoint.Resume<LoopState>(resume, model, optimizer, phase) ?? new LoopState();
        if (state.Generator is not null)
            using (var saved = tensor(Convert.FromBase64String(state.Generator), ScalarType.Byte)) g.set_state(saved);
        double Evaluate() => HeldOutElbo(model, heldOut, heldOutDraws);
        if (state.EvaluatedAt.Count == 0) { state.EvaluatedAt.Add(0); state.HeldOut.Add(Evaluate()); }
        long? liveStart = null;
        var sinceSave = Stopwatch.StartNew();
        PathFlowCurve SoFar(long growth) => new(state.Recorded, state.TrainElbo, state.EvaluatedAt, state.HeldOut, state.StepSeconds / Math.Max(1, state.Step),
            state.FirstRss, state.LastRss ?? state.FirstRss, growth, state.StoppedAtPlateau);
        while (state.Step < steps && !state.StoppedAtPlateau)
        {
            int step = state.Step + 1;
            var clock = Stopwatch.StartNew();
            double value;
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                var loss = model.Loss(train.Xs, train.Ts, g);
                loss.backward();
                optimizer.step();
                value = -loss.item<float>();
            }
            state.StepSeconds += clock.Elapsed.TotalSeconds;
            if (!double.IsFinite(value)) throw new InvalidOperationException($"the ELBO became {value} at step {step}");
            liveStart ??= LiveTensors.Count;
            state.Step = step;
            if (step % recordEvery == 0 || step == steps || step == 1)
            {
                state.Recorded.Add(step); state.TrainElbo.Add(value);
                var rss = ProcessMemory.Read().ResidentBytes;
                if (step == 1) state.FirstRss = rss; else state.LastRss = rss;
            }
            bool evaluated = (evaluateEvery is int every && step % every == 0) || step == steps;
            if (evaluated) { state.EvaluatedAt.Add(step); state.HeldOut.Add(Evaluate()); }
            if (stopWhen is not null && step < steps && (evaluated || state.Recorded[^1] == step) && stopWhen(SoFar(0)))
            {
                state.StoppedAtPlateau = true;
                // The curves end at the stopping step: the last recorded point and a held-out evaluation there.
                if (state.Recorded[^1] != step) { state.Recorded.Add(step); state.TrainElbo.Add(value); state.LastRss = ProcessMemory.Read().ResidentBytes; }
                if (!evaluated) { state.EvaluatedAt.Add(step); state.HeldOut.Add(Evaluate()); }
            }
            // The live tensors gained over the run, taken at its last step and kept in the file: a run resumed at its end
            // (a unit trained alone before) reports what the run that trained it measured.
            if (step == steps || state.StoppedAtPlateau) state.LiveGrowth = LiveTensors.Count - liveStart.Value;
            if (Training.PhaseCheckpoint.Due(resume, step, sinceSave) || (resume is not null && (step == steps || state.StoppedAtPlateau)))
            {
                using (var now = g.get_state()) state.Generator = Convert.ToBase64String(now.bytes.ToArray());
                Training.PhaseCheckpoint.Save(resume!, model, optimizer, phase, state, step);
                sinceSave.Restart();
            }
            onStep?.Invoke(step);
        }
        return SoFar(state.LiveGrowth ?? 0);
    }

    /// <summary>Where a run is, for its resume file: steps taken, the curves so far, the noise generator's state and the
    /// seconds spent in training steps.</summary>
    sealed class LoopState
    {
        public int Step { get; set; }
        public List<int> Recorded { get; set; } = [];
        public List<double> TrainElbo { get; set; } = [];
        public List<int> EvaluatedAt { get; set; } = [];
        public List<double> HeldOut { get; set; } = [];
        public double StepSeconds { get; set; }
        public long? FirstRss { get; set; }
        public long? LastRss { get; set; }
        public string? Generator { get; set; }
        public bool StoppedAtPlateau { get; set; }
        public long? LiveGrowth { get; set; }
    }
}
