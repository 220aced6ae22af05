using System.Text.Json;
using Raccoon.Research.IO;
using Raccoon.Research.Models.Baselines;
using Raccoon.Research.Models.LogClassifiers;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Models;

/// <summary>
/// From a model-kind name (recorded in every checkpoint) to a factory that builds the model from its
/// JSON config, so that a checkpoint can be loaded without knowing its class. Each model family adds
/// one line to the static constructor.
/// </summary>
public static class ModelRegistry
{
    sealed record Entry(Type ConfigType, Func<JsonElement, nn.Module> Create, ParameterNames Names);

    static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal);
    static readonly object Gate = new();

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    static ModelRegistry()
    {
        Register<MeanPoolClassifierConfig>(MeanPoolClassifier.Kind, c => new MeanPoolClassifier(c));
        Register<RaccoonLogClassifierConfig>(RaccoonLogClassifier.Kind, c => new RaccoonLogClassifier(c), RaccoonLogClassifier.PyTorchNames);
        Register<SimpleRaccoonConfig>(SimpleRaccoonModel.Kind, c => new SimpleRaccoonModel(c), SimpleRaccoonModel.PyTorchNames);
        Register<DocumentedOriginalConfig>(DocumentedOriginalRaccoon.Kind, c => new DocumentedOriginalRaccoon(c));
    }

    /// <summary>Registers <paramref name="kind"/>; the factory gets the config deserialised as <typeparamref name="TConfig"/>;
    /// <paramref name="names"/> spell its state as the upstream PyTorch code does (default: the same names).</summary>
    public static void Register<TConfig>(string kind, Func<TConfig, nn.Module> create, ParameterNames? names = null)
    {
        lock (Gate)
        {
            if (Entries.TryGetValue(kind, out var existing) && existing.ConfigType != typeof(TConfig))
                throw new InvalidOperationException($"model kind '{kind}' is already registered with config {existing.ConfigType.Name}");
            Entries[kind] = new Entry(typeof(TConfig), json =>
                create(json.Deserialize<TConfig>(Json) ?? throw new InvalidDataException($"config of model kind '{kind}' is null")), names ?? ParameterNames.Same);
        }
    }

    public static IReadOnlyList<string> Kinds { get { lock (Gate) return Entries.Keys.Order().ToList(); } }

    public static bool IsRegistered(string kind) { lock (Gate) return Entries.ContainsKey(kind); }

    /// <summary>How the upstream PyTorch code names the state of a model of <paramref name="kind"/> (export writes these names).</summary>
    public static ParameterNames PyTorchNames(string kind)
    {
        lock (Gate)
            return Entries.TryGetValue(kind, out var e) ? e.Names
                : throw new InvalidDataException($"unknown model kind '{kind}': known kinds are {string.Join(", ", Entries.Keys.Order())}");
    }

    /// <summary>Builds a model of <paramref name="kind"/> from its JSON config; it must be an <see cref="ISequenceClassifier"/>.</summary>
    public static nn.Module Create(string kind, JsonElement config)
    {
        Entry entry;
        lock (Gate)
            if (!Entries.TryGetValue(kind, out entry!))
                throw new InvalidDataException($"unknown model kind '{kind}': known kinds are {string.Join(", ", Entries.Keys.Order())}");
        nn.Module model;
        try
        {
            model = entry.Create(config);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"config of model kind '{kind}' does not fit {entry.ConfigType.Name}: {e.Message}", e);
        }
        if (model is not ISequenceClassifier)
            throw new InvalidOperationException($"model kind '{kind}' builds {model.GetType().Name}, which is not an ISequenceClassifier");
        return model;
    }

    /// <summary>The config as the JSON a checkpoint stores.</summary>
    public static JsonElement ConfigJson<TConfig>(TConfig config) => JsonSerializer.SerializeToElement(config, Json);
}
