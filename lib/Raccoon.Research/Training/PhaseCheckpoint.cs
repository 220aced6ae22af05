using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Training;

/// <summary>
/// The resume file of any training loop: one <see cref="Checkpoint"/> holding the weights, the optimizer state,
/// torch's default generator and the loop's own state (a JSON record: step, position, curves so far), tagged with
/// the phase that wrote it (its options and data sizes) so a file is never resumed under other settings. A loop
/// saves when <see cref="Due"/> says so and asks <see cref="Resume{TState}"/> once at its start.
/// </summary>
public static class PhaseCheckpoint
{
    public const string Kind = "training-phase";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        IncludeFields = true,
    };

    /// <param name="Model">The trained model's registry kind and config (null in files written before they were recorded,
    /// and for a model the registry cannot rebuild), so <c>raccoon export</c> can rebuild it from this file.</param>
    sealed record Envelope(string Phase, string Generator, JsonElement State, TrainedModel? Model = null);

    /// <summary>What a resume file says about the model it trains.</summary>
    public sealed record TrainedModel(string Kind, JsonElement Config);

    /// <summary>What identifies a phase: any record of its settings and data sizes, as JSON.</summary>
    public static string PhaseOf(object settings) => JsonSerializer.Serialize(settings, Json);

    /// <summary>True when <paramref name="step"/> is a multiple of the file's step interval or its wall-time interval has passed.</summary>
    public static bool Due(ResumeFile? resume, long step, Stopwatch sinceSave) =>
        resume is not null && (step % resume.EverySteps == 0 || sinceSave.Elapsed.TotalSeconds >= resume.EverySeconds);

    /// <summary>Writes weights, optimizer state, torch's generator and <paramref name="state"/> into the resume file, whole or not at all.</summary>
    public static void Save<TState>(ResumeFile resume, nn.Module module, optim.Optimizer optimizer, string phase, TState state, long step)
    {
        string generator;
        using (var g = torch.random.get_rng_state()) generator = Convert.ToBase64String(g.bytes.ToArray());
        var model = Models.ModelRegistry.Describe(module) is { } d ? new TrainedModel(d.Kind, d.Config) : null;
        var envelope = new Envelope(phase, generator, JsonSerializer.SerializeToElement(state, Json), model);
        Checkpoint.Save(resume.Path, module, new CheckpointMeta(Kind, JsonSerializer.SerializeToElement(envelope, Json), step),
            (TorchSharp.Modules.OptimizerHelper)optimizer);
    }

    /// <summary>
    /// When the resume file exists: checks it belongs to <paramref name="phase"/>, loads its weights and optimizer
    /// state into <paramref name="module"/> and <paramref name="optimizer"/>, restores torch's generator and returns the
    /// loop's state. Null when there is no file (the phase starts from the beginning).
    /// </summary>
    public static TState? Resume<TState>(ResumeFile? resume, nn.Module module, optim.Optimizer optimizer, string phase) where TState : class
    {
        if (resume is null || !File.Exists(resume.Path)) return null;
        var state = Read<TState>(resume.Path, phase, out string generator);
        Checkpoint.Load(resume.Path, module, Kind, (TorchSharp.Modules.OptimizerHelper)optimizer);
        using var g = torch.tensor(Convert.FromBase64String(generator), ScalarType.Byte);
        torch.random.set_rng_state(g);
        return state;
    }

    /// <summary>The kind and config of the model a resume file trains; null when the file does not record them
    /// (written before they were recorded, or a model the registry cannot rebuild).</summary>
    public static TrainedModel? Model(string path)
    {
        var header = Checkpoint.ReadHeader(path);
        if (header.Meta.ModelKind != Kind)
            throw new InvalidDataException($"'{path}' holds a '{header.Meta.ModelKind}' checkpoint, not a training phase's state");
        return header.Meta.Config.Deserialize<Envelope>(Json)?.Model;
    }

    /// <summary>The loop state in a resume file, checked to belong to <paramref name="phase"/>.</summary>
    public static TState Read<TState>(string path, string phase, out string generator) where TState : class
    {
        var header = Checkpoint.ReadHeader(path);
        if (header.Meta.ModelKind != Kind)
            throw new InvalidDataException($"resume file '{path}' holds a '{header.Meta.ModelKind}' checkpoint, not a training phase's state");
        var envelope = header.Meta.Config.Deserialize<Envelope>(Json);
        if (envelope?.Phase is null || envelope.Generator is null)
            throw new InvalidDataException($"resume file '{path}' lacks its phase or generator state");
        if (envelope.Phase != phase)
            throw new InvalidDataException(
                $"resume file '{path}' was written by another training phase (options or data sizes differ): it holds {envelope.Phase}, this phase is {phase}; delete it to start again");
        generator = envelope.Generator;
        return envelope.State.Deserialize<TState>(Json) ?? throw new InvalidDataException($"resume file '{path}' has an empty training state");
    }
}
