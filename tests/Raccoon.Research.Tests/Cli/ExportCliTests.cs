using System.Diagnostics;
using System.Globalization;
using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Encoders;
using Raccoon.Research.Blocks.FeedForward;
using Raccoon.Research.Data.Glyphs;
using Raccoon.Research.Data.Logs;
using Raccoon.Research.Data.Text;
using Raccoon.Research.IO;
using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Models.GlyphCnn;
using Raccoon.Research.Models.LanguageModels;
using Raccoon.Research.Models.LatentOde;
using Raccoon.Research.Models.LogClassifiers;
using Raccoon.Research.Models.PathFlow;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Training;
using TorchSharp;
using static TorchSharp.torch;
using LMTrainingOptions = Raccoon.Research.Models.LanguageModels.TrainingOptions;
using TrainingOptions = Raccoon.Research.Training.TrainingOptions;

namespace Raccoon.Research.Tests.Cli;

/// <summary>export, run as users run it: a trained model of each document opens in Debian's PyTorch under upstream's
/// names, in this repository's PyTorch definition of it (benchmarks/pytorch/), and gives the same outputs there.</summary>
public class ExportCliTests : IClassFixture<TorchFixture>
{
    [Fact]
    public void An_exported_model_loads_into_PyTorchs_definition_and_gives_the_same_logits()
    {
        var task = new TemplateLogTask();
        torch.random.manual_seed(1);
        var config = SimpleRaccoonConfig.Upstream;
        using var model = new SimpleRaccoonModel(config);
        Trainer.Fit(model, task.Dataset(64, 1), null, new TrainingOptions { Epochs = 1, LearningRate = 0.01 });
        string dir = Repo.TempDir("export");
        string checkpoint = Path.Combine(dir, "simple.ckpt"), exported = Path.Combine(dir, "simple.safetensors");
        Checkpoint.Save(checkpoint, model, CheckpointMeta.For(SimpleRaccoonModel.Kind, config, step: 2));

        var run = Repo.RunCli("export", "--model", checkpoint, "--out", exported);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains($"of {SimpleRaccoonModel.Kind} (step 2)", run.Stdout);
        var saved = ModelWeights.LoadTensors(exported);
        Assert.Contains("flow.0.scale", saved.Keys);
        foreach (var t in saved.Values) t.Dispose();

        model.eval();
        var tokens = randint(1, config.VocabularySize, [2, 12], dtype: ScalarType.Int64); // (B, T)
        float[] logits;
        using (no_grad()) logits = model.Logits(tokens).data<float>().ToArray();
        string python = PythonWithTorch();
        // The README's snippet, on the same tokens.
        string script = string.Join("\n",
            "import sys, torch",
            $"sys.path.insert(0, {Quote(PyTorchPeer.ScriptFolder)})",
            "import safetensors_io, log_classifiers",
            "model = log_classifiers.SimpleRaccoonModel()",
            $"model.load_state_dict(safetensors_io.load({Quote(exported)}))",
            "model.eval()",
            $"tokens = torch.tensor([{string.Join(",", tokens.data<long>())}]).view(2, 12)",
            "with torch.no_grad():",
            "    print(' '.join(repr(float(x)) for x in model.logits(tokens).flatten()))");
        var fromPython = RunPython(python, script);
        Assert.Equal(logits.Length, fromPython.Length);
        double scale = logits.Max(x => Math.Abs(x));
        Assert.All(logits.Zip(fromPython), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-4 * scale, $"{pair.First} vs {pair.Second}"));
    }


    // One test per document (001 to 004): a model trained a few steps by the library's own trainer, exported from the
    // trainer's resume file (002's path flow trainer writes none yet: from a model checkpoint), opened in Python with
    // exported.load (its PyTorch definition, load_state_dict strict) and run on the same input, and the same noise where
    // it samples.

    [Fact]
    public void Document_001_a_trained_latent_ODE_model_exported_from_its_resume_file_gives_the_same_latents_in_PyTorch()
    {
        // Not the upstream sizes, and post-norm, GeGLU, ALiBi, fused QKV: the export carries the config, not a preset.
        var config = new LatentOdeConfig(Latent: 16, Hidden: 32, Embed: 16, Heads: 2, EncoderBlocks: 2, PriorDepth: 2, Slices: 16, FfnHidden: 48,
            Positions: PositionEncoding.Alibi, Kernel: AttentionKernel.Fused, Layout: QkvLayout.Fused, Norm: NormOrder.Post, FeedForward: FeedForwardKind.GeGlu);
        manual_seed(1);
        using var model = new DeterministicLatentOde(config);
        string resume = TrainFromResume("t1-latent-ode", model, () => model.Loss(randint(0, config.Vocab, [4, 12], dtype: ScalarType.Int64)).Total);
        var tokens = randint(0, config.Vocab, [2, 10], dtype: ScalarType.Int64); // (B, L)
        var exported = Export(resume, DeterministicLatentOde.Kind, "latent-ode");
        AssertSame(Eval(model, () => model.forward(tokens)), Python(exported, $"model({Tokens(tokens)})"));
    }

    [Fact]
    public void Document_001_a_trained_block_stack_exported_from_its_resume_file_gives_the_same_logits_in_PyTorch()
    {
        manual_seed(2);
        using var model = new BlockStackLanguageModel(30, 2, new TransformerBlockConfig(32, 4, 64, FeedForward: FeedForwardKind.SwiGlu), PositionEncoding.Rope);
        string resume = TrainFromResume("t1-block-stack", model, () => model.Loss(randint(0, 30, [4, 12], dtype: ScalarType.Int64), from: 2));
        var tokens = randint(0, 30, [2, 10], dtype: ScalarType.Int64); // (B, T)
        var exported = Export(resume, BlockStackLanguageModel.Kind, "block-stack");
        AssertSame(Eval(model, () => model.forward(tokens)), Python(exported, $"model({Tokens(tokens)})"));
    }

    [Fact]
    public void Document_002_a_trained_path_flow_model_gives_the_same_sampled_paths_and_ELBO_in_PyTorch_from_the_same_noise()
    {
        var config = new PathFlowConfig(DataDim: 4, LatentDim: 4, Hidden: 32, Couplings: 4, TimeDim: 16, OuGroupSize: 2, NormalisedPosteriorTime: true);
        manual_seed(3);
        using var model = new PathFlowModel(config);
        var xs = randn(3, 9, config.DataDim);                                               // (B, T, data)
        var ts = linspace(config.TMin, config.TMax, 9).view(1, 9, 1).repeat(3, 1, 1);       // (B, T, 1)
        using (var adam = optim.Adam(model.parameters(), 1e-3))
            for (int step = 0; step < 3; step++)
            {
                adam.zero_grad();
                model.Loss(xs, ts).backward();
                adam.step();
            }
        // 002's path flow trainer writes no checkpoint yet: the model is saved as one, as a researcher saves a trained model.
        string checkpoint = Path.Combine(Repo.TempDir("v2-export"), "path-flow.ckpt");
        Checkpoint.Save(checkpoint, model, CheckpointMeta.For(PathFlowModel.Kind, config, step: 3));
        var exported = Export(checkpoint, PathFlowModel.Kind, "path-flow");

        var grid = linspace(config.TMin, config.TMax, 7);
        var z0 = model.SampleZ0(2);                                                          // (n, latent): passed in, as the noise
        float[] paths = Eval(model, () =>
        {
            using var generator = new Generator(2);
            return model.SamplePaths(grid, z0, generator).X;                                 // (n, T, data)
        });
        float[] elbo = Eval(model, () => { manual_seed(11); return model.Loss(xs, ts); });
        string pyGrid = $"torch.linspace({F(config.TMin)}, {F(config.TMax)}, 7)";
        AssertSame(paths, Python(exported, $"model.sample_paths({pyGrid}, {Floats(z0)}, torch.Generator().manual_seed(2))[1]"));
        AssertSame(elbo, Python(exported, $"(torch.manual_seed(11), model.loss({Floats(xs)}, {Floats(ts)}))[1]"));
    }

    [Fact]
    public void Document_003_a_trained_glyph_CNN_exported_from_its_resume_file_gives_the_same_logits_in_PyTorch()
    {
        var data = GlyphDataset.Build(new GlyphDatasetOptions(Classes: 4, TrainPerFont: 1, HeldOutPerFont: 1, HeldOutFontRenderings: 1, Seed: 2, KMeansIterations: 3));
        manual_seed(4);
        using var model = new GlyphCnnClassifier(GlyphCnnConfig.Tiny(4));
        string resume = Path.Combine(Repo.TempDir("g3-export"), "tiny.ckpt");
        var options = GlyphTrainingOptions.ForVariant(model.Config, epochs: 1, batchSize: 8, seed: 1) with { Resume = new ResumeFile(resume, EverySteps: 2) };
        GlyphCnnTrainer.Train(model, data.Train, data.HeldOutRenderings, options);
        var grids = randint(0, GlyphCnnConfig.Vocabulary, [3, GlyphCnnConfig.GridSize, GlyphCnnConfig.GridSize], dtype: ScalarType.Int64); // (B, 16, 16)
        var exported = Export(resume, GlyphCnnClassifier.Kind, "glyph-cnn");
        AssertSame(Eval(model, () => model.forward(grids)), Python(exported, $"model({Tokens(grids)})"));
    }

    [Theory]
    [InlineData("transformer")]
    [InlineData("hypermixer")]
    public void Document_004_a_trained_language_model_exported_from_its_resume_file_gives_the_same_logits_in_PyTorch(string architecture)
    {
        var corpus = new TextCorpus(TemplateCorpus.Generate(120, seed: 3));
        var config = new LanguageModelConfig(corpus.Vocabulary.Size, MaxLength: 32, ModelDim: 32, HiddenDim: 64, Layers: 2);
        manual_seed(5);
        using LanguageModel model = architecture == "transformer" ? new TransformerLanguageModel(config) : new HyperMixerLanguageModel(config);
        string resume = Path.Combine(Repo.TempDir($"h4-export-{architecture}"), "run.ckpt");
        LanguageModelTrainer.Train(model, corpus, new LMTrainingOptions(Steps: 6, BatchSize: 8, LearningRate: 3e-3, LogEvery: 3, EvaluateOn: 4,
            Resume: new ResumeFile(resume, EverySteps: 3)));
        var tokens = randint(0, config.VocabularySize, [2, 20], dtype: ScalarType.Int64); // (B, T)
        string kind = architecture == "transformer" ? TransformerLanguageModel.Kind : HyperMixerLanguageModel.Kind;
        var exported = Export(resume, kind, kind);
        AssertSame(Eval(model, () => model.forward(tokens)), Python(exported, $"model({Tokens(tokens)})"));
    }

    [Fact]
    public void Bad_input_an_unknown_kind_a_file_of_another_model_or_a_resume_file_that_names_no_model_is_refused_by_name()
    {
        manual_seed(6);
        using var model = new GlyphCnnClassifier(GlyphCnnConfig.Tiny(3));
        string dir = Repo.TempDir("export-bad");
        string checkpoint = Path.Combine(dir, "tiny.ckpt"), target = Path.Combine(dir, "tiny.safetensors");
        Checkpoint.Save(checkpoint, model, CheckpointMeta.For(GlyphCnnClassifier.Kind, model.Config));

        var unknown = Repo.RunCli("export", "--model", checkpoint, "--out", target, "--model-kind", "glyph-cnm");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown model kind 'glyph-cnm'", unknown.Stderr);
        Assert.Contains("glyph-cnn", unknown.Stderr); // the list of known kinds

        var other = Repo.RunCli("export", "--model", checkpoint, "--out", target, "--model-kind", DeterministicLatentOde.Kind);
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("holds a 'glyph-cnn' model, not 'latent-ode'", other.Stderr);
        Assert.False(File.Exists(target));

        // A resume file whose envelope names no model (as every one written before resume files recorded it).
        string phaseFile = Path.Combine(dir, "phase.ckpt");
        using (var plain = nn.Linear(2, 2))
        using (var sgd = optim.SGD(plain.parameters(), 0.1))
            PhaseCheckpoint.Save(new ResumeFile(phaseFile), plain, sgd, "phase", new { step = 1 }, 1);
        var nameless = Repo.RunCli("export", "--model", phaseFile, "--out", target);
        Assert.Equal(2, nameless.ExitCode);
        Assert.Contains("does not record which model it trains", nameless.Stderr);

        var notSafetensors = Repo.RunCli("export", "--model", checkpoint, "--out", Path.Combine(dir, "tiny.pt"));
        Assert.Equal(2, notSafetensors.ExitCode);
        Assert.Contains("--out must name a .safetensors file", notSafetensors.Stderr);
    }

    /// <summary>Trains <paramref name="model"/> 3 steps with LatentOdeTraining (001's trainer), checkpointing every 2
    /// steps and at the end, and returns its resume file.</summary>
    static string TrainFromResume(string name, nn.Module model, Func<Tensor> loss)
    {
        string resume = Path.Combine(Repo.TempDir(name), "phase.ckpt");
        LatentOdeTraining.Train(model, _ => loss(), 3, resume: new ResumeFile(resume, EverySteps: 2), fastForward: _ => { });
        return resume;
    }

    /// <summary>Runs <c>raccoon export</c> on <paramref name="file"/> and checks what it wrote: the weights and, beside
    /// them, the kind and config; returns the weights' path.</summary>
    static string Export(string file, string kind, string name)
    {
        string target = Path.Combine(Path.GetDirectoryName(file)!, $"{name}.safetensors");
        var run = Repo.RunCli("export", "--model", file, "--out", target, "--model-kind", kind);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains($"of {kind} (step", run.Stdout);
        using var described = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(target, ".json")));
        Assert.Equal(kind, described.RootElement.GetProperty("kind").GetString());
        return target;
    }

    /// <summary><paramref name="run"/> in eval mode without gradients, as floats.</summary>
    static float[] Eval(nn.Module model, Func<Tensor> run)
    {
        model.eval();
        using var _ = no_grad();
        using var output = run();
        return output.to(ScalarType.Float32).data<float>().ToArray();
    }

    /// <summary>The flattened values of <paramref name="expression"/> on the model exported.load opens in Python.</summary>
    static double[] Python(string exported, string expression)
    {
        string python = PythonWithTorch();
        string script = string.Join("\n",
            "import sys, torch",
            $"sys.path.insert(0, {Quote(PyTorchPeer.ScriptFolder)})",
            "import exported",
            $"model = exported.load({Quote(exported)})",
            "with torch.no_grad():",
            $"    out = {expression}",
            "print(' '.join(repr(float(x)) for x in out.flatten()))");
        return RunPython(python, script);
    }

    /// <summary>A Python that imports torch; without one the test is skipped, saying why, except under CI, where it fails.</summary>
    static string PythonWithTorch()
    {
        try
        {
            return PyTorchPeer.FindPython();
        }
        catch (InvalidOperationException e) when (Environment.GetEnvironmentVariable("CI") is null)
        {
            Assert.Skip(e.Message);
            throw;
        }
    }

    static double[] RunPython(string python, string script)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr.Result);
        return stdout.Trim().Split(' ').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Equal within the function check's fp32 output tolerance, relative to the largest magnitude.</summary>
    static void AssertSame(float[] csharp, double[] python)
    {
        Assert.Equal(csharp.Length, python.Length);
        double scale = python.Max(Math.Abs);
        Assert.True(scale > 0, "the output is all zeros, which shows nothing");
        double worst = csharp.Zip(python, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= FunctionTolerance.Fp32.Output * scale, $"largest difference {worst} over a scale of {scale}");
    }

    static string Tokens(Tensor ids) =>
        $"torch.tensor([{string.Join(",", ids.data<long>())}]).view({string.Join(", ", ids.shape)})";

    static string Floats(Tensor t) =>
        $"torch.tensor([{string.Join(",", t.to(ScalarType.Float32).data<float>().ToArray().Select(F))}]).view({string.Join(", ", t.shape)})";

    static string F(double x) => x.ToString("R", CultureInfo.InvariantCulture);
    static string F(float x) => x.ToString("R", CultureInfo.InvariantCulture);

    static string Quote(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}
