using System.Globalization;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Models.PathFlow;
using Raccoon.Research.Views;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.PathFlow;

/// <summary>V2-02 (the posterior's time attention alone vs T, its three forms interleaved, peak memory, and the window's
/// held-out ELBO cost) and V2-11 (one training step at the speech sizes with and without the window).</summary>
public sealed partial class PathFlowScalingExperiment
{
    /// <summary>V2-02's and V2-11's sizes. Attention: B = 1 and upstream's hidden width 128, query times spread over the
    /// keys ([0, 1]), window 10 as the document's; upstream's repeat-per-query form runs while its predicted bytes stay
    /// under <paramref name="UpstreamCapBytes"/> (the machine is shared, so the cap is fixed, not read from free memory).
    /// ELBO cost: upstream's model on stochastic Lorenz (T = 121) with the posterior time normalised, so every query's
    /// window lies inside the keys, trained with global and with windowed attention from the same start, per seed.
    /// Speech: 80-dim input, 256-dim latent, T = 10,000, one forward + backward per sample.</summary>
    public sealed record AttentionSizes(int[] Lengths, long UpstreamCapBytes, int Repeats,
        int ElboSeeds, int ElboSteps, int ElboPaths, int ElboHidden,
        int SpeechRepeats, int[] SpeechUpstreamLengths, long SpeechUpstreamCapBytes, int SpeechLength = 10_000, double FitFrom = 1000, int ElboObservations = 120)
    {
        public const int Hidden = 128, Window = 10, Blocks = 3, SpeechInput = 80, SpeechLatent = 256;
        public const double SpeechTMax = 100;

        public static AttentionSizes For(Profile profile) => profile switch
        {
            Profile.Quick => new([100, 300, 1000, 3000, 10_000], 1200L << 20, Repeats: 3, ElboSeeds: 3, ElboSteps: 5, ElboPaths: 8, ElboHidden: 32,
                SpeechRepeats: 3, SpeechUpstreamLengths: [250, 500], SpeechUpstreamCapBytes: 1200L << 20),
            // standard's ELBO-cost training is small (16 paths, hidden 32, 30 steps x 2 forms x 3 seeds) to keep path-flow-scaling near its
            // budget after V2-11 became 4 interleaved steps per form; the figure is reported beside the rule, not judged
            Profile.Standard or Profile.Reference => new([100, 300, 1000, 3000, 10_000], 2500L << 20, Repeats: 7, ElboSeeds: 3, ElboSteps: 30, ElboPaths: 16, ElboHidden: 32,
                SpeechRepeats: 3, SpeechUpstreamLengths: [250, 500, 1000], SpeechUpstreamCapBytes: 2500L << 20),
            _ => new([100, 300, 1000, 3000, 10_000], 4000L << 20, Repeats: 15, ElboSeeds: 3, ElboSteps: 2000, ElboPaths: 256, ElboHidden: 128,
                SpeechRepeats: 6, SpeechUpstreamLengths: [250, 500, 1000], SpeechUpstreamCapBytes: 4000L << 20),
        };

        /// <summary>Bytes a form's largest tensors take for the attention alone at T queries over T keys (float32, B = 1):
        /// upstream the repeated states and their weighted copy (2 T^2 H), global the weight matrix and its softmax
        /// (2 T^2), windowed the gathered states and their weighted copy (2 T w H) (<see cref="PathFlowMemory.AttentionFloats"/>).</summary>
        public static long PredictedBytes(PosteriorAttention form, long T) =>
            PathFlowMemory.AttentionFloats(form, T, T, Hidden, Window, training: false) * StepMemory.BytesPerFloat;

        /// <summary>Upstream's form in a training step also keeps the repeated states for backward and makes their
        /// gradient: about 4 T^2 H floats.</summary>
        public static long PredictedTrainingBytes(long T) =>
            PathFlowMemory.AttentionFloats(PosteriorAttention.Upstream, T, T, Hidden, Window, training: true) * StepMemory.BytesPerFloat;

        /// <summary>The lengths at which upstream's form runs alone: its predicted bytes under the cap.</summary>
        public IReadOnlyList<int> UpstreamLengths => Lengths.Where(T => PredictedBytes(PosteriorAttention.Upstream, T) <= UpstreamCapBytes).ToList();

        /// <summary>The lengths at which upstream's form runs a speech-scale training step: its predicted bytes under the cap.</summary>
        public IReadOnlyList<int> SpeechUpstreamRuns => SpeechUpstreamLengths.Where(T => PredictedTrainingBytes(T) <= SpeechUpstreamCapBytes).ToList();
    }

