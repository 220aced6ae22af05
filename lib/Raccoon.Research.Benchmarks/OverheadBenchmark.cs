using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Models.LogClassifiers;
using Raccoon.Research.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Benchmarks;

/// <summary>
/// Per-operation overhead, TorchSharp against PyTorch (benchmarks/pytorch/tiny_ops.py), same threads, interleaved:
/// chains of tiny operations on 32x32 float32 tensors under no_grad (out-of-place add, in-place add_, a
/// Linear(32, 32), relu), and of SimpleRaccoon's encoder layers at its inference size (Conv1d(32, 32, 3) and an eval
/// BatchNorm1d on (32, 32, 50)), each side timing whole chains and reporting the median cost per operation. Then a stage
/// profile of SimpleRaccoon's upstream inference path and of its training step (C# side only): the time of each stage
/// and part. Run by hand, under the shared torch lock:
/// <code>flock /tmp/raccoon-torch.lock dotnet run -c Release --project lib/Raccoon.Research.Benchmarks -- overhead [--threads 2] [--rounds 6]</code>
/// </summary>
static class OverheadBenchmark
{
    static readonly string[] Cases = ["add", "add_", "linear", "relu", "conv1d", "batchnorm"];
    const int Ops = 200, Repeats = 25;

    public static int Run(string[] args)
    {
        int threads = Option(args, "--threads", Environment.ProcessorCount);
        int rounds = Option(args, "--rounds", 6);
        TorchRuntime.Initialize(threads);
        manual_seed(0);
        using var peer = new Peer(threads);
        Console.WriteLine($"TorchSharp {TorchRuntime.TorchSharpVersion} / libtorch {TorchRuntime.LibTorchVersion} against PyTorch {peer.Version}; {threads} threads, {rounds} interleaved rounds, chains of {Ops} ops, {Repeats} chains per side per round");
        Console.WriteLine();
        Console.WriteLine("| op (no_grad; 32x32, or (32, 32, 50) for the layers) | C# us/op (median) | C# IQR | PyTorch us/op (median) | PyTorch IQR | ratio C#/PyTorch | per-round ratios |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (string c in Cases)
        {
            var run = Chain(c, Ops);
            for (int i = 0; i < 3; i++) Scoped(run);
            var cs = new List<double>();
            var py = new List<double>();
            var ratios = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                List<double> a = [], b;
                void CSharp() { for (int i = 0; i < Repeats; i++) { long t0 = Stopwatch.GetTimestamp(); Scoped(run); a.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds); } }
                if (r % 2 == 0) { CSharp(); b = peer.Time(c, Ops, Repeats); }
                else { b = peer.Time(c, Ops, Repeats); CSharp(); }
                cs.AddRange(a); py.AddRange(b);
                ratios.Add(SampleStatistics.Of(a).Median / SampleStatistics.Of(b).Median);
            }
            var x = SampleStatistics.Of(cs);
            var y = SampleStatistics.Of(py);
            double us = 1e6 / Ops;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {c} | {x.Median * us:F2} | {x.Iqr * us:F2} | {y.Median * us:F2} | {y.Iqr * us:F2} | {x.Median / y.Median:F2} | {string.Join(" ", ratios.Select(q => q.ToString("F2", CultureInfo.InvariantCulture)))} |"));
        }
        Console.WriteLine();
        SimpleRaccoonProfile.Print(rounds);
        SimpleRaccoonProfile.PrintTrainingStep(rounds);
        return 0;
    }

    /// <summary>A chain under no_grad in one dispose scope, as a model's forward pass runs.</summary>
    static void Scoped(Action run)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        run();
    }

    static Action Chain(string c, int ops)
    {
        var a = randn(32, 32);
        var lin = nn.Linear(32, 32);
        var y0 = zeros(32, 32);
        return c switch
        {
            "add" => () => { var y = a; for (int i = 0; i < ops; i++) y = y + a; },
            "add_" => () => { for (int i = 0; i < ops; i++) y0.add_(a); },
            "linear" => () => { var y = a; for (int i = 0; i < ops; i++) y = lin.forward(y); },
            "relu" => () => { var y = a; for (int i = 0; i < ops; i++) y = nn.functional.relu(y); },
            "conv1d" => Layer(nn.Conv1d(32, 32, 3, padding: 1), ops),
            "batchnorm" => Layer(nn.BatchNorm1d(32), ops),
            _ => throw new ArgumentException($"unknown case '{c}'"),
        };
    }

    /// <summary>SimpleRaccoon's encoder layer shape at its inference size: (batch 32, 32 channels, 50 tokens), eval mode.</summary>
    static Action Layer(nn.Module<Tensor, Tensor> layer, int ops)
    {
        layer.eval();
        var x = randn(32, 32, 50);
        return () => { var y = x; for (int i = 0; i < ops; i++) y = layer.forward(y); };
    }

    static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>benchmarks/pytorch/tiny_ops.py in a child process (the caller holds the torch lock).</summary>
    sealed class Peer : IDisposable
    {
        readonly Process process;
        public string Version { get; }

        public Peer(int threads)
        {
            string script = Path.Combine(RepoRoot(), "benchmarks", "pytorch", "tiny_ops.py");
            string python = Environment.GetEnvironmentVariable("RACCOON_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";
            var start = new ProcessStartInfo(python, [script]) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}");
            var hello = Ask(new JsonObject { ["threads"] = threads });
            Version = hello["torch"]!.GetValue<string>();
            if (hello["threads"]!.GetValue<int>() != threads) throw new InvalidOperationException("PyTorch did not take the thread count");
        }

        public List<double> Time(string c, int ops, int repeats) =>
            Ask(new JsonObject { ["case"] = c, ["ops"] = ops, ["repeats"] = repeats, ["warmup"] = 1 })["seconds"]!.AsArray().Select(s => s!.GetValue<double>()).ToList();

        JsonNode Ask(JsonObject request)
        {
            process.StandardInput.WriteLine(request.ToJsonString());
            process.StandardInput.Flush();
            string line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("tiny_ops.py exited");
            return JsonNode.Parse(line)!;
        }

        public void Dispose()
        {
            process.StandardInput.Close();
            process.WaitForExit(5000);
            process.Dispose();
        }

        static string RepoRoot()
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "benchmarks", "pytorch", "tiny_ops.py"))) return d.FullName;
            throw new DirectoryNotFoundException("benchmarks/pytorch/tiny_ops.py not found above " + AppContext.BaseDirectory);
        }
    }
}

