using Raccoon.Research.Training;
using Raccoon.Research.Views;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.LatentOde;

/// <summary>What a training run saw: the loss and the gradient norm (before clipping) at every step, and whether a loss or
/// gradient went non-finite. Whether that counts as destabilised is the claim's rule (T1-10's search in claims.json).</summary>
/// <param name="StoppedAtPlateau">The run ended at the claims' plateau test (see <c>LatentOdeTraining.Train</c>'s stopAt), not at its step cap.</param>
public sealed record TrainingTrace(IReadOnlyList<double> Losses, IReadOnlyList<double> GradientNorms, bool NonFinite, bool StoppedAtPlateau = false)
{
    /// <summary>The losses as the held-out trace the ledger reads: each block of <paramref name="evaluateEvery"/> fresh-batch
    /// losses is one evaluation (the blocks the plateau stop read in training), and why the run stopped.</summary>
    public Ledger.HeldOutTrace HeldOut(string name, int evaluateEvery, int cap) =>
        Ledger.HeldOutTrace.FromFreshBatchLosses(name, Losses, Math.Max(1, Losses.Count / evaluateEvery),
            NonFinite && !StoppedAtPlateau && Losses.Count < cap ? $"a non-finite loss at step {Losses.Count}" : Ledger.PlateauStop.Because(StoppedAtPlateau, StoppedAtPlateau ? Losses.Count : cap, "step"));

    /// <summary>Coefficient of variation of the gradient norm over the run (std / mean).</summary>
    public double GradientNormVariation
    {
        get
        {
            var g = GradientNorms.Where(double.IsFinite).ToArray();
            if (g.Length < 2) return double.NaN;
            double m = g.Average();
            return Math.Sqrt(g.Sum(v => (v - m) * (v - m)) / (g.Length - 1)) / m;
        }
    }
}

/// <summary>Upstream's optimiser for both the latent ODE model and the block stacks: AdamW(1e-3, weight decay 1e-5),
/// gradient norm clipped to 1.0 unless <c>clip</c> is null, and a step with a non-finite gradient skipped.</summary>
public static class LatentOdeTraining
{
    /// <summary>
    /// Trains for <paramref name="steps"/> steps, <paramref name="loss"/> giving the loss of step s (0-based) on a fresh batch.
    /// With <paramref name="resume"/>, the run checkpoints (weights, optimizer, generator, trace) and a stopped run goes
    /// on from its file; <paramref name="fastForward"/> is then called once with the steps already taken, so the
    /// caller's data stream continues where the stopped run's did. <paramref name="clip"/>: the largest gradient norm
    /// (null: no clipping; the gradient norm is still recorded). <paramref name="stopAt"/>: end the run after the first block of
    /// <paramref name="evaluateEvery"/> steps at which the claims' plateau tests pass on the blocks' mean fresh-batch losses
    /// (<see cref="TrainingTrace.HeldOut"/>); null: run to <paramref name="steps"/>.
    /// </summary>
    public static TrainingTrace Train(nn.Module model, Func<int, Tensor> loss, int steps, double lr = 1e-3, CancellationToken cancel = default,
        Training.ResumeFile? resume = null, Action<int>? fastForward = null, double? clip = 1.0, Ledger.PlateauStop? stopAt = null, int evaluateEvery = 0)
    {
        if (stopAt is { Active: true } && evaluateEvery < 1) throw new ArgumentException($"a plateau stop needs evaluations at least every step, got every {evaluateEvery}");
        if (steps < 1) throw new ArgumentException($"training needs at least one step, got {steps}");
        if (clip is double c && !(c > 0 && double.IsFinite(c))) throw new ArgumentException($"the gradient-norm clip must be a positive finite number or none, got {c}");
        if (resume is not null && fastForward is null)
            throw new ArgumentException("a resumable run needs fastForward: its data stream must continue where the stopped run's did");
        var parameters = model.parameters().ToList();
        using var optimizer = Optimizers.AdamW(parameters, lr, 1e-5);
        string phase = clip == 1.0
            ? Training.PhaseCheckpoint.PhaseOf(new { steps, lr, model = model.GetType().Name, parameters = parameters.Sum(p => p.numel()) })
            : Training.PhaseCheckpoint.PhaseOf(new { steps, lr, model = model.GetType().Name, parameters = parameters.Sum(p => p.numel()), clip });
        if (stopAt is { Active: true }) phase = Training.PhaseCheckpoint.PhaseOf(new { phase, stopAt, evaluateEvery });
        var state = Training.PhaseCheckpoint.Resume<LoopState>(resume, model, optimizer, phase) ?? new LoopState();
        if (state.Step > 0) fastForward!(state.Step);
        var sinceSave = System.Diagnostics.Stopwatch.StartNew();
        model.train();
        while (state.Step < steps && !state.NonFinite && !state.StoppedAtPlateau)
        {
            cancel.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                var l = loss(state.Step);
                double value = l.item<float>();
                state.Losses.Add(value);
                if (!double.IsFinite(value)) state.NonFinite = true;
                else
                {
                    l.backward();
                    // with no clip the norm is still computed (an infinite max norm scales nothing)
                    double norm = nn.utils.clip_grad_norm_(parameters, clip ?? double.PositiveInfinity);
                    state.Norms.Add(norm);
                    if (!double.IsFinite(norm)) state.NonFiniteGradient = true; // upstream skips the update
                    else optimizer.step();
                }
            }
            state.Step++;
            if (stopAt is { Active: true } stop && !state.NonFinite && state.Step % evaluateEvery == 0
                && stop.Reached(Ledger.HeldOutTrace.FromFreshBatchLosses("in training", state.Losses, state.Step / evaluateEvery, "in training")))
                state.StoppedAtPlateau = true;
            if (Training.PhaseCheckpoint.Due(resume, state.Step, sinceSave) || (resume is not null && (state.Step == steps || state.NonFinite || state.StoppedAtPlateau)))
            {
                Training.PhaseCheckpoint.Save(resume!, model, optimizer, phase, state, state.Step);
                sinceSave.Restart();
            }
        }
        return new TrainingTrace(state.Losses, state.Norms, state.NonFinite || state.NonFiniteGradient, state.StoppedAtPlateau);
    }

    /// <summary>Where a run is, for its resume file: steps taken, the losses and gradient norms so far, and whether the loss
    /// (which ends the run) or a gradient (whose update is skipped) went non-finite.</summary>
    sealed class LoopState
    {
        public int Step { get; set; }
        public List<double> Losses { get; set; } = [];
        public List<double> Norms { get; set; } = [];
        public bool NonFinite { get; set; }
        public bool NonFiniteGradient { get; set; }
        public bool StoppedAtPlateau { get; set; }
    }

    /// <summary>Upstream's warm-up of the Epps-Pulley weight: 0.0005 -> 0.05 linearly over the first 10,000 steps.</summary>
    public static double EppsPulleyWeight(int step) => step < 10_000 ? 0.0005 + step / 10_000.0 * (0.05 - 0.0005) : 0.05;
}
