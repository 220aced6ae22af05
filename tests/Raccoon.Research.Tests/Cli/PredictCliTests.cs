using System.Diagnostics;
using System.Text.RegularExpressions;
using Raccoon.Research.Data.Logs;
using Raccoon.Research.Models.Baselines;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Training;
using TorchSharp;

namespace Raccoon.Research.Tests.Cli;

/// <summary>predict, run as users run it, on a small model trained here.</summary>
public class PredictCliTests : IClassFixture<TorchFixture>
{
    static readonly Lazy<string> Model = new(() =>
    {
        var task = new TemplateLogTask();
        torch.random.manual_seed(1);
        var model = new MeanPoolClassifier(new(40, 4, 16));
        Trainer.Fit(model, task.Dataset(512, 1), null, new TrainingOptions { Epochs = 6, LearningRate = 0.1 });
        string path = Path.Combine(Repo.TempDir("predict"), "mean-pool.ckpt");
        Checkpoint.Save(path, model, CheckpointMeta.For(MeanPoolClassifier.Kind, model.Config, step: 96,
            vocabulary: task.Vocabulary.Name, sequenceLength: task.SequenceLength, classNames: LogCategories.Names));
        return path;
    });

    [Fact]
    public void Predicts_each_line_and_reports_cold_start_and_first_inference()
    {
        var run = Repo.RunCli("predict", "--model", Model.Value, "--text", "ERROR", "--text", "DEBUG", "--threads", "1");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("ERROR\t", lines[0]);
        Assert.StartsWith("DEBUG\t", lines[1]);
        Assert.EndsWith("\tERROR", lines[0]);
        var cold = Regex.Match(run.Stderr, @"cold start: ([0-9.]+) ms");
        Assert.True(cold.Success, run.Stderr);
        Assert.True(double.Parse(cold.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Matches(@"first inference: [0-9.]+ ms", run.Stderr);
    }

    [Fact]
    public void Reads_lines_from_standard_input()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Repo.CliDll, "predict", "--model", Model.Value, "--stdin" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Write("INFO\nTRACE\n\nFAIL\n");
        p.StandardInput.Close();
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)));
        Assert.True(p.ExitCode == 0, stderr);
        Assert.Equal(3, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("predicted 3 line(s)", stderr);
    }

    [Fact]
    public void A_character_outside_the_vocabulary_is_refused_unless_folded()
    {
        var run = Repo.RunCli("predict", "--model", Model.Value, "--text", "ERROR", "--text", "error: disk full");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("line 2", run.Stderr);
        Assert.Contains("'e'", run.Stderr);
        Assert.Contains("outside vocabulary", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
        var folded = Repo.RunCli("predict", "--model", Model.Value, "--text", "ERROR: disk full", "--fold-unknown");
        Assert.True(folded.ExitCode == 0, folded.Stderr);
    }

    [Fact]
    public void A_missing_or_corrupt_checkpoint_exits_2_naming_the_file()
    {
        string dir = Repo.TempDir("predict");
        var missing = Repo.RunCli("predict", "--model", Path.Combine(dir, "absent.ckpt"), "--text", "INFO");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("absent.ckpt", missing.Stderr);
        Assert.Contains("does not exist", missing.Stderr);

        string broken = Path.Combine(dir, "broken.ckpt");
        byte[] bytes = File.ReadAllBytes(Model.Value);
        File.WriteAllBytes(broken, bytes[..(bytes.Length / 2)]);
        var corrupt = Repo.RunCli("predict", "--model", broken, "--text", "INFO");
        Assert.Equal(2, corrupt.ExitCode);
        Assert.Contains("broken.ckpt", corrupt.Stderr);
        Assert.Contains("truncated", corrupt.Stderr);
        Assert.DoesNotContain("   at ", corrupt.Stderr);

        var nothing = Repo.RunCli("predict", "--model", Model.Value);
        Assert.Equal(2, nothing.ExitCode);
        Assert.Contains("--text", nothing.Stderr);
    }
}
