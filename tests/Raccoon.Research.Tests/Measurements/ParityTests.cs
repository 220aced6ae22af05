using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Tests.Support;
using TorchSharp;

namespace Raccoon.Research.Tests.Measurements;

/// <summary>The parity benchmark compares like with like: every case's PyTorch definition has the C# model's
/// parameter count and parameter shapes, both sides run both steps, and a run's files and report section are
/// computed from what it measured.</summary>
public class ParityTests(TorchFixture _) : IClassFixture<TorchFixture>
{
    /// <summary>PyTorch is a test dependency (.ci/run installs it): on CI its absence fails, elsewhere it skips.</summary>
    static PyTorchPeer StartPeer()
    {
        try
        {
            return PyTorchPeer.Start(2);
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("no Python here imports torch", StringComparison.Ordinal)
                                                   && Environment.GetEnvironmentVariable("CI") is null)
        {
            Assert.Skip(e.Message);
            throw;
        }
    }

    public static TheoryData<string> Keys => new(ParityCases.All.Select(c => c.Key));

    [Fact]
    public void Every_document_has_cases_and_every_key_is_unique()
    {
        Assert.Equal(["000", "001", "002", "003", "004"], ParityCases.All.Select(c => c.Document).Distinct().Order());
        Assert.Equal(ParityCases.All.Count, ParityCases.All.Select(c => c.Key).Distinct().Count());
        Assert.All(ParityCases.All, c => Assert.Contains(c.Module, new[] { "log-classifiers", "latent-ode", "path-flow", "glyph-cnn", "language-models" }));
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void The_PyTorch_definition_has_the_same_parameters_and_both_sides_run_both_steps(string key)
    {
        var c = ParityCases.All.Single(x => x.Key == key);
        using var peer = StartPeer();
        Assert.Contains(key, peer.Cases);
        torch.manual_seed(1);
        using var model = c.Build();
        var (parameters, shapes) = peer.Build(c, 1, 2);
        Assert.Equal(model.Parameters, parameters);
        Assert.Equal(model.Shapes, shapes);

        model.Module.eval();
        using (torch.NewDisposeScope())
        using (torch.no_grad())
            Assert.True(model.Inference().numel() > 0);
        model.Module.train();
        using (torch.NewDisposeScope())
        {
            var loss = model.Loss();
            Assert.Equal(0, loss.dim());
            Assert.True(double.IsFinite(loss.item<float>()), $"{key}: the C# loss is {loss.item<float>()}");
            loss.backward();
        }
        Assert.All(peer.Time("inference", 1, 1), s => Assert.True(s > 0));
        Assert.All(peer.Time("train", 1, 1), s => Assert.True(s > 0));

        // The C# side's steps as the recipe takes them: the inference readout and one training step.
        model.Module.eval();
        using (torch.NewDisposeScope()) Assert.True(c.Recipe.InferenceStep(model).numel() > 0);
        model.Module.train();
        using var optimizer = c.Recipe.MakeOptimizer(model.Module.parameters());
        using (torch.NewDisposeScope())
        {
            var (loss, before) = c.Recipe.TrainingStep(model, optimizer);
            Assert.True(double.IsFinite(loss), $"{key}: the recipe's step read the loss {loss}");
            Assert.Equal(c.Recipe.ClipNorm is null, double.IsNaN(before));
        }
    }

    [Fact]
    public void Every_case_declares_upstreams_step_recipe()
    {
        Assert.All(ParityCases.All, c =>
        {
            Assert.NotNull(c.Recipe);
            c.Recipe.Validate();
            if (c.Recipe.NeedsLogits)
            {
                torch.manual_seed(1);
                using var m = c.Check!.Build();
                Assert.NotNull(m.Scored);
            }
        });
        var recipe = ParityCases.All.ToDictionary(c => c.Key, c => c.Recipe);
        // The alternative's InferenceEngine.predict: encode, classify, softmax, argmax; Adam 1e-3 with a clip at 1.
        Assert.Equal(new StepRecipe(ParityOptimizer.Adam, 1e-3, ClipNorm: 1.0, Training: TrainingReadout.LossAndAccuracy, Inference: InferenceReadout.SoftmaxArgmax,
            Source: recipe["log-classifiers/simple-upstream"].Source), recipe["log-classifiers/simple-upstream"]);
        Assert.Equal((ParityOptimizer.AdamW, 1e-3, 1e-5, (double?)1.0, true), Summary(recipe["log-classifiers/original-upstream"]));
        Assert.Equal(InferenceReadout.Argmax, recipe["log-classifiers/original-upstream"].Inference);
        Assert.All(ParityCases.All.Where(c => c.Document == "001"), c => Assert.Equal((ParityOptimizer.AdamW, 1e-3, 1e-5, (double?)1.0, true), Summary(c.Recipe)));
        Assert.All(ParityCases.All.Where(c => c.Document == "002"), c => Assert.Equal((ParityOptimizer.Adam, 1e-3, 0, (double?)null, false), Summary(c.Recipe)));
        Assert.Equal((ParityOptimizer.AdamW, 5e-4, 1e-4, (double?)1.0, false), Summary(recipe["glyph-cnn/full"]));
        Assert.Equal((ParityOptimizer.AdamW, 6e-4, 1e-4, (double?)1.0, false), Summary(recipe["glyph-cnn/light"]));
        Assert.Equal((ParityOptimizer.AdamW, 8e-4, 8e-5, (double?)1.0, false), Summary(recipe["glyph-cnn/tiny"]));
        Assert.All(ParityCases.All.Where(c => c.Document == "004"), c =>
        {
            Assert.Equal((ParityOptimizer.Adam, 5e-4, 0, (double?)null, false), Summary(c.Recipe));
            Assert.Equal(0.01, c.Recipe.LogitClip);
            Assert.Equal(InferenceReadout.LastPositionSoftmaxArgmax, c.Recipe.Inference);
        });

        static (ParityOptimizer, double, double, double?, bool) Summary(StepRecipe r) => (r.Optimizer, r.LearningRate, r.WeightDecay, r.ClipNorm, r.Guards);
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void The_scored_loss_is_the_cases_loss(string key)
    {
        var c = ParityCases.All.Single(x => x.Key == key);
        if (!c.Recipe.NeedsLogits) return;
        // Two fresh builds from one seed: a model that draws its noise from a generator of its own advances it per call.
        torch.manual_seed(1);
        using var a = c.Check!.Build();
        torch.manual_seed(1);
        using var m = c.Check!.Build();
        a.Module.train();
        m.Module.train();
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        float loss = a.Loss().item<float>();
        torch.manual_seed(5);
        var (scored, logits, targets) = m.Scored!();
        Assert.Equal(loss, scored.item<float>());
        Assert.Equal(2, logits.dim());
        Assert.Equal(logits.shape[0], targets.shape[0]);
    }

    [Fact]
    public void An_echoed_recipe_must_be_the_one_sent()
    {
        var c = ParityCases.All.Single(x => x.Key == "log-classifiers/simple-upstream");
        var sent = PyTorchPeer.Wire(c.Recipe);
        Assert.Equal("""{"optimizer":"adam","lr":0.001,"weight_decay":0,"clip_norm":1,"guards":false,"training":"loss_and_accuracy","logit_clip":null,"inference":"softmax_argmax"}""",
            sent.ToJsonString());
        Assert.True(PyTorchPeer.SameRecipe(sent, System.Text.Json.Nodes.JsonNode.Parse(sent.ToJsonString().Replace("\"weight_decay\":0", "\"weight_decay\":0.0"))!));
        Assert.False(PyTorchPeer.SameRecipe(sent, PyTorchPeer.Wire(c.Recipe with { LearningRate = 2e-3 })));
        Assert.False(PyTorchPeer.SameRecipe(sent, PyTorchPeer.Wire(c.Recipe with { ClipNorm = null })));
        Assert.False(PyTorchPeer.SameRecipe(sent, PyTorchPeer.Wire(c.Recipe with { Inference = InferenceReadout.Argmax })));

        using var peer = StartPeer();
        peer.Build(c, 1, 2); // serve.py echoes the recipe it applies, and Build compares it with the case's
    }

    [Fact]
    public void Clipping_really_happens_on_both_sides()
    {
        // C#: a loss a million times too large; after the recipe's backward the total gradient norm is the clip norm,
        // and each gradient is the unclipped one scaled by clip / norm.
        var recipe = new StepRecipe(ParityOptimizer.Adam, 1e-3, ClipNorm: 1.0, Source: "test");
        torch.manual_seed(1);
        var linear = torch.nn.Linear(4, 3);
        var x = torch.randn(5, 4);
        using var model = new ParityModel(linear, () => linear.forward(x), () => linear.forward(x).square().sum() * 1e6);
        using var optimizer = recipe.MakeOptimizer(linear.parameters());
        model.Loss().backward();
        var raw = linear.parameters().Select(p => p.grad!.clone()).ToList();
        double rawNorm = Math.Sqrt(raw.Sum(g => g.to(torch.ScalarType.Float64).square().sum().item<double>()));
        var (_, before) = recipe.Backward(model);
        Assert.Equal(rawNorm, before, rawNorm * 1e-5);
        var clipped = linear.parameters().Select(p => p.grad!).ToList();
        Assert.Equal(1.0, Math.Sqrt(clipped.Sum(g => g.to(torch.ScalarType.Float64).square().sum().item<double>())), 1e-5);
        for (int i = 0; i < raw.Count; i++)
            Assert.True(torch.allclose(clipped[i], raw[i] * (1.0 / before), rtol: 1e-5, atol: 1e-9));
        // Adam's first step moves each parameter by at most about lr, whatever the gradient's size.
        var weights = linear.parameters().Select(p => p.detach().clone()).ToList();
        optimizer.step();
        var moved = linear.parameters().Zip(weights, (p, w) => (p.detach() - w).abs().max().item<float>()).Max();
        Assert.InRange(moved, 0, 1e-3 * 1.0001);

        // PyTorch: one step of a clipped case reports the total norm after the clip as min(norm before, clip).
        using var peer = StartPeer();
        var c = ParityCases.All.Single(x => x.Key == "log-classifiers/simple-upstream");
        peer.Build(c, 1, 2);
        var (loss, pyBefore, pyAfter) = peer.Step();
        Assert.True(double.IsFinite(loss));
        Assert.Equal(Math.Min(pyBefore, c.Recipe.ClipNorm!.Value), pyAfter, 1e-4 * Math.Max(1, pyAfter));
    }

    [Fact]
    public void RustGPTs_logit_clip_scales_by_the_gradients_rms()
    {
        // Zero logits over 4 classes, 2 rows: the gradient (softmax - one-hot) / 2 has entries -0.375 and 0.125 (x3) per
        // row, norm sqrt(0.375), RMS sqrt(0.375 / 8); the scale is 0.01 / RMS.
        using var scope = torch.NewDisposeScope();
        var scale = StepRecipe.LogitScale(torch.zeros(2, 4), torch.tensor(new long[] { 0, 1 }), 0.01).item<float>();
        Assert.Equal(0.01 / Math.Sqrt(0.375 / 8), scale, 1e-6);
        Assert.Equal(1.0, StepRecipe.LogitScale(torch.zeros(2, 4), torch.tensor(new long[] { 0, 1 }), 10).item<float>());
    }

    [Fact]
    public void An_unknown_case_is_named_by_both_sides()
    {
        var e = Assert.Throws<ArgumentException>(() => ParityBenchmark.Select(ParityCases.All, ["glyph-cnn/huge"]));
        Assert.Contains("glyph-cnn/huge", e.Message);
        Assert.Contains(ParityCases.All[0].Key, e.Message);
        using var peer = StartPeer();
        var fake = ParityCases.All[0] with { Key = "glyph-cnn/huge" };
        var error = Assert.Throws<InvalidOperationException>(() => peer.Build(fake, 1, 2));
        Assert.Contains("no PyTorch definition for case 'glyph-cnn/huge'", error.Message);
        Assert.Throws<InvalidOperationException>(() => peer.Time("inference", 1, 1)); // nothing built
    }

    [Fact]
    public void A_small_run_measures_both_sides_and_writes_its_tables_whole()
    {
        using (StartPeer()) { } // skips without PyTorch
        var smallest = ParityCases.All.MinBy(c => { torch.manual_seed(1); using var m = c.Build(); return m.Parameters; })!;
        var run = ParityBenchmark.Run(ParityCases.All, new ParityOptions(2, Rounds: 2, Repeats: 2, LeakSteps: 8, Only: [smallest.Key]));
        Assert.Empty(run.Failures);
        Assert.Equal(["inference", "training step"], run.Rows.Select(r => r.Step));
        Assert.All(run.Rows, r =>
        {
            Assert.Equal(r.CSharpParameters, r.PyTorchParameters);
            Assert.InRange(r.Samples, 2, 4); // 2 rounds of 1 or 2 samples: a slow step takes fewer per round
            Assert.Equal(0, r.Samples % 2);
            Assert.True(r.CSharpMs > 0 && r.PyTorchMs > 0);
            Assert.Equal(r.CSharpMs / r.PyTorchMs, r.Ratio, 1e-9);
            Assert.InRange(r.Ratio, r.RatioLow, r.RatioHigh);
        });
        Assert.Equal(["matmul", "convolution"], run.Peaks.Select(p => p.Kind));
        Assert.All(run.Peaks, p => Assert.True(p.CSharpGflops > 0 && p.PyTorchGflops > 0 && p.CSharpBestGflops >= p.CSharpGflops));
        var function = Assert.Single(run.Functions!);
        Assert.True(function.Agrees(FunctionTolerance.Fp32));
        Assert.All(run.Rows, r => Assert.StartsWith("agrees, ", run.FunctionCell(r.Key)));
        var leak = Assert.Single(run.Leaks);
        Assert.Equal(8, leak.Steps);
        Assert.True(run.Machine.Optimized);

        string dir = Repo.TempDir("parity");
        ParityFiles.Write(dir, run);
        var back = ParityFiles.Read(dir)!;
        Assert.Equal(run.Rows, back.Rows);
        Assert.Equal(run.Findings(), back.Findings());
        Assert.Contains(smallest.Model, File.ReadAllText(Path.Combine(dir, "parity", "parity.md")));
        string html = Raccoon.Research.Reporting.HtmlReport.Render([], [], [], dir);
        Assert.Contains("Speed and function against PyTorch", html);
        Assert.Contains(run.FunctionTable().Title.Split(':')[0], html);
        Assert.Contains(run.Findings()[0], html.Replace("&#39;", "'"));
    }

    [Fact]
    public void Findings_are_computed_from_the_rows()
    {
        ParityRow Row(string model, double cs, double py, double lo, double hi) =>
            new("k/" + model, "000", model, "batch 1", "inference", 10, 10, true, cs, 0, py, 0, cs / py, lo, hi, 2, 10, null, null, null, null);
        var machine = MachineContext.Current();
        var run = new ParityRun(DateTime.UtcNow, machine, "1.13", "generic", "python3", new ParityOptions(2),
            [Row("A", 1.0, 2.0, 0.4, 0.6), Row("B", 3.0, 2.0, 1.3, 1.7), Row("C", 2.0, 2.0, 0.9, 1.1)], [], [], [], 1);
        var f = run.Findings();
        Assert.Equal("Of 3 model steps, C# is faster than PyTorch on 1, slower on 1, and within the interval of equal on 1 (ratio = C# time / PyTorch time, 2 threads each).", f[0]);
        Assert.StartsWith("Widest gap against C#: B inference, 1.50x", f[1]);
        Assert.Equal("The goal of at most 1.0x PyTorch's time is met on 2 of 3 steps.", f[2]);
    }

    [Fact]
    public void A_damaged_parity_file_is_named()
    {
        string dir = Repo.TempDir("parity");
        Directory.CreateDirectory(Path.Combine(dir, "parity"));
        File.WriteAllText(ParityFiles.JsonPath(dir), "{\"rows\": [");
        var e = Assert.Throws<InvalidDataException>(() => ParityFiles.Read(dir));
        Assert.Contains(ParityFiles.JsonPath(dir), e.Message);
        Assert.Null(ParityFiles.Read(Repo.TempDir("parity")));
    }
}
