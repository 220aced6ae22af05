using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Raccoon.Research.IO;
using Raccoon.Research.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Training;

/// <summary>What a checkpoint says about its model besides the weights: the registry kind and config that
/// rebuild it, the training step, and, for text models, the vocabulary, sequence length and class names.</summary>
public sealed record CheckpointMeta(
    string ModelKind, JsonElement Config, long Step = 0,
    string? Vocabulary = null, int? SequenceLength = null, IReadOnlyList<string>? ClassNames = null)
{
    public static CheckpointMeta For<TConfig>(string kind, TConfig config, long step = 0,
        string? vocabulary = null, int? sequenceLength = null, IReadOnlyList<string>? classNames = null) =>
        new(kind, ModelRegistry.ConfigJson(config), step, vocabulary, sequenceLength, classNames);
}

/// <summary>One parameter or buffer as the checkpoint lists it.</summary>
public sealed record CheckpointTensor(string Name, long[] Shape, string DType)
{
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>The header of a checkpoint file: its format tag, the <see cref="CheckpointMeta"/>, the tensor manifest and the payload sizes.</summary>
public sealed record CheckpointHeader(
    string Format, CheckpointMeta Meta, IReadOnlyList<CheckpointTensor> Tensors, long WeightsBytes, long OptimizerBytes)
{
    public bool HasOptimizer => OptimizerBytes > 0;
    public long Parameters => Tensors.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
}

/// <summary>
/// One file holding a model's weights, optionally its optimizer state, its config (JSON) and training step:
/// magic | header length | header JSON | weights | optimizer state | SHA-256 of everything before it.
/// Written atomically; reading checks every part and names the file and the problem when one is wrong.
/// </summary>
public static class Checkpoint
{
    public const string Format = "raccoon-checkpoint/1";
    static readonly byte[] Magic = "RCCNCKPT"u8.ToArray();
    const int HashBytes = 32;
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static void Save(string path, nn.Module model, CheckpointMeta meta, TorchSharp.Modules.OptimizerHelper? optimizer = null)
    {
        var weights = new MemoryStream();
        using (var w = new BinaryWriter(weights, Encoding.UTF8, leaveOpen: true)) model.save(w);
        var optimizerState = new MemoryStream();
        if (optimizer is not null)
            using (var w = new BinaryWriter(optimizerState, Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(w);
        var tensors = model.state_dict()
            .Select(kv => new CheckpointTensor(kv.Key, kv.Value.shape, kv.Value.dtype.ToString())).ToList();
        var header = new CheckpointHeader(Format, meta, tensors, weights.Length, optimizerState.Length);
        byte[] headerBytes = JsonSerializer.SerializeToUtf8Bytes(header, Json);

        var body = new MemoryStream();
        body.Write(Magic);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, headerBytes.Length);
        body.Write(length);
        body.Write(headerBytes);
        weights.Position = 0; weights.CopyTo(body);
        optimizerState.Position = 0; optimizerState.CopyTo(body);
        byte[] hash = SHA256.HashData(body.GetBuffer().AsSpan(0, (int)body.Length));
        AtomicFile.Write(path, s =>
        {
            s.Write(body.GetBuffer(), 0, (int)body.Length);
            s.Write(hash);
        });
    }

    /// <summary>Reads and verifies the file (magic, header, length, checksum) and returns its header.</summary>
    public static CheckpointHeader ReadHeader(string path) => Open(path).Header;

    /// <summary>
    /// Loads the weights (and, when <paramref name="optimizer"/> is given, the optimizer state) into
    /// <paramref name="model"/> after checking the kind (when <paramref name="expectedKind"/> is given) and
    /// that every tensor's name, shape and dtype match the model's.
    /// </summary>
    public static CheckpointHeader Load(string path, nn.Module model, string? expectedKind = null, TorchSharp.Modules.OptimizerHelper? optimizer = null)
    {
        var file = Open(path);
        var header = file.Header;
        if (expectedKind is not null && header.Meta.ModelKind != expectedKind)
            throw Bad(path, $"holds a '{header.Meta.ModelKind}' model, not '{expectedKind}'");
        CheckManifest(path, header, model);
        try
        {
            using (var r = new BinaryReader(new MemoryStream(file.Bytes, file.WeightsOffset, (int)header.WeightsBytes, writable: false)))
                model.load(r, strict: true);
        }
        catch (Exception e) when (e is ArgumentException or EndOfStreamException or IOException)
        {
            throw Bad(path, $"weights do not load: {e.Message}", e);
        }
        if (optimizer is not null)
        {
            if (!header.HasOptimizer) throw Bad(path, "holds no optimizer state, but one was asked for");
            try
            {
                using var r = new BinaryReader(new MemoryStream(file.Bytes, file.WeightsOffset + (int)header.WeightsBytes, (int)header.OptimizerBytes, writable: false));
                optimizer.load_state_dict(r);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
            {
                throw Bad(path, $"optimizer state does not fit the optimizer: {e.Message}", e);
            }
        }
        return header;
    }

    /// <summary>Rebuilds the model from the kind and config recorded in the file (<see cref="ModelRegistry"/>) and loads its
    /// weights. The file is a model's checkpoint or a trainer's resume file (<see cref="PhaseCheckpoint"/>), whose recorded
    /// model the returned header names in place of the phase.</summary>
    public static (nn.Module Model, CheckpointHeader Header) LoadModel(string path)
    {
        var header = ReadHeader(path);
        string fileKind = header.Meta.ModelKind;
        if (fileKind == PhaseCheckpoint.Kind)
        {
            var trained = PhaseCheckpoint.Model(path)
                ?? throw Bad(path, "is a trainer's resume file that does not record which model it trains (written before resume files recorded it, " +
                    "or a model the registry cannot rebuild); train again with this build to get one that does");
            header = header with { Meta = header.Meta with { ModelKind = trained.Kind, Config = trained.Config } };
        }
        nn.Module model;
        try
        {
            model = ModelRegistry.Create(header.Meta.ModelKind, header.Meta.Config);
        }
        catch (InvalidDataException e)
        {
            throw Bad(path, e.Message, e);
        }
        catch (ArgumentException e)
        {
            throw Bad(path, $"its config does not build a '{header.Meta.ModelKind}' model: {e.Message}", e);
        }
        try
        {
            Load(path, model, fileKind);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return (model, header);
    }

    sealed record OpenedFile(byte[] Bytes, CheckpointHeader Header, int WeightsOffset);

    static OpenedFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint '{path}' does not exist", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw Bad(path, bytes.Length < Magic.Length
                ? $"is truncated: {bytes.Length} bytes, too short to be a checkpoint"
                : "is not a Raccoon checkpoint (its first bytes are not the checkpoint signature)");
        if (bytes.Length < Magic.Length + 4) throw Bad(path, $"is truncated: {bytes.Length} bytes, the header length is missing");
        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(Magic.Length, 4));
        int headerStart = Magic.Length + 4;
        if (headerLength <= 0 || headerLength > bytes.Length - headerStart)
            throw Bad(path, headerLength > bytes.Length - headerStart && headerLength > 0
                ? $"is truncated: the header needs {headerLength} bytes, {bytes.Length - headerStart} are left"
                : $"is corrupt: header length {headerLength}");
        CheckpointHeader? header;
        try
        {
            header = JsonSerializer.Deserialize<CheckpointHeader>(bytes.AsSpan(headerStart, headerLength), Json);
        }
        catch (JsonException e)
        {
            throw Bad(path, $"is corrupt: its header is not valid JSON ({e.Message})", e);
        }
        if (header is null || header.Meta is null || header.Tensors is null || header.Format is null)
            throw Bad(path, "is corrupt: its header lacks format, meta or tensors");
        if (header.Format != Format)
            throw Bad(path, $"has format '{header.Format}'; this build reads '{Format}'");
        long expected = headerStart + headerLength + header.WeightsBytes + header.OptimizerBytes + HashBytes;
        if (header.WeightsBytes < 0 || header.OptimizerBytes < 0)
            throw Bad(path, "is corrupt: negative payload sizes in its header");
        if (bytes.Length < expected) throw Bad(path, $"is truncated: {bytes.Length} bytes, its header promises {expected}");
        if (bytes.Length > expected) throw Bad(path, $"is corrupt: {bytes.Length} bytes, its header promises {expected}");
        var stored = bytes.AsSpan(bytes.Length - HashBytes);
        var actual = SHA256.HashData(bytes.AsSpan(0, bytes.Length - HashBytes));
        if (!stored.SequenceEqual(actual))
            throw Bad(path, "is corrupt: its SHA-256 checksum does not match its contents (changed or damaged after it was written)");
        return new OpenedFile(bytes, header, headerStart + headerLength);
    }

