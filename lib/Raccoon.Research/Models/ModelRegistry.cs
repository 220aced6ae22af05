using System.Text.Json;
using System.Text.Json.Serialization;
using Raccoon.Research.IO;
using Raccoon.Research.Models.Baselines;
using Raccoon.Research.Models.GlyphCnn;
using Raccoon.Research.Models.LanguageModels;
using Raccoon.Research.Models.LatentOde;
using Raccoon.Research.Models.LogClassifiers;
using Raccoon.Research.Models.PathFlow;
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

    /// <summary>Configs as export writes them for other languages to read: enums by name.</summary>
    static readonly JsonSerializerOptions Named = new() { WriteIndented = false, Converters = { new JsonStringEnumConverter() } };

    static ModelRegistry()
    {
        Register<MeanPoolClassifierConfig>(MeanPoolClassifier.Kind, c => new MeanPoolClassifier(c));
        Register<RaccoonLogClassifierConfig>(RaccoonLogClassifier.Kind, c => new RaccoonLogClassifier(c), RaccoonLogClassifier.PyTorchNames);
        Register<SimpleRaccoonConfig>(SimpleRaccoonModel.Kind, c => new SimpleRaccoonModel(c), SimpleRaccoonModel.PyTorchNames);
        Register<DocumentedOriginalConfig>(DocumentedOriginalRaccoon.Kind, c => new DocumentedOriginalRaccoon(c));
        Register<LatentOdeConfig>(DeterministicLatentOde.Kind, c => new DeterministicLatentOde(c));
        Register<BlockStackConfig>(BlockStackLanguageModel.Kind, c => new BlockStackLanguageModel(c));
        Register<PathFlowConfig>(PathFlowModel.Kind, c => new PathFlowModel(c), PathFlowModel.PyTorchNames);
        Register<GlyphCnnConfig>(GlyphCnnClassifier.Kind, c => new GlyphCnnClassifier(c));
        Register<LanguageModelConfig>(TransformerLanguageModel.Kind, c => new TransformerLanguageModel(c));
        Register<LanguageModelConfig>(HyperMixerLanguageModel.Kind, c => new HyperMixerLanguageModel(c, HyperMixerVariant.Upstream), HyperMixerLanguageModel.PyTorchNames);
        Register<LanguageModelConfig>(HyperMixerLanguageModel.CausalKind, c => new HyperMixerLanguageModel(c, HyperMixerVariant.Causal));
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

    /// <summary>Builds a model of <paramref name="kind"/> from its JSON config.</summary>
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
        return model;
    }

    /// <summary>The kind and config JSON of <paramref name="model"/> when the registry can rebuild it, else null.</summary>
    public static (string Kind, JsonElement Config)? Describe(nn.Module model) =>
        model is IRegisteredModel r && IsRegistered(r.ModelKind) ? (r.ModelKind, JsonSerializer.SerializeToElement(r.ModelConfig, r.ModelConfig.GetType(), Json)) : null;

    /// <summary>A stored config of <paramref name="kind"/> with its enums by name (checkpoints store them as numbers), as
    /// <c>raccoon export</c> writes it beside the weights for Python to read.</summary>
    public static JsonElement Readable(string kind, JsonElement config)
    {
        Type type;
        lock (Gate)
            type = Entries.TryGetValue(kind, out var e) ? e.ConfigType
                : throw new InvalidDataException($"unknown model kind '{kind}': known kinds are {string.Join(", ", Entries.Keys.Order())}");
        return JsonSerializer.SerializeToElement(config.Deserialize(type, Json), type, Named);
    }

    /// <summary>The config as the JSON a checkpoint stores.</summary>
    public static JsonElement ConfigJson<TConfig>(TConfig config) => JsonSerializer.SerializeToElement(config, Json);
}
