using Raccoon.Research.Training;
using System.Diagnostics;
using Raccoon.Research.Data.Glyphs;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.GlyphCnn;

/// <summary>
/// Upstream's train_phase2.py recipe: AdamW, linear warm-up then cosine to <see cref="MinLrScale"/> x, gradient
/// clipping at 1, label-smoothed cross-entropy with inverse-frequency class weights ((N / (count + 1))^0.2,
/// mean 1) and 2% token-id dropout (ids set to 0, the empty cell) for the first part of training, then
/// both switched off. Upstream schedules by epoch; here warm-up and the weighted part are the same
/// fractions of the run, so a short run keeps upstream's shape. The learning rate scales with batch / 256 as
/// upstream's auto_lr_scale does. <c>StopAt</c> ends training at the first epoch where the claims' plateau tests pass
/// on the held-out top-1 so far, but never before <c>MinEpochs</c> (null: from the first evaluation): upstream trains
/// a fixed number of epochs, so a profile can ask for upstream's whole schedule before the test may cut it.
/// </summary>
public sealed record GlyphTrainingOptions(
    int Epochs, int BatchSize, double LearningRate, double WeightDecay, double WarmupFraction, double WeightedFraction,
    double MinLrScale = 0.05, double LabelSmoothing = 0.05, double ClassWeightAlpha = 0.2, double TokenDropout = 0.02,
    double GradClip = 1.0, int Seed = 1, DistillationOptions? Distillation = null, Training.ResumeFile? Resume = null,
    Ledger.PlateauStop? StopAt = null, int? MinEpochs = null)
{
    /// <summary>The variant's own config (phase2*.yaml) at <paramref name="epochs"/> epochs and <paramref name="batchSize"/>.</summary>
    public static GlyphTrainingOptions ForVariant(GlyphCnnConfig config, int epochs, int batchSize, int seed) => config.Variant switch
    {
        "Full" => new(epochs, batchSize, 5e-4 * batchSize / 256, 1e-4, 3.0 / 40, 12.0 / 40, Seed: seed),
        "Light" => new(epochs, batchSize, 6e-4 * batchSize / 256, 1e-4, 3.0 / 45, 12.0 / 45, Seed: seed),
        "Tiny" => new(epochs, batchSize, 8e-4 * batchSize / 256, 8e-5, 4.0 / 120, 15.0 / 120, Seed: seed),
        _ => throw new ArgumentException($"no upstream training config for variant '{config.Variant}'"),
    };

    public void Validate()
    {
        if (Epochs < 1 || BatchSize < 1) throw new ArgumentException($"epochs ({Epochs}) and batch size ({BatchSize}) must be positive");
        if (LearningRate <= 0) throw new ArgumentException($"learning rate must be positive, got {LearningRate}");
        if (WarmupFraction is < 0 or > 1 || WeightedFraction is < 0 or > 1) throw new ArgumentException("warm-up and weighted fractions lie in [0, 1]");
        if (MinEpochs is < 0) throw new ArgumentException($"the plateau test's first epoch (MinEpochs) must not be negative, got {MinEpochs}");
    }
}

/// <summary>Hinton's knowledge distillation: (1 - Alpha) CE(labels) + Alpha T^2 KL(teacher_T || student_T) at temperature T.</summary>
public sealed record DistillationOptions(GlyphCnnClassifier Teacher, double Alpha = 0.5, double Temperature = 4.0);

/// <summary>Top-1 and top-5 accuracy (%) of a model on one split, and the inference time per glyph it took (batches of 256, eval mode).</summary>
public sealed record GlyphAccuracy(string Split, int Count, double Top1, double Top5, double MsPerGlyph);

/// <summary>One epoch: mean training loss, held-out top-1 (%), seconds and training glyphs per second.</summary>
public sealed record GlyphEpoch(int Epoch, double TrainLoss, double HeldOutTop1, double Seconds, double GlyphsPerSecond);

/// <param name="StoppedAtPlateau">Training ended at the claims' plateau test on the held-out top-1 per epoch (options' StopAt),
/// not at the epoch cap (the schedule, laid out over the cap, was then cut short).</param>
public sealed record GlyphTrainingRun(string Variant, long Parameters, IReadOnlyList<GlyphEpoch> Epochs, double Seconds, double GlyphsPerSecond,
    bool StoppedAtPlateau = false)
{
    /// <summary>The held-out top-1 per epoch as the trace the plateau test reads.</summary>
    public Ledger.HeldOutTrace HeldOutTrace(string name, int cap) => new(name, "held-out faces top-1 (%)", true,
        Epochs.Select(e => (double)e.Epoch).ToList(), Epochs.Select(e => e.HeldOutTop1).ToList(),
        Ledger.PlateauStop.Because(StoppedAtPlateau, StoppedAtPlateau ? Epochs.Count : cap, "epoch"));
}