    static void CheckManifest(string path, CheckpointHeader header, nn.Module model)
    {
        var mine = model.state_dict();
        var theirs = header.Tensors.ToDictionary(t => t.Name);
        foreach (var (name, tensor) in mine)
        {
            if (!theirs.TryGetValue(name, out var saved))
                throw Bad(path, $"does not fit this {model.GetType().Name}: the model has '{name}' {Shape(tensor.shape)}, the checkpoint ('{header.Meta.ModelKind}') does not");
            if (!saved.Shape.SequenceEqual(tensor.shape))
                throw Bad(path, $"does not fit this {model.GetType().Name}: '{name}' is {saved.ShapeText} in the checkpoint and {Shape(tensor.shape)} in the model");
            if (saved.DType != tensor.dtype.ToString())
                throw Bad(path, $"does not fit this {model.GetType().Name}: '{name}' is {saved.DType} in the checkpoint and {tensor.dtype} in the model");
        }
        var extra = theirs.Keys.Where(k => !mine.ContainsKey(k)).ToList();
        if (extra.Count > 0)
            throw Bad(path, $"does not fit this {model.GetType().Name}: the checkpoint has {string.Join(", ", extra.Select(e => $"'{e}'"))}, the model does not");
    }

    static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    static InvalidDataException Bad(string path, string problem, Exception? inner = null) =>
        new($"checkpoint '{path}' {problem}", inner);
}
