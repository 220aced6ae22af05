using System.Globalization;
using Raccoon.Research.Models;
using Raccoon.Research.Models.Baselines;
using Raccoon.Research.Models.LogClassifiers;
using Raccoon.Research.Runtime;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Cli;

/// <summary>
/// Bad input, swept: every row is one wrong thing a user can give (on the command line, as a notebook, to a
/// model, as a checkpoint) and the words its error must carry. Command-line rows must exit 2 (a notebook that
/// does not parse: 1, the notebook failed) with one line, not a stack trace.
/// </summary>
public class BadInputTests : IClassFixture<TorchFixture>
{
    /// <param name="Exit">The exit code a command-line row must give; null for an in-process row (its exception's message is the error).</param>
    public sealed record Row(Func<(int? Exit, string Error)> Act, int? Exit, params string[] Says);

    static readonly MeanPoolClassifierConfig Config = new(40, 4, 16);

    static (int?, string) Cli(params string[] args)
    {
        var run = Repo.RunCli(args);
        return (run.ExitCode, run.Stderr + run.Stdout);
    }

    static string Temp => Repo.TempDir("bad-input");

    static string AFile()
    {
        string f = Path.Combine(Temp, "a-file");
        File.WriteAllText(f, "");
        return f;
    }

    static string Notebook(string name, string text)
    {
        string f = Path.Combine(Temp, name);
        File.WriteAllText(f, text);
        return f;
    }

    static (int?, string) Throws(Action act)
    {
        try
        {
            act();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException or FileNotFoundException)
        {
            return (null, $"{e.GetType().Name}: {e.Message}");
        }
        return (null, "no error at all");
    }

    static (int?, string) Logits(Func<Tensor> tokens) => Throws(() =>
    {
        using var scope = NewDisposeScope();
        new MeanPoolClassifier(Config).Logits(tokens());
    });

    static string SavedCheckpoint()
    {
        torch.random.manual_seed(1);
        string path = Path.Combine(Temp, "model.ckpt");
        Checkpoint.Save(path, new MeanPoolClassifier(Config), CheckpointMeta.For(MeanPoolClassifier.Kind, Config));
        return path;
    }

    static string Damaged(Func<byte[], byte[]> damage)
    {
        string path = SavedCheckpoint();
        File.WriteAllBytes(path, damage(File.ReadAllBytes(path)));
        return path;
    }