public static class GlyphCnnTrainer
{
    public static GlyphTrainingRun Train(GlyphCnnClassifier model, GlyphSplit train, GlyphSplit heldOut, GlyphTrainingOptions o,
        Action<string, double>? progress = null, CancellationToken cancel = default)
    {
        o.Validate();
        if (train.Count == 0) throw new ArgumentException("the training split is empty");
        int classes = model.Config.Classes;
        if (train.Labels.Any(l => l < 0 || l >= classes)) throw new ArgumentException($"training labels must lie in 0..{classes - 1}");
        var teacher = o.Distillation?.Teacher;
        teacher?.eval();

        using var gridsAll = train.GridTensor(); // (N, 16, 16)
        using var labelsAll = train.LabelTensor(); // (N)
        using var weights = ClassWeights(train.Labels, classes, o.ClassWeightAlpha);
        var optimizer = Optimizers.AdamW(model.parameters(), o.LearningRate, o.WeightDecay);
        int n = train.Count, stepsPerEpoch = (n + o.BatchSize - 1) / o.BatchSize, total = stepsPerEpoch * o.Epochs;
        int warmup = (int)Math.Round(o.WarmupFraction * total), weightedSteps = (int)Math.Round(o.WeightedFraction * total);
        var gen = new Generator().manual_seed(o.Seed);
        string phase = Training.PhaseCheckpoint.PhaseOf(new
        {
            options = o with { Distillation = null, Resume = null }, distilled = o.Distillation is { } d ? new { d.Alpha, d.Temperature, teacher = d.Teacher.Config } : null,
            model.Config, train = n, heldOut = heldOut.Count,
        });
        var state = Training.PhaseCheckpoint.Resume<LoopState>(o.Resume, model, optimizer, phase) ?? new LoopState();
        if (state.Generator is not null)
            using (var g = tensor(Convert.FromBase64String(state.Generator), ScalarType.Byte)) gen.set_state(g);
        var epochs = state.Epochs;
        var clock = Stopwatch.StartNew();
        var sinceSave = Stopwatch.StartNew();
        void Save()
        {
            using (var g = gen.get_state()) state.Generator = Convert.ToBase64String(g.bytes.ToArray());
            state.Seconds += clock.Elapsed.TotalSeconds;
            clock.Restart();
            Training.PhaseCheckpoint.Save(o.Resume!, model, optimizer, phase, state, state.Step);
            sinceSave.Restart();
        }
        for (int e = state.Epoch; e < o.Epochs && !state.StoppedAtPlateau; e++)
        {
            cancel.ThrowIfCancellationRequested();
            model.train();
            var epochClock = Stopwatch.StartNew();
            // Mid-epoch after a resume: the epoch's order was drawn before the stop and saved with it.
            using var perm = state.Order is { } saved ? tensor(saved) : randperm(n, generator: gen);
            state.Order ??= perm.data<long>().ToArray();
            for (int b = state.BatchInEpoch; b < stepsPerEpoch; b++)
            {
                cancel.ThrowIfCancellationRequested();
                int step = state.Step;
                using (var scope = NewDisposeScope())
                {
                    double scale = step < warmup ? (step + 1.0) / warmup
                        : o.MinLrScale + (1 - o.MinLrScale) * 0.5 * (1 + Math.Cos(Math.PI * (step - warmup) / Math.Max(1, total - warmup)));
                    foreach (var g in optimizer.ParamGroups) g.LearningRate = o.LearningRate * scale;
                    var idx = perm.narrow(0, b * o.BatchSize, Math.Min(o.BatchSize, n - b * o.BatchSize));
                    var grids = gridsAll.index_select(0, idx); // (b, 16, 16)
                    var labels = labelsAll.index_select(0, idx); // (b)
                    bool weighted = step < weightedSteps;
                    if (weighted && o.TokenDropout > 0)
                        grids = grids.masked_fill(rand(grids.shape, generator: gen) < o.TokenDropout, 0);
                    var logits = model.forward(grids); // (b, classes)
                    var loss = nn.functional.cross_entropy(logits, labels, weighted ? weights : null, label_smoothing: o.LabelSmoothing);
                    if (o.Distillation is { } kd)
                    {
                        Tensor soft;
                        using (no_grad()) soft = nn.functional.softmax(teacher!.forward(grids) / kd.Temperature, 1);
                        var logStudent = nn.functional.log_softmax(logits / kd.Temperature, 1);
                        var kl = nn.functional.kl_div(logStudent, soft, reduction: nn.Reduction.Sum) / labels.shape[0];
                        loss = (1 - kd.Alpha) * loss + kd.Alpha * kd.Temperature * kd.Temperature * kl;
                    }
                    optimizer.zero_grad();
                    loss.backward();
                    if (o.GradClip > 0) nn.utils.clip_grad_norm_(model.parameters(), o.GradClip);
                    optimizer.step();
                    state.LossSum += loss.item<float>() * labels.shape[0];
                }
                (state.Step, state.BatchInEpoch) = (step + 1, b + 1);
                if (Training.PhaseCheckpoint.Due(o.Resume, state.Step, sinceSave))
                {
                    state.EpochSeconds += epochClock.Elapsed.TotalSeconds;
                    epochClock.Restart();
                    Save();
                }
            }
            double seconds = state.EpochSeconds + epochClock.Elapsed.TotalSeconds;
            double lossSum = state.LossSum;
            var acc = Evaluate(model, heldOut);
            epochs.Add(new GlyphEpoch(e + 1, lossSum / n, acc.Top1, seconds, n / seconds));
            (state.Epoch, state.BatchInEpoch, state.Order, state.LossSum, state.EpochSeconds) = (e + 1, 0, null, 0, 0);
            if (o.StopAt is { Active: true } stop && e + 1 >= (o.MinEpochs ?? 0) && stop.Reached(new GlyphTrainingRun("", 0, epochs, 0, 0).HeldOutTrace("in training", o.Epochs)))
                state.StoppedAtPlateau = true;
            if (o.Resume is not null) Save();
            progress?.Invoke($"{model.Config.Variant}{(teacher is null ? "" : " (distilled)")} epoch {e + 1}/{o.Epochs}: loss {lossSum / n:0.000}, {heldOut.Name} top-1 {acc.Top1:0.0}%, {n / seconds:0} glyphs/s",
                (e + 1.0) / o.Epochs);
        }
        double trainSeconds = epochs.Sum(x => x.Seconds);
        return new GlyphTrainingRun(model.Config.Variant + (teacher is null ? "" : " distilled"), model.ParameterCount, epochs, state.Seconds + clock.Elapsed.TotalSeconds,
            (double)n * epochs.Count / trainSeconds, state.StoppedAtPlateau);
    }