    static readonly (string Name, PosteriorAttention Form)[] AttentionForms =
    [
        ("upstream (repeat per query)", PosteriorAttention.Upstream),
        ("global (one T x T matmul)", PosteriorAttention.Global),
        ($"windowed w = {AttentionSizes.Window}", PosteriorAttention.Windowed),
    ];

    /// <summary>V2-02 then V2-11 at the given sizes (the profile's: <see cref="AttentionSizes.For"/>).</summary>
    public static IReadOnlyList<Measurement> PosteriorAttentionScaling(ExperimentContext context, AttentionSizes sizes, List<Table> tables, List<Figure> figures)
    {
        long machine = MachineContext.MemoryBytes();
        return [AttentionAlone(context, sizes, machine, tables, figures), SpeechScale(context, sizes, machine, tables)];
    }

    /// <summary>V2-02: <see cref="PathFlowModel.PosteriorAttend"/> alone (no MLP), each full form against the window,
    /// interleaved in blocks, for every T; peak memory per form and T; the window's held-out ELBO cost over seeds.</summary>
    static Measurement AttentionAlone(ExperimentContext context, AttentionSizes sizes, long machine, List<Table> tables, List<Figure> figures)
    {
        const string Name = "path-flow-scaling";
        using var scope = NewDisposeScope();
        manual_seed(context.Seed);
        var baseCfg = PathFlowConfig.Upstream with { Hidden = AttentionSizes.Hidden, Window = AttentionSizes.Window, NormalisedPosteriorTime = true };
        var models = AttentionForms.Select(f => new PathFlowModel(baseCfg with { Attention = f.Form })).ToArray();
        var options = new TimingOptions(Warmup: 1, Repeats: sizes.Repeats);
        const int Up = 0, Glob = 1, Win = 2;

        var pairs = new List<Timing.Pair>(); var pairOf = new List<(int Form, int T)>();
        var peaks = new Dictionary<(int Form, int T), long?>();
        var notRun = new List<int>();
        foreach (int T in sizes.Lengths)
        {
            var xs = randn(1, T, 3); var q = linspace(0, 1, T).unsqueeze(0);                // (1, T, 3), (1, T)
            Tensor ctx; using (no_grad()) ctx = models[0].Encode(xs);                      // (1, 1 + T, H)
            // each call frees its own tensors, also when Memory.PeakResidentGrowth runs it
            Action Call(int k) => () => { using var sc = NewDisposeScope(); using var ng = no_grad(); models[k].PosteriorAttend(ctx, q); };
            bool upstreamFits = sizes.UpstreamLengths.Contains(T);
            if (!upstreamFits) notRun.Add(T);
            foreach (int k in upstreamFits ? new[] { Up, Glob, Win } : [Glob, Win])
            {
                context.Report(Name, $"posterior attention alone, peak memory of {AttentionForms[k].Name} at T = {T:N0}");
                peaks[(k, T)] = Memory.PeakResidentGrowth(Call(k));
            }
            foreach (int k in upstreamFits ? new[] { Up, Glob } : [Glob])
            {
                pairs.Add(new Timing.Pair($"{AttentionForms[k].Name} T={T}", Call(k), $"{AttentionForms[Win].Name} T={T}", Call(Win), options));
                pairOf.Add((k, T));
            }
        }
        context.Report(Name, $"posterior attention alone, {pairs.Count} interleaved comparisons, T = {sizes.Lengths[0]:N0}..{sizes.Lengths[^1]:N0}, {AttentionSizes.Blocks} blocks");
        var cmps = Timing.CompareInBlocks(pairs, AttentionSizes.Blocks);

        // Per form and T: the median seconds (the window's from its comparison with the global form) and each full form's speedup.
        var seconds = new Dictionary<(int Form, int T), double>();
        var speedups = new Dictionary<(int Form, int T), (double Ratio, MeasuredInterval Interval)>();
        for (int i = 0; i < cmps.Count; i++)
        {
            var (k, T) = pairOf[i];
            seconds[(k, T)] = cmps[i].Baseline.Median;
            if (k == Glob) seconds[(Win, T)] = cmps[i].Candidate.Median;
            speedups[(k, T)] = Intervals.Speedup(cmps[i]);
        }
        var rows = new List<IReadOnlyList<string>>();
        foreach (int T in sizes.Lengths)
            foreach (int k in new[] { Up, Glob, Win })
            {
                long predicted = AttentionSizes.PredictedBytes(AttentionForms[k].Form, T);
                if (!seconds.ContainsKey((k, T)))
                {
                    rows.Add([$"{T:N0}", AttentionForms[k].Name, "not run", "-", "-", $"{predicted / 1048576.0:N0} predicted, over the cap of {sizes.UpstreamCapBytes / 1048576.0:N0}"]);
                    continue;
                }
                string ratio = speedups.TryGetValue((k, T), out var s) ? $"{s.Ratio:0.0} {s.Interval}" : "1";
                rows.Add([$"{T:N0}", AttentionForms[k].Name, $"{seconds[(k, T)] * 1e3:0.000}", ratio,
                    peaks[(k, T)] is long p ? $"{p / 1048576.0:0.0}" : "n/a", $"{predicted / 1048576.0:0.0}"]);
            }
        tables.Add(new Table($"Posterior attention alone (PathFlowModel.PosteriorAttend, no MLP) for T queries over T keys, B = 1, H = {AttentionSizes.Hidden}, no gradients; " +
            $"each full form timed interleaved with the window in {AttentionSizes.Blocks} blocks of {sizes.Repeats} rounds in all",
            ["T", "attention", "ms (median)", "time / windowed [interval]", "peak RSS growth MiB (measured)", "largest tensors MiB (predicted)"], rows).Named("attention-vs-t"));

        List<double> Ts(int k) => sizes.Lengths.Where(T => seconds.ContainsKey((k, T))).Select(T => (double)T).ToList();
        figures.Add(PathFlowCharts.Lines("Posterior attention alone: time vs T", "T", "seconds", true, true,
            AttentionForms.Select((f, k) => (f.Name, (IReadOnlyList<double>)Ts(k), (IReadOnlyList<double>)Ts(k).Select(T => seconds[(k, (int)T)]).ToList())).ToArray()).Named("attention-time-vs-t"));
        figures.Add(PathFlowCharts.Lines("Posterior attention alone: peak memory vs T", "T", "peak RSS growth (MiB)", true, true,
            AttentionForms.Select((f, k) =>
            {
                var ts = Ts(k).Where(T => peaks[(k, (int)T)] is > 0).ToList();
                return (f.Name, (IReadOnlyList<double>)ts, (IReadOnlyList<double>)ts.Select(T => peaks[(k, (int)T)]!.Value / 1048576.0).ToList());
            }).ToArray()).Named("attention-memory-vs-t"));

        // The window's ELBO cost: the same model trained with each form, per seed.
        var (elboCost, swapCost) = WindowElboCost(context, sizes, tables);

        int T1 = sizes.Lengths.Max();
        int upLargest = sizes.Lengths.Where(T => seconds.ContainsKey((Up, T))).Max();
        var headline = speedups[(Glob, T1)]; var upstream = speedups[(Up, upLargest)];
        double Exp(int k) => PowerLaw.Exponent(Ts(k), Ts(k).Select(T => seconds[(k, (int)T)]).ToList(), sizes.FitFrom);
        double globalExp = Exp(Glob), windowExp = Exp(Win);
        int firstNotRun = notRun.Count > 0 ? notRun.Min() : 0;
        string stop = notRun.Count == 0 ? $"it ran at every T up to {upLargest:N0}" :
            $"it ran up to T = {upLargest:N0} ({upstream.Ratio:0}x the window {upstream.Interval}) and stops at T = {firstNotRun:N0}, where its repeated states alone need " +
            $"{AttentionSizes.PredictedBytes(PosteriorAttention.Upstream, firstNotRun) / 1073741824.0:0.0} GiB (2 T^2 H floats), over this run's cap of {sizes.UpstreamCapBytes / 1073741824.0:0.0} GiB " +
            $"on a shared {machine / 1073741824.0:0} GiB machine; at T = {T1:N0} it would need {AttentionSizes.PredictedBytes(PosteriorAttention.Upstream, T1) / 1073741824.0:0} GiB";
        return Measurement.Of("V2-02",
            $"The posterior attention alone (no per-query MLP), B = 1, H = {AttentionSizes.Hidden}, T queries over T keys: at T = {T1:N0} global attention as one T x T matmul " +
            $"{seconds[(Glob, T1)] * 1e3:0} ms, windowed (w = {AttentionSizes.Window}) {seconds[(Win, T1)] * 1e3:0.00} ms: {headline.Ratio:0}x {headline.Interval}, interleaved in {AttentionSizes.Blocks} blocks; " +
            $"peak memory +{Mib(peaks[(Glob, T1)])} vs +{Mib(peaks[(Win, T1)])} MiB. Cost exponents over T >= {sizes.FitFrom:N0}: global T^{globalExp:0.00}, windowed T^{windowExp:0.00}. " +
            $"Upstream's form (the states repeated per query): {stop}. " +
            $"The window's held-out ELBO cost (global minus windowed, {sizes.ElboSeeds} seeds, each trained {sizes.ElboSteps} steps from the same start): {elboCost.Mean:+0.000;-0.000;0.000} nats per path {elboCost.Interval}; " +
            $"the global model's weights read through the window instead: {swapCost.Mean:+0.0000;-0.0000;0.0000} {swapCost.Interval} (upstream's weights are a Gaussian about one key spacing wide, so 10 keys hold all but ~1e-8 of them).",
            [
                new Quantity("windowSpeedup", headline.Ratio, $"x (global T x T matmul time / windowed time, attention alone, T = {T1:N0})", headline.Interval, Samples: sizes.Repeats, Design: Sampling.Interleaved),
                new Quantity("upstreamSpeedupAtLargestT", upstream.Ratio, $"x (upstream repeat-per-query time / windowed time at T = {upLargest:N0}, the largest that ran)", upstream.Interval, Samples: sizes.Repeats, Design: Sampling.Interleaved),
                new Quantity("upstreamLargestT", upLargest, "time points"),
                new Quantity("globalTimeExponent", globalExp, $"log-log slope over T >= {sizes.FitFrom:N0}"),
                new Quantity("windowedTimeExponent", windowExp, $"log-log slope over T >= {sizes.FitFrom:N0}"),
                new Quantity("globalPeakMiB", (peaks[(Glob, T1)] ?? 0) / 1048576.0, $"MiB peak RSS growth at T = {T1:N0}"),
                new Quantity("windowedPeakMiB", (peaks[(Win, T1)] ?? 0) / 1048576.0, $"MiB peak RSS growth at T = {T1:N0}"),
                new Quantity("windowHeldOutElboCost", elboCost.Mean, "nats per path (global minus windowed, each trained)", elboCost.Interval, Samples: sizes.ElboSeeds, Design: Sampling.Independent),
                new Quantity("windowSwapElboCost", swapCost.Mean, "nats per path (global minus windowed, the same trained weights)", swapCost.Interval, Samples: sizes.ElboSeeds, Design: Sampling.Independent),
            ],
            evidence: "PathFlowModel.PosteriorAttend per form, Timing.CompareInBlocks (each full form interleaved with the window), Memory.PeakResidentGrowth; PathFlowTraining.Train with global and windowed attention per seed",
            kind: FigureKind.Timing);
    }

