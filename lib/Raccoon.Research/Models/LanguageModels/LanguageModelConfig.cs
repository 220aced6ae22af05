namespace Raccoon.Research.Models.LanguageModels;

/// <summary>
/// Sizes of RustGPT's language models. MixHidden (token-mixing width) defaults to ModelDim / 2 and
/// HyperHidden (hypernetwork width) to ModelDim / 4, as upstream; ShareHypernetwork makes the blocks
/// use one hypernetwork (an option the document proposes, not upstream's build).
/// </summary>
public sealed record LanguageModelConfig(
    int VocabularySize, int MaxLength = 80, int ModelDim = 128, int HiddenDim = 256, int Layers = 3,
    int? MixHidden = null, int? HyperHidden = null, bool ShareHypernetwork = false)
{
    /// <summary>The document's configuration: RustGPT at 69aa104 with its 533-word vocabulary and 80 positions.</summary>
    public static LanguageModelConfig Document { get; } = new(533, 80);

    public int TokenMixHidden => MixHidden ?? ModelDim / 2;
    public int HypernetworkHidden => HyperHidden ?? ModelDim / 4;

    public void Validate()
    {
        if (VocabularySize < 1 || MaxLength < 1 || ModelDim < 1 || HiddenDim < 1 || Layers < 1 || TokenMixHidden < 1 || HypernetworkHidden < 1)
            throw new ArgumentException($"language model sizes must be positive: {this}");
    }
}
