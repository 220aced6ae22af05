using System.Diagnostics;
using System.Globalization;
using Raccoon.Research.Data.Logs;
using Raccoon.Research.IO;
using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Models.LogClassifiers;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Cli;

/// <summary>export, run as users run it: a trained model's weights open in Debian's PyTorch under upstream's names and
/// give the same logits there.</summary>
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
        string python;
        try
        {
            python = PyTorchPeer.FindPython();
        }
        catch (InvalidOperationException e) when (Environment.GetEnvironmentVariable("CI") is null)
        {
            Assert.Skip(e.Message);
            throw;
        }
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
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        var fromPython = stdout.Trim().Split(' ').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(logits.Length, fromPython.Length);
        double scale = logits.Max(x => Math.Abs(x));
        Assert.All(logits.Zip(fromPython), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-4 * scale, $"{pair.First} vs {pair.Second}"));
    }

    static string Quote(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}
