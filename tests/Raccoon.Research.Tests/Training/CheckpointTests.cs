using Raccoon.Research.Data.Logs;
using Raccoon.Research.Models.Baselines;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.Training;

public class CheckpointTests : IClassFixture<TorchFixture>
{
    static readonly MeanPoolClassifierConfig Config = new(40, 4, 16);

    static (MeanPoolClassifier Model, string Path) Saved(bool withOptimizer = true)
    {
        torch.random.manual_seed(1);
        var model = new MeanPoolClassifier(Config);
        var options = new TrainingOptions { Epochs = 1, LearningRate = 1e-2 };
        using var optimizer = Trainer.CreateOptimizer(model.parameters(), options);
        var data = new TemplateLogTask().Dataset(64, 1);
        using (var scope = NewDisposeScope())
        {
            var (tokens, labels) = data.Batch(Enumerable.Range(0, 64).ToArray());
            Trainer.Step(model, model.parameters().ToList(), optimizer, tokens, labels, 1.0);
        }
        string path = Path.Combine(Repo.TempDir("ckpt"), "model.ckpt");
        Checkpoint.Save(path, model,
            CheckpointMeta.For(MeanPoolClassifier.Kind, Config, step: 1, vocabulary: CharVocabulary.TemplateLogs.Name, sequenceLength: 50, classNames: LogCategories.Names),
            withOptimizer ? optimizer : null);
        return (model, path);
    }

    [Fact]
    public void A_model_round_trips_with_its_optimizer_config_and_step()
    {
        var (model, path) = Saved();
        Assert.Equal(["model.ckpt"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName)); // no temp file left
        var fresh = new MeanPoolClassifier(Config);
        using var optimizer = Trainer.CreateOptimizer(fresh.parameters(), new TrainingOptions());
        var header = Checkpoint.Load(path, fresh, MeanPoolClassifier.Kind, optimizer);
        Params.AssertEqual(Params.Of(model), Params.Of(fresh));
        Assert.Equal(Checkpoint.Format, header.Format);
        Assert.Equal(1, header.Meta.Step);
        Assert.Equal(50, header.Meta.SequenceLength);
        Assert.Equal("template-logs-40", header.Meta.Vocabulary);
        Assert.Equal(LogCategories.Names, header.Meta.ClassNames);
        Assert.True(header.HasOptimizer);
        Assert.Equal(40 * 16 + 16 * 4 + 4, header.Parameters);

        var (rebuilt, _) = Checkpoint.LoadModel(path);
        var loaded = Assert.IsType<MeanPoolClassifier>(rebuilt);
        Assert.Equal(Config, loaded.Config);
        Params.AssertEqual(Params.Of(model), Params.Of(loaded));
    }

    [Fact]
    public void A_truncated_checkpoint_is_named_as_truncated()
    {
        var (_, path) = Saved();
        byte[] bytes = File.ReadAllBytes(path);
        foreach (int keep in new[] { 5, 10, 40, bytes.Length - 100, bytes.Length - 1 })
        {
            File.WriteAllBytes(path, bytes[..keep]);
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadHeader(path));
            Assert.Contains(path, e.Message);
            Assert.True(e.Message.Contains("truncated") || e.Message.Contains("corrupt"), e.Message);
        }
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Checkpoint.ReadHeader(path)).Message);
    }

    [Fact]
    public void A_flipped_byte_anywhere_is_caught()
    {
        var (_, path) = Saved();
        byte[] bytes = File.ReadAllBytes(path);
        foreach (int at in new[] { 2, 20, 60, bytes.Length / 2, bytes.Length - 40, bytes.Length - 3 })
        {
            var flipped = (byte[])bytes.Clone();
            flipped[at] ^= 0x5A;
            File.WriteAllBytes(path, flipped);
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, new MeanPoolClassifier(Config)));
            Assert.Contains(path, e.Message);
        }
        var payload = (byte[])bytes.Clone();
        payload[bytes.Length - 40] ^= 0x01;
        File.WriteAllBytes(path, payload);
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => Checkpoint.ReadHeader(path)).Message);
    }

    [Fact]
    public void A_checkpoint_of_another_model_or_shape_says_what_does_not_fit()
    {
        var (_, path) = Saved(withOptimizer: false);
        var wider = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, new MeanPoolClassifier(Config with { EmbeddingDim = 8 })));
        Assert.Contains("'embedding.weight' is [40, 16] in the checkpoint and [40, 8] in the model", wider.Message);
        var kind = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, new MeanPoolClassifier(Config), expectedKind: "simple-raccoon"));
        Assert.Contains("holds a 'mean-pool' model, not 'simple-raccoon'", kind.Message);
        var other = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, new FaultyClassifier(Config)));
        Assert.Contains("inner.", other.Message);
        var noOptimizer = Assert.Throws<InvalidDataException>(() =>
            Checkpoint.Load(path, new MeanPoolClassifier(Config), optimizer: Trainer.CreateOptimizer(new MeanPoolClassifier(Config).parameters(), new TrainingOptions())));
        Assert.Contains("no optimizer state", noOptimizer.Message);
    }

    [Fact]
    public void A_missing_file_or_a_file_of_another_kind_is_named()
    {
        string dir = Repo.TempDir("ckpt");
        string missing = Path.Combine(dir, "nope.ckpt");
        Assert.Contains("nope.ckpt", Assert.Throws<FileNotFoundException>(() => Checkpoint.ReadHeader(missing)).Message);
        string text = Path.Combine(dir, "notes.txt");
        File.WriteAllText(text, "these are not weights, just some words");
        Assert.Contains("not a Raccoon checkpoint", Assert.Throws<InvalidDataException>(() => Checkpoint.ReadHeader(text)).Message);
    }
}