/// <summary>Where SimpleRaccoon's upstream inference (batch 32 of 50 tokens, eval, no_grad) spends its time, per stage,
/// timed through the model's own stage observer; and the input check's share.</summary>
static class SimpleRaccoonProfile
{
    public static void Print(int rounds)
    {
        manual_seed(0);
        using var model = new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream);
        model.eval();
        using var tokens = randint(0, model.VocabularySize, [32, 50], dtype: ScalarType.Int64);
        var stageSeconds = new Dictionary<string, List<double>>();
        var whole = new List<double>();
        const int calls = 200;
        for (int r = 0; r < rounds * 3; r++)
            for (int i = 0; i < calls; i++)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                long t0 = Stopwatch.GetTimestamp(), last = t0;
                model.Logits(tokens, stage =>
                {
                    long now = Stopwatch.GetTimestamp();
                    if (r > 0) Add(stageSeconds, stage, Stopwatch.GetElapsedTime(last, now).TotalSeconds);
                    last = now;
                });
                if (r > 0) whole.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
        var plain = new List<double>();
        for (int i = 0; i < calls * rounds; i++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            long t0 = Stopwatch.GetTimestamp();
            model.Logits(tokens);
            plain.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        Console.WriteLine("SimpleRaccoon upstream inference (batch 32 x 50 tokens, eval, no_grad), C# side, median per call:");
        Console.WriteLine();
        Console.WriteLine("| stage | us (median) |");
        Console.WriteLine("|---|---|");
        foreach (var (stage, s) in stageSeconds)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| up to end of {stage} | {SampleStatistics.Of(s).Median * 1e6:F1} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| whole call, with observer | {SampleStatistics.Of(whole).Median * 1e6:F1} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| whole call, no observer | {SampleStatistics.Of(plain).Median * 1e6:F1} (IQR {SampleStatistics.Of(plain).Iqr * 1e6:F1}) |"));
    }