    /// <summary>Where a run is, for its resume file: the epoch in progress and its batches taken, that epoch's order and
    /// loss so far, the global step (the schedule's clock), the run's own generator and the epochs recorded.</summary>
    sealed class LoopState
    {
        public int Epoch { get; set; }
        public int BatchInEpoch { get; set; }
        public long[]? Order { get; set; }
        public double LossSum { get; set; }
        public double EpochSeconds { get; set; }
        public int Step { get; set; }
        public string? Generator { get; set; }
        public List<GlyphEpoch> Epochs { get; set; } = [];
        public double Seconds { get; set; }
        public bool StoppedAtPlateau { get; set; }
    }

    /// <summary>Upstream's auto_inverse_freq weights: (N / (count + 1))^alpha over seen classes, scaled to mean 1; unseen classes 0.</summary>
    public static Tensor ClassWeights(IReadOnlyList<int> labels, int classes, double alpha)
    {
        var counts = new double[classes];
        foreach (var l in labels) counts[l]++;
        double total = labels.Count;
        var w = counts.Select(c => c > 0 ? Math.Pow(total / (c + 1), alpha) : 0).ToArray();
        double mean = w.Where((_, i) => counts[i] > 0).DefaultIfEmpty(1).Average();
        return tensor(w.Select(x => (float)(x / mean)).ToArray());
    }

    /// <summary>Top-1 and top-5 (%) in eval mode, in batches of <paramref name="batchSize"/>.</summary>
    public static GlyphAccuracy Evaluate(GlyphCnnClassifier model, GlyphSplit split, int batchSize = 256)
    {
        if (split.Count == 0) throw new ArgumentException($"the split '{split.Name}' is empty");
        model.eval();
        using var noGrad = no_grad();
        using var grids = split.GridTensor();
        using var labels = split.LabelTensor();
        long top1 = 0, top5 = 0;
        var clock = Stopwatch.StartNew();
        int k = Math.Min(5, model.Config.Classes);
        for (int s = 0; s < split.Count; s += batchSize)
        {
            using var scope = NewDisposeScope();
            int len = Math.Min(batchSize, split.Count - s);
            var logits = model.forward(grids.narrow(0, s, len)); // (b, classes)
            var y = labels.narrow(0, s, len).unsqueeze(1); // (b, 1)
            var (_, best) = logits.topk(k, 1); // (b, k)
            var hit = best.eq(y); // (b, k)
            top1 += hit.narrow(1, 0, 1).sum().item<long>();
            top5 += hit.any(1).sum().item<long>();
        }
        return new GlyphAccuracy(split.Name, split.Count, 100.0 * top1 / split.Count, 100.0 * top5 / split.Count, clock.Elapsed.TotalMilliseconds / split.Count);
    }
}
