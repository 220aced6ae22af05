namespace Raccoon.Research.Models.GlyphCnn;

/// <summary>
/// One of upstream's phase-2 CNNs (glyph-grid `models/phase2_cnn.py`, `configs/phase2*.yaml`): a 16 x 16
/// grid of primitive ids -> embedding -> stem -> residual stages (stride-2 ConvBnAct between them) ->
/// global average pool -> LayerNorm -> Linear -> activation -> Dropout -> Linear.
/// </summary>
public sealed record GlyphCnnConfig(
    string Variant, int EmbeddingDim, int[] Stages, int[] BlocksPerStage, int HeadHidden,
    double Dropout, double HeadDropout, int Classes, int VocabularySize = GlyphCnnConfig.Vocabulary,
    string Activation = "gelu", double BnEps = 1e-5)
{
    /// <summary>Primitive ids 0..1023: 0 is the empty cell, 1..1023 the k-means centroids.</summary>
    public const int Vocabulary = 1024;
    public const int GridSize = 16;
    /// <summary>The class count at which upstream's stated totals reproduce (its comments say 1216, which does not).</summary>
    public const int DocumentClasses = 1197;

    /// <summary>phase2.yaml: E 96, stages [96, 192, 256], blocks [3, 3, 3], head 256, dropout 0.15 / 0.30.</summary>
    public static GlyphCnnConfig Full(int classes = DocumentClasses) => new("Full", 96, [96, 192, 256], [3, 3, 3], 256, 0.15, 0.30, classes);
    /// <summary>phase2_light.yaml: E 64, stages [64, 128, 192], blocks [2, 2, 2], head 256, dropout 0.10 / 0.25.</summary>
    public static GlyphCnnConfig Light(int classes = DocumentClasses) => new("Light", 64, [64, 128, 192], [2, 2, 2], 256, 0.10, 0.25, classes);
    /// <summary>phase2_tiny.yaml: E 48, stages [48, 96, 128], blocks [2, 2, 2], head 128, dropout 0.08 / 0.20.</summary>
    public static GlyphCnnConfig Tiny(int classes = DocumentClasses) => new("Tiny", 48, [48, 96, 128], [2, 2, 2], 128, 0.08, 0.20, classes);

    public static IReadOnlyList<GlyphCnnConfig> Variants(int classes = DocumentClasses) => [Full(classes), Light(classes), Tiny(classes)];

    /// <summary>The variant by name (full, light, tiny; any case).</summary>
    public static GlyphCnnConfig ByName(string name, int classes = DocumentClasses) => name.ToLowerInvariant() switch
    {
        "full" => Full(classes),
        "light" => Light(classes),
        "tiny" => Tiny(classes),
        _ => throw new ArgumentException($"unknown glyph CNN variant '{name}' (expected full, light or tiny)"),
    };

    public void Validate()
    {
        if (Classes < 2) throw new ArgumentException($"a glyph classifier needs at least 2 classes, got {Classes}");
        if (EmbeddingDim < 1 || HeadHidden < 1 || VocabularySize < 2)
            throw new ArgumentException($"embedding {EmbeddingDim}, head {HeadHidden} and vocabulary {VocabularySize} must be positive");
        if (Stages.Length == 0 || Stages.Length != BlocksPerStage.Length || Stages.Any(c => c < 1) || BlocksPerStage.Any(b => b < 0))
            throw new ArgumentException($"stages [{string.Join(", ", Stages)}] and blocks [{string.Join(", ", BlocksPerStage)}] must be positive lists of one length");
        if (Dropout is < 0 or >= 1 || HeadDropout is < 0 or >= 1)
            throw new ArgumentException($"dropouts must be in [0, 1): {Dropout}, {HeadDropout}");
    }
}
