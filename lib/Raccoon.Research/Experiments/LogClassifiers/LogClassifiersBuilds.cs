using Raccoon.Research.Data;
using Raccoon.Research.Data.Logs;
using Raccoon.Research.Measurements;
using Raccoon.Research.Models.LogClassifiers;
using Raccoon.Research.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.LogClassifiers;

/// <summary>The three Raccoon builds document 000 is measured with.</summary>
public enum RaccoonBuild
{
    /// <summary>The "Original" as the document draws it (<see cref="DocumentedOriginalRaccoon"/>).</summary>
    DocumentedOriginal,
    /// <summary>The upstream model the document's "Original" stands for (<see cref="RaccoonLogClassifier"/>).</summary>
    UpstreamOriginal,
    /// <summary>The "Alternative": upstream's <see cref="SimpleRaccoonModel"/>.</summary>
    Alternative,
}

/// <summary>
/// How the R0 experiments build and feed the three models. Every comparison runs on one task, upstream's
/// template log task (40 symbols, 50 characters, 10% corruption, 4 classes), at the document's batch 32,
/// so the three builds get the task's vocabulary; the parameter counts of R0-01 use each build's own
/// upstream configuration (<see cref="CreateAsPublished"/>).
/// </summary>
public static class LogClassifiersBuilds
{
    public const int Batch = 32;
    public const int SequenceLength = 50;

    public static IReadOnlyList<RaccoonBuild> All { get; } = [RaccoonBuild.DocumentedOriginal, RaccoonBuild.UpstreamOriginal, RaccoonBuild.Alternative];

    public static TemplateLogTask LogTask { get; } = new(SequenceLength);

    public static string Label(RaccoonBuild build) => build switch
    {
        RaccoonBuild.DocumentedOriginal => "Original (as documented)",
        RaccoonBuild.UpstreamOriginal => "Original (upstream RaccoonLogClassifier)",
        _ => "Alternative (upstream SimpleRaccoon)",
    };

    /// <summary>Short name for table columns and chart legends.</summary>
    public static string Short(RaccoonBuild build) => build switch
    {
        RaccoonBuild.DocumentedOriginal => "Original (doc)",
        RaccoonBuild.UpstreamOriginal => "Original (upstream)",
        _ => "Alternative",
    };

    public static string Kind(RaccoonBuild build) => build switch
    {
        RaccoonBuild.DocumentedOriginal => DocumentedOriginalRaccoon.Kind,
        RaccoonBuild.UpstreamOriginal => RaccoonLogClassifier.Kind,
        _ => SimpleRaccoonModel.Kind,
    };

    /// <summary>The build for the shared task (vocabulary of <see cref="LogTask"/>), its weights drawn from <paramref name="seed"/>.</summary>
    public static IRaccoonModel Create(RaccoonBuild build, int seed)
    {
        manual_seed(seed);
        int v = LogTask.Vocabulary.Size, c = LogCategories.Count;
        return build switch
        {
            RaccoonBuild.DocumentedOriginal => new DocumentedOriginalRaccoon(DocumentedOriginalConfig.Documented with { VocabularySize = v, Classes = c, ReplaySeed = seed }),
            RaccoonBuild.UpstreamOriginal => new RaccoonLogClassifier(RaccoonLogClassifierConfig.Upstream with { VocabularySize = v, Classes = c, ReplaySeed = seed }),
            _ => new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream with { VocabularySize = v, Classes = c, ReplaySeed = seed }),
        };
    }

    /// <summary>The build exactly as its source configures it (upstream: the vocabulary of its own task; the document: 40 symbols).</summary>
    public static IRaccoonModel CreateAsPublished(RaccoonBuild build, int seed = 0)
    {
        manual_seed(seed);
        return build switch
        {
            RaccoonBuild.DocumentedOriginal => new DocumentedOriginalRaccoon(DocumentedOriginalConfig.Documented),
            RaccoonBuild.UpstreamOriginal => new RaccoonLogClassifier(RaccoonLogClassifierConfig.Upstream),
            _ => new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream),
        };
    }

    /// <summary>The model's config object, for a checkpoint.</summary>
    public static CheckpointMeta Meta(IRaccoonModel model) => model switch
    {
        DocumentedOriginalRaccoon m => CheckpointMeta.For(DocumentedOriginalRaccoon.Kind, m.Config, 0, LogTask.Vocabulary.Name, SequenceLength, LogCategories.Names),
        RaccoonLogClassifier m => CheckpointMeta.For(RaccoonLogClassifier.Kind, m.Config, 0, LogTask.Vocabulary.Name, SequenceLength, LogCategories.Names),
        SimpleRaccoonModel m => CheckpointMeta.For(SimpleRaccoonModel.Kind, m.Config, 0, LogTask.Vocabulary.Name, SequenceLength, LogCategories.Names),
        _ => throw new ArgumentException($"not a Raccoon build: {model.GetType().Name}"),
    };

    /// <summary>A batch of the task: tokens (B, T) int64 and labels (B), drawn from <paramref name="seed"/>.</summary>
    public static (Tensor Tokens, Tensor Labels) Batch32(int seed, int batch = Batch)
    {
        var data = LogTask.Dataset(batch, seed);
        return data.Batch(Enumerable.Range(0, batch).ToArray());
    }

    /// <summary>The build's replay memory in words: its kind and capacity.</summary>
    public static string MemoryKind(IRaccoonModel model) => model switch
    {
        DocumentedOriginalRaccoon m => $"priority memory ({m.Memory.Memory.Capacity})",
        RaccoonLogClassifier m => $"priority memory ({m.Memory.Memory.Capacity})",
        SimpleRaccoonModel m => $"circular buffer ({m.Memory.Buffer.Capacity})",
        _ => throw new ArgumentException($"not a Raccoon build: {model.GetType().Name}"),
    };

    /// <summary>Timing settings per profile, shared by document 000's experiments: quick keeps every experiment within seconds.</summary>
    public static ProfileSizes<TimingOptions> Timings { get; } = new(
        Quick: new TimingOptions(Warmup: 2, Repeats: 5),
        Standard: new TimingOptions(Warmup: 3, Repeats: 15),
        Full: new TimingOptions(Warmup: 5, Repeats: 31));

    /// <summary>This run's timing settings (<see cref="Timings"/>) on its thread count.</summary>
    public static TimingOptions TimingFor(ExperimentContext context) => Timings.For(context.Profile) with { Threads = context.Threads };

    /// <summary>Milliseconds with three significant figures at most, for sentences.</summary>
    public static string Ms(double seconds) => Fmt(seconds * 1e3) + " ms";

    public static string Fmt(double x) => x switch
    {
        >= 100 => x.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        >= 10 => x.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture),
        >= 1 => x.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
        _ => x.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
    };

    public static string Count(long n) => n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
}