    static readonly Dictionary<string, Row> Rows = new()
    {
        // The command line
        ["threads 0"] = new(() => Cli("reproduce", "--threads", "0", "--out", Temp), 2, "--threads must be at least 1", "0"),
        ["threads as text"] = new(() => Cli("reproduce", "--threads", "two", "--out", Temp), 2, "--threads must be a whole number", "'two'"),
        ["unknown profile"] = new(() => Cli("reproduce", "--profile", "fast", "--out", Temp), 2, "unknown profile 'fast'", "quick, standard, full or reference"),
        ["plan at an unknown profile"] = new(() => Cli("reproduce", "--plan", "--profile", "huge"), 2, "unknown profile 'huge'", "quick, standard, full or reference"),
        ["reference beside a reference run"] = new(() => Cli("reproduce", "--reference", "--profile", "reference", "--out", Temp), 2, "--reference judges rows from the committed reference results", "not reference"),
        ["reference folder alone"] = new(() => Cli("reproduce", "--reference-dir", Temp, "--out", Temp), 2, "--reference-dir goes with --profile reference or --reference"),
        ["plan on 0 nodes"] = new(() => Cli("reproduce", "--plan", "--nodes", "0"), 2, "--nodes must be at least 1, got 0"),
        ["plan on -2 nodes"] = new(() => Cli("reproduce", "--plan", "--nodes", "-2"), 2, "--nodes must be at least 1, got -2"),
        ["plan on nodes as text"] = new(() => Cli("reproduce", "--plan", "--nodes", "many"), 2, "--nodes must be a whole number", "'many'"),
        ["nodes without plan"] = new(() => Cli("reproduce", "--nodes", "4", "--out", Temp), 2, "--nodes goes with --plan"),
        ["unknown claim"] = new(() => Cli("reproduce", "--only", "Z9-99", "--out", Temp), 2, "unknown claim ID or prefix: Z9-99", "R0-01"),
        ["output path is a file"] = new(() => Cli("reproduce", "--only", "H4-01", "--out", AFile()), 2, "output folder", "a-file", "is a file"),
        ["output path under a file"] = new(() => Cli("reproduce", "--only", "H4-01", "--out", Path.Combine(AFile(), "sub")), 2, "not writable", "a-file"),
        ["shard not K/N"] = new(() => Cli("reproduce", "--shard", "1of2", "--out", Temp), 2, "--shard '1of2' is not K/N"),
        ["shard index too big"] = new(() => Cli("reproduce", "--shard", "2/2", "--out", Temp), 2, "--shard '2/2'", "numbered 0 to 1"),
        ["shard count 0"] = new(() => Cli("reproduce", "--shard", "0/0", "--out", Temp), 2, "--shard '0/0'", "at least 1"),
        ["shard negative"] = new(() => Cli("reproduce", "--shard", "-1/2", "--out", Temp), 2, "--shard '-1/2' is not K/N"),
        ["merge a missing folder"] = new(() => Cli("reproduce", "--merge", Path.Combine(Temp, "nowhere"), "--out", Temp), 2, "--merge", "nowhere", "no such folder"),
        ["merge a folder without shard.json"] = new(() => Cli("reproduce", "--merge", Temp, "--out", Temp), 2, "holds no shard.json", "reproduce --shard"),
        ["shard and merge together"] = new(() => Cli("reproduce", "--shard", "0/2", "--merge", Temp, "--out", Temp), 2, "--shard and --merge do not go together"),
        ["unit not EXPERIMENT/UNIT"] = new(() => Cli("reproduce", "--unit", "lorenz-upstream", "--out", Temp), 2, "--unit 'lorenz-upstream' is not EXPERIMENT/UNIT"),
        ["unit of an unknown experiment"] = new(() => Cli("reproduce", "--unit", "no-such/unit", "--out", Temp), 2, "no experiment 'no-such'"),
        ["unknown unit"] = new(() => Cli("reproduce", "--profile", "quick", "--unit", "path-flow-training/lorenz-upstream.training-seed9", "--out", Temp), 2,
            "has no unit 'lorenz-upstream.training-seed9' at quick", "its units: lorenz-upstream.training-seed1"),
        ["unit of an experiment run whole"] = new(() => Cli("reproduce", "--unit", "path-flow-scaling/x", "--out", Temp), 2, "runs as one unit"),
        ["unit and units together"] = new(() => Cli("reproduce", "--unit", "a/b", "--units", "--out", Temp), 2, "--unit names its units"),
        ["unit with a shard"] = new(() => Cli("reproduce", "--unit", "a/b", "--shard", "0/2", "--out", Temp), 2, "a share of them is --units --shard K/N"),
        ["units with a plan"] = new(() => Cli("reproduce", "--units", "--plan"), 2, "--plan lists the units and runs none"),
        ["units with a merge"] = new(() => Cli("reproduce", "--units", "--merge", Temp, "--out", Temp), 2, "--merge computes nothing"),
        ["unknown device"] = new(() => Cli("reproduce", "--device", "tpu", "--out", Temp), 2, "unknown device 'tpu'", "cpu or cuda"),
        ["cuda on CPU-only libtorch"] = new(() => Cli("reproduce", "--device", "cuda", "--only", "H4-01", "--out", Temp), 2,
            "--device cuda", TorchDevice.CudaPackage, TorchDevice.LibTorchPackageVersion, "instead of libtorch-cpu-linux-x64", "environment.md"),
        ["notebooks on cuda, CPU-only libtorch"] = new(() => Cli("notebooks", "run", "--device", "cuda", Temp), 2, "--device cuda", TorchDevice.CudaPackage),
        // Notebook paths
        ["missing notebook"] = new(() => Cli("notebooks", "run", Path.Combine(Temp, "missing.ipynb")), 2, "no notebook or folder", "missing.ipynb"),
        ["not a notebook"] = new(() => Cli("notebooks", "run", Notebook("notes.txt", "hello")), 2, "notes.txt", "is not a notebook", ".ipynb or .dib"),
        ["notebook of malformed JSON"] = new(() => Cli("notebooks", "run", Notebook("broken.ipynb", "{\"cells\": ["), "--out", Temp, "--profile", "quick"), 1,
            "broken.ipynb", "not valid JSON"),
        // Model inputs
        ["token id out of range"] = new(() => Logits(() => full(2, 5, 40L, dtype: int64)), null, "token id 40 is outside the vocabulary [0, 40)"),
        ["negative token id"] = new(() => Logits(() => full(2, 5, -1L, dtype: int64)), null, "token id -1 is outside the vocabulary"),
        ["tokens of the wrong shape"] = new(() => Logits(() => zeros(5, dtype: int64)), null, "expects tokens of shape (batch, time)", "got (5)"),
        ["empty batch"] = new(() => Logits(() => zeros(0, 50, dtype: int64)), null, "empty batch", "(0, 50)"),
        ["NaN for tokens"] = new(() => Logits(() => full(2, 5, double.NaN)), null, "expects int64 token ids", "holding NaN"),
        ["labels out of range"] = new(() => Throws(() =>
        {
            using var scope = NewDisposeScope();
            new MeanPoolClassifier(Config).Objective(zeros(2, 5, dtype: int64), full(2, 9L, dtype: int64));
        }), null, "label 9 is outside the classes [0, 4)"),
        // Checkpoints
        ["corrupt checkpoint"] = new(() =>
        {
            string path = Damaged(b => { b[^40] ^= 0xFF; return b; });
            return Throws(() => Checkpoint.Load(path, new MeanPoolClassifier(Config), MeanPoolClassifier.Kind));
        }, null, "model.ckpt", "is corrupt", "SHA-256"),
        ["truncated checkpoint"] = new(() =>
        {
            string path = Damaged(b => b[..(b.Length / 2)]);
            return Throws(() => Checkpoint.Load(path, new MeanPoolClassifier(Config), MeanPoolClassifier.Kind));
        }, null, "model.ckpt", "is truncated"),
        ["not a checkpoint"] = new(() =>
        {
            string path = Damaged(_ => "not weights at all"u8.ToArray());
            return Throws(() => Checkpoint.LoadModel(path));
        }, null, "model.ckpt", "is not a Raccoon checkpoint"),
        ["another model's checkpoint"] = new(() =>
        {
            string path = SavedCheckpoint();
            return Throws(() => Checkpoint.Load(path, new SimpleRaccoonModel(new SimpleRaccoonConfig(40, 4)), SimpleRaccoonModel.Kind));
        }, null, "model.ckpt", $"holds a '{MeanPoolClassifier.Kind}' model, not '{SimpleRaccoonModel.Kind}'"),
        ["same kind, other shape"] = new(() =>
        {
            string path = SavedCheckpoint();
            return Throws(() => Checkpoint.Load(path, new MeanPoolClassifier(Config with { EmbeddingDim = 8 }), MeanPoolClassifier.Kind));
        }, null, "model.ckpt", "does not fit this MeanPoolClassifier"),
        ["missing checkpoint"] = new(() => Throws(() => Checkpoint.LoadModel(Path.Combine(Temp, "none.ckpt"))), null, "checkpoint", "none.ckpt", "does not exist"),
    };

    public static TheoryData<string> Names => new(Rows.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Bad_input_gives_an_error_that_names_the_problem(string name)
    {
        var row = Rows[name];
        var (exit, error) = row.Act();
        Assert.True(row.Exit == exit, $"{name}: exit {exit?.ToString(CultureInfo.InvariantCulture) ?? "(in process)"}, expected {row.Exit?.ToString(CultureInfo.InvariantCulture) ?? "(in process)"}: {error}");
        foreach (var words in row.Says)
            Assert.True(error.Contains(words, StringComparison.Ordinal), $"{name}: the error does not say \"{words}\": {error}");
        Assert.DoesNotContain("   at ", error); // a message, not a stack trace
        Assert.DoesNotContain("no error at all", error);
    }
}