    static string Mib(long? bytes) => bytes is long b ? $"{b / 1048576.0:0}" : "n/a";

    /// <summary>Per seed: upstream's model (posterior time normalised) trained with global attention and, from the same
    /// start, with windowed attention; held-out ELBO per path of each. Returns global minus windowed, mean and range over
    /// seeds, for the two trained models and for the global model's weights read through the window.</summary>
    static ((double Mean, MeasuredInterval Interval) Trained, (double Mean, MeasuredInterval Interval) Swapped) WindowElboCost(
        ExperimentContext context, AttentionSizes sizes, List<Table> tables)
    {
        const string Name = "path-flow-scaling";
        using var scope = NewDisposeScope();
        var g = new Generator((ulong)context.Seed + 60);
        var train = LorenzPaths.Generate(sizes.ElboPaths, g, observations: sizes.ElboObservations);
        var held = LorenzPaths.Generate(sizes.ElboPaths, g, observations: sizes.ElboObservations);
        var cfg = PathFlowConfig.Upstream with { Hidden = sizes.ElboHidden, NormalisedPosteriorTime = true, Window = AttentionSizes.Window };
        var trained = new List<double>(); var swapped = new List<double>(); var rows = new List<IReadOnlyList<string>>();
        for (int s = 0; s < sizes.ElboSeeds; s++)
        {
            long seed = context.Seed + 60 + s;
            manual_seed(seed);
            var global = new PathFlowModel(cfg with { Attention = PosteriorAttention.Global });
            var windowed = new PathFlowModel(cfg with { Attention = PosteriorAttention.Windowed });
            windowed.load_state_dict(global.state_dict());
            context.Report(Name, $"window's ELBO cost, seed {s}: global attention");
            var gc = PathFlowTraining.Train(global, train, held, sizes.ElboSteps, seed, sizes.ElboSteps);
            context.Report(Name, $"window's ELBO cost, seed {s}: windowed attention");
            var wc = PathFlowTraining.Train(windowed, train, held, sizes.ElboSteps, seed, sizes.ElboSteps);
            var reader = new PathFlowModel(cfg with { Attention = PosteriorAttention.Windowed });
            reader.load_state_dict(global.state_dict());
            double read = PathFlowTraining.HeldOutElbo(reader, held);
            trained.Add(gc.HeldOutAfter - wc.HeldOutAfter); swapped.Add(gc.HeldOutAfter - read);
            rows.Add([$"{s}", $"{gc.HeldOutBefore:0.000}", $"{gc.HeldOutAfter:0.000}", $"{wc.HeldOutAfter:0.000}", $"{read:0.000}", $"{trained[^1]:+0.000;-0.000;0.000}"]);
        }
        tables.Add(new Table($"The window's held-out ELBO cost: stochastic Lorenz (T = {sizes.ElboObservations + 1}, {sizes.ElboPaths} training and {sizes.ElboPaths} held-out paths), hidden {sizes.ElboHidden}, posterior time normalised, " +
            $"{sizes.ElboSteps} Adam steps from the same start per seed; held-out ELBO per path",
            ["seed", "before", "global, trained", $"windowed w = {AttentionSizes.Window}, trained", "global's weights through the window", "global - windowed (trained)"], rows).Named("window-elbo-cost"));
        return ((trained.Average(), Intervals.Range(trained)), (swapped.Average(), Intervals.Range(swapped)));
    }