    /// <summary>Where one training step of the Alternative's parity case goes (batch 32 x 50 tokens, train mode), part by part
    /// as its recipe takes it (gradients cleared to None, forward, the loss and accuracy read, backward, the clip, the
    /// optimizer's step), each part's median, and freeing the step's tensors.</summary>
    public static void PrintTrainingStep(int rounds)
    {
        // the parity case itself: its model, inputs and upstream's recipe (optimizer, clip), so this profile times its step
        var c = ParityCases.All.Single(k => k.Key == "log-classifiers/simple-upstream");
        if (c.Recipe.Training != TrainingReadout.LossAndAccuracy || c.Recipe.ClipNorm is not double clip || c.Recipe.Guards || c.Recipe.LogitClip is not null)
            throw new InvalidOperationException($"this profile splits a step of loss and accuracy read, clipped, without guards; the case's recipe is {c.Recipe}");
        manual_seed(0);
        using var model = c.Build();
        model.Module.train();
        var scored = model.Scored!;
        using var optimizer = c.Recipe.MakeOptimizer(model.Module.parameters());
        string[] names = ["clear gradients", "forward (objective)", "read loss and accuracy", "backward", "clip", "optimizer step", "free the step's tensors", "whole step"];
        var parts = names.ToDictionary(n => n, _ => new List<double>());
        int steps = 200 * rounds;
        for (int i = 0; i < steps + 100; i++)
        {
            var scope = NewDisposeScope();
            var t = new long[8];
            t[0] = Stopwatch.GetTimestamp();
            Raccoon.Research.Training.Optimizers.ClearGradients(model.Module.parameters());
            t[1] = Stopwatch.GetTimestamp();
            var (loss, logits, labels) = scored();
            t[2] = Stopwatch.GetTimestamp();
            loss.item<float>();
            using (no_grad()) logits.argmax(1).eq(labels).to(ScalarType.Float32).mean().item<float>();
            t[3] = Stopwatch.GetTimestamp();
            loss.backward();
            t[4] = Stopwatch.GetTimestamp();
            nn.utils.clip_grad_norm_(model.Module.parameters(), clip);
            t[5] = Stopwatch.GetTimestamp();
            optimizer.step();
            t[6] = Stopwatch.GetTimestamp();
            scope.Dispose();
            t[7] = Stopwatch.GetTimestamp();
            if (i < 100) continue; // warm-up
            for (int k = 0; k < 7; k++) parts[names[k]].Add(Stopwatch.GetElapsedTime(t[k], t[k + 1]).TotalSeconds);
            parts["whole step"].Add(Stopwatch.GetElapsedTime(t[0], t[7]).TotalSeconds);
        }
        Console.WriteLine();
        Console.WriteLine($"SimpleRaccoon training step ({c.Size}, train mode, the parity case's recipe: {c.Recipe.Optimizer}, clip {clip.ToString(CultureInfo.InvariantCulture)}), C# side, median of {steps} steps:");
        Console.WriteLine();
        Console.WriteLine("| part | us (median) |");
        Console.WriteLine("|---|---|");
        foreach (var (name, list) in parts)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {SampleStatistics.Of(list).Median * 1e6:F1} |"));
    }

    static void Add(Dictionary<string, List<double>> d, string k, double v)
    {
        if (!d.TryGetValue(k, out var l)) d[k] = l = [];
        l.Add(v);
    }
}
