using System.Diagnostics;
using System.Globalization;
using Raccoon.Research.Blocks.Mixing;
using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Models.LanguageModels;
using Raccoon.Research.Runtime;
using static TorchSharp.torch;

namespace Raccoon.Research.Benchmarks;

/// <summary>
/// Where the HyperMixer language model's inference at n = 1024 (the parity case) spends its time: the whole
/// forward pass, and one block's parts (hypernetwork, token mixing without it, feed-forward), with each part's
/// GFLOP/s and bytes of weights read. Run by hand under the torch lock:
/// <code>flock /tmp/raccoon-torch.lock dotnet run -c Release --project lib/Raccoon.Research.Benchmarks -- hypermixer [--threads 2]</code>
/// </summary>
static class HyperMixerProfile
{
    public static int Run(string[] args)
    {
        int i = Array.IndexOf(args, "--threads");
        int threads = i >= 0 ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        TorchRuntime.Initialize(threads);
        manual_seed(0);
        const int n = 1024;
        var config = LanguageModelConfig.Document with { MaxLength = n };
        using var model = new HyperMixerLanguageModel(config, HyperMixerVariant.Upstream);
        model.eval();
        var mixer = HyperMixerLanguageModel.MixerConfig(config, HyperMixerVariant.Upstream);
        using var block = new HyperMixerBlock(mixer, config.HiddenDim);
        block.eval();
        var tokens = randint(0, config.VocabularySize, [1, n], dtype: ScalarType.Int64);
        var x = randn(1, n, config.ModelDim);
        var pooled = randn(1, config.ModelDim);
        var hyper = block.TokenMixing.Hypernetwork;
        var z = randn(1, mixer.HyperHidden);
        var w = hyper.Output.weight!;
        var bias = hyper.Output.bias!;
        double g = mixer.GeneratedSize;
        var (modelFlops, _) = LanguageModelCost.Forward(config, n, transformer: false);
        var mix = LanguageModelCost.TokenMixing(config, n);
        var ff = LanguageModelCost.FeedForward(config, n);
        var rows = new (string Name, Action Call, double Flops, double Bytes)[]
        {
            ("whole model forward", () => model.forward(tokens), modelFlops, 4.0 * 3 * mixer.HypernetworkParameters),
            ("one block", () => block.forward(x), mix.Flops + ff.Flops, 4.0 * mixer.HypernetworkParameters),
            ("token mixing (hypernetwork included)", () => block.TokenMixing.forward(x), mix.Flops, 4.0 * mixer.HypernetworkParameters),
            ("hypernetwork on the pooled input", () => hyper.forward(pooled), 2 * mixer.HypernetworkParameters, 4.0 * mixer.HypernetworkParameters),
            ("its last layer: linear (1, Hh) x W^T", () => nn.functional.linear(z, w, bias), 2 * g * mixer.HyperHidden, 4.0 * g * (mixer.HyperHidden + 1)),
            ("same as addmv(b, W, z)", () => addmv(bias, w, z.squeeze(0), 1, 1), 2 * g * mixer.HyperHidden, 4.0 * g * (mixer.HyperHidden + 1)),
            ("feed-forward", () => ((Raccoon.Research.Blocks.FeedForward.FeedForward)block.named_children().First(c => c.name == "channel_mixing").module).forward(x), ff.Flops, 0),
        };
        Console.WriteLine($"HyperMixer LM inference parts at n = {n} (batch 1, eval, no_grad), {threads} threads, median of 30 after 5 warm-up calls");
        Console.WriteLine();
        Console.WriteLine("| part | ms (median) | IQR ms | GFLOP/s | weights read GB/s |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (name, call, flops, bytes) in rows)
        {
            void Once() { using var scope = NewDisposeScope(); using var ng = no_grad(); call(); }
            for (int k = 0; k < 5; k++) Once();
            var s = new List<double>();
            for (int k = 0; k < 30; k++) { long t0 = Stopwatch.GetTimestamp(); Once(); s.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds); }
            var st = SampleStatistics.Of(s);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {st.Median * 1e3:F3} | {st.Iqr * 1e3:F3} | {flops / st.Median / 1e9:F1} | {(bytes > 0 ? (bytes / st.Median / 1e9).ToString("F1", CultureInfo.InvariantCulture) : "")} |"));
        }
        TrainingStep(threads);
        return 0;
    }

    /// <summary>The parity case's training step (its <see cref="StepRecipe"/>: RustGPT's clip at the logits, Adam), split
    /// into everything up to the gradients (clear, forward, readout, backward) and the optimizer step, whose traffic is
    /// the parameters, gradients and both moments, read and written.</summary>
    static void TrainingStep(int threads)
    {
        var c = ParityCases.All.Single(k => k.Key == "language-models/hypermixer");
        manual_seed(0);
        using var model = c.Build();
        model.Module.train();
        using var optimizer = c.Recipe.MakeOptimizer(model.Module.parameters());
        long parameters = model.Parameters;
        var gradients = new List<double>();
        var steps = new List<double>();
        for (int k = 0; k < 25; k++)
        {
            using var scope = NewDisposeScope();
            long t0 = Stopwatch.GetTimestamp();
            c.Recipe.Backward(model);
            long t1 = Stopwatch.GetTimestamp();
            optimizer.step();
            long t2 = Stopwatch.GetTimestamp();
            if (k < 5) continue;
            gradients.Add(Stopwatch.GetElapsedTime(t0, t1).TotalSeconds);
            steps.Add(Stopwatch.GetElapsedTime(t1, t2).TotalSeconds);
        }
        double g = SampleStatistics.Of(gradients).Median, o = SampleStatistics.Of(steps).Median;
        double trainFlops = c.TrainingFlops!.Value;
        Console.WriteLine();
        Console.WriteLine($"HyperMixer training step as the parity case takes it ({c.Recipe.Optimizer}, {parameters:N0} parameters), {threads} threads, median of 20 after 5 warm-up steps");
        Console.WriteLine();
        Console.WriteLine("| part | ms (median) | share of the step | GFLOP/s | bytes moved GB/s |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| clear, forward, readout, backward | {g * 1e3:F2} | {g / (g + o):P0} | {trainFlops / g / 1e9:F1} | |"));
        // Adam reads parameter, gradient and both moments and writes parameter and both moments: 7 x 4 bytes a parameter at least
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| optimizer step | {o * 1e3:F2} | {o / (g + o):P0} | | {7.0 * 4 * parameters / o / 1e9:F1} (at least 7 x 4 bytes a parameter) |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| whole step | {(g + o) * 1e3:F2} | 100% | {trainFlops / (g + o) / 1e9:F1} | |"));
    }
}