    /// <summary>V2-11: one forward + backward of the ELBO at 80-dim input, 256-dim latent, T = 10,000 with the window and
    /// with global attention (the T x T matmul form), interleaved in blocks, with each one's peak memory; upstream's form at
    /// the same sizes up to the largest T under the cap, and its memory and time projected to T = 10,000 as T^2.</summary>
    static Measurement SpeechScale(ExperimentContext context, AttentionSizes sizes, long machine, List<Table> tables)
    {
        const string Name = "path-flow-scaling";
        using var scope = NewDisposeScope();
        var speech = new PathFlowConfig(DataDim: AttentionSizes.SpeechInput, LatentDim: AttentionSizes.SpeechLatent, Hidden: AttentionSizes.Hidden,
            NormalisedPosteriorTime: true, TMax: AttentionSizes.SpeechTMax, Window: AttentionSizes.Window);
        manual_seed(context.Seed);
        var models = AttentionForms.Select(f => new PathFlowModel(speech with { Attention = f.Form })).ToArray();
        var state = models[0].state_dict();
        foreach (var m in models.Skip(1)) m.load_state_dict(state);
        const int Up = 0, Glob = 1, Win = 2;
        (Tensor X, Tensor T) Data(int T) => (randn(1, T, AttentionSizes.SpeechInput), linspace(0, AttentionSizes.SpeechTMax, T).view(1, T, 1));
        Action Step(int k, (Tensor X, Tensor T) d) => () =>
        {
            using var sc = NewDisposeScope(); // the step frees its own tensors, also when Memory.PeakResidentGrowth runs it
            models[k].zero_grad();
            var loss = models[k].Loss(d.X, d.T, new Generator(3));
            loss.backward();
            if (!float.IsFinite(loss.item<float>())) throw new InvalidOperationException($"V2-11: the speech-scale loss is {loss.item<float>()} with {AttentionForms[k].Name}");
        };

        int T1 = sizes.SpeechLength;
        var full = Data(T1);
        var peaks = new Dictionary<(int, int), long?>();
        foreach (int k in new[] { Win, Glob })
        {
            context.Report(Name, $"speech scale, {AttentionForms[k].Name} at T = {T1:N0}: peak memory (also the warm-up)");
            peaks[(k, T1)] = Memory.PeakResidentGrowth(Step(k, full));
        }
        var upLengths = sizes.SpeechUpstreamRuns;
        int upLargest = upLengths.Count > 0 ? upLengths.Max() : 0;
        var upSeconds = new Dictionary<int, double>();
        foreach (int T in upLengths)
        {
            context.Report(Name, $"speech scale, {AttentionForms[Up].Name} at T = {T:N0}: peak memory");
            var d = Data(T);
            peaks[(Up, T)] = Memory.PeakResidentGrowth(Step(Up, d));
            if (T != upLargest) upSeconds[T] = Timing.Measure($"upstream T={T}", Step(Up, d), new TimingOptions(Warmup: 0, Repeats: 1)).Median;
        }
        var pairs = new List<Timing.Pair> { new($"{AttentionForms[Glob].Name} T={T1}", Step(Glob, full), $"{AttentionForms[Win].Name} T={T1}", Step(Win, full), new TimingOptions(Warmup: 0, Repeats: sizes.SpeechRepeats)) };
        var small = upLargest > 0 ? Data(upLargest) : full;
        if (upLargest > 0)
        {
            context.Report(Name, $"speech scale, {AttentionForms[Win].Name} at T = {upLargest:N0}: warm-up");
            Step(Win, small)();
            pairs.Add(new($"{AttentionForms[Up].Name} T={upLargest}", Step(Up, small), $"{AttentionForms[Win].Name} T={upLargest}", Step(Win, small), new TimingOptions(Warmup: 0, Repeats: sizes.SpeechRepeats)));
        }
        context.Report(Name, $"speech scale: {pairs.Count} interleaved comparisons of one training step, {AttentionSizes.Blocks} blocks");
        var cmps = Timing.CompareInBlocks(pairs, AttentionSizes.Blocks);
        var (slowdown, slowInterval) = Intervals.Speedup(cmps[0]);
        double winS = cmps[0].Candidate.Median, globS = cmps[0].Baseline.Median;
        long winPeak = peaks[(Win, T1)] ?? throw new InvalidOperationException("V2-11: the windowed run's peak memory could not be measured (no /proc/self/clear_refs)");
        long? globPeak = peaks[(Glob, T1)];

        var rows = new List<IReadOnlyList<string>>();
        rows.Add([$"{T1:N0}", AttentionForms[Win].Name, $"{winS:0.00}", "1", Mib(winPeak), "ran"]);
        rows.Add([$"{T1:N0}", AttentionForms[Glob].Name, $"{globS:0.00}", $"{slowdown:0.0} {slowInterval}", Mib(globPeak), "ran"]);
        foreach (int T in upLengths)
        {
            string time = T == upLargest ? $"{cmps[1].Baseline.Median:0.00}" : $"{upSeconds[T]:0.00}";
            string ratio = T == upLargest ? $"{Intervals.Speedup(cmps[1]).Ratio:0.0} {Intervals.Speedup(cmps[1]).Interval} (vs windowed at T = {T:N0})" : "-";
            rows.Add([$"{T:N0}", AttentionForms[Up].Name, time, ratio, Mib(peaks[(Up, T)]), "ran"]);
        }
        // Upstream's form at the speech length, projected from its largest run: memory and time grow as T^2 there.
        double scale = upLargest > 0 ? Math.Pow((double)T1 / upLargest, 2) : double.NaN;
        double? projectedBytes = upLargest > 0 && peaks[(Up, upLargest)] is long up ? up * scale : null;
        double projectedBytesFormula = AttentionSizes.PredictedTrainingBytes(T1);
        double projected = projectedBytes ?? projectedBytesFormula;
        double projectedSeconds = upLargest > 0 ? cmps[1].Baseline.Median * scale : double.NaN;
        rows.Add([$"{T1:N0}", AttentionForms[Up].Name, upLargest > 0 ? $"{projectedSeconds:0} (projected)" : "-", "-",
            $"{projected / 1048576.0:N0} (projected{(projectedBytes is null ? ", 4 T^2 H floats" : $" as T^2 from T = {upLargest:N0}")})", "not run: a projection"]);
        tables.Add(new Table($"Speech scale: one ELBO forward + backward, {AttentionSizes.SpeechInput}-dim input, {AttentionSizes.SpeechLatent}-dim latent, B = 1; " +
            $"timed interleaved in {AttentionSizes.Blocks} blocks of {sizes.SpeechRepeats} rounds in all",
            ["T", "posterior attention", "seconds (median)", "time / windowed [interval]", "peak RSS growth MiB", "status"], rows).Named("speech-scale"));

        string upText = upLargest > 0
            ? $"Upstream's repeat-per-query form ran up to T = {upLargest:N0} ({cmps[1].Baseline.Median:0.00} s, peak +{Mib(peaks[(Up, upLargest)])} MiB; the next size would pass this run's cap of {sizes.SpeechUpstreamCapBytes / 1073741824.0:0.0} GiB); " +
              $"projected as T^2 to T = {T1:N0}: {projected / 1073741824.0:0} GiB and {projectedSeconds:0} s (a projection, not run) against this machine's {machine / 1073741824.0:0} GiB."
            : $"Upstream's repeat-per-query form did not fit under the cap at any size tried; it would need about {projected / 1073741824.0:0} GiB at T = {T1:N0} (a projection).";
        return Measurement.Of("V2-11",
            $"One training step's forward + backward at {AttentionSizes.SpeechInput}-dim input, {AttentionSizes.SpeechLatent}-dim latent, T = {T1:N0} (B = 1), interleaved in {AttentionSizes.Blocks} blocks: " +
            $"windowed {winS:0.00} s, peak +{Mib(winPeak)} MiB; global attention as a T x T matmul {globS:0.00} s, peak +{Mib(globPeak)} MiB: {slowdown:0.0}x {slowInterval} slower. " + upText,
            [
                new Quantity("windowedPeakShareOfMemory", (double)winPeak / machine, "x machine memory (measured peak RSS growth)"),
                new Quantity("globalPeakShareOfMemory", (globPeak ?? 0) / (double)machine, "x machine memory (measured peak RSS growth)"),
                new Quantity("globalSlowdown", slowdown, $"x (global step time / windowed step time at T = {T1:N0})", slowInterval, Samples: sizes.SpeechRepeats, Design: Sampling.Interleaved),
                new Quantity("upstreamLargestT", upLargest, "time points (the largest upstream's form ran at)"),
                new Quantity("upstreamProjectedShareOfMemory", projected / machine, $"x machine memory (a projection to T = {T1:N0}, not run)"),
            ],
            evidence: "PathFlowModel.Loss + backward at the speech sizes per attention form, Timing.CompareInBlocks, Memory.PeakResidentGrowth",
            kind: FigureKind.Memory);
    }
}
