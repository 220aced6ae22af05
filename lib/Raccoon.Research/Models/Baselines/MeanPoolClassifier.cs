using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.Baselines;

/// <summary>Shape of a <see cref="MeanPoolClassifier"/>.</summary>
public sealed record MeanPoolClassifierConfig(int VocabularySize, int Classes, int EmbeddingDim = 16);

/// <summary>
/// The smallest sensible sequence classifier, a bag of characters: embedding, mean over positions,
/// one linear layer, cross-entropy. A floor for the log tasks and the model the trainer's and the
/// predict command's tests run on.
/// </summary>
public sealed class MeanPoolClassifier : nn.Module<Tensor, Tensor>, ISequenceClassifier
{
    public const string Kind = "mean-pool";

    readonly Embedding embedding;
    readonly Linear head;

    public MeanPoolClassifierConfig Config { get; }
    public int VocabularySize => Config.VocabularySize;
    public int Classes => Config.Classes;

    public MeanPoolClassifier(MeanPoolClassifierConfig config) : base(nameof(MeanPoolClassifier))
    {
        Config = config;
        embedding = nn.Embedding(config.VocabularySize, config.EmbeddingDim);
        head = nn.Linear(config.EmbeddingDim, config.Classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens) // (B, T) -> (B, C)
    {
        TokenChecks.Tokens(tokens, VocabularySize, nameof(MeanPoolClassifier));
        var embedded = embedding.forward(tokens); // (B, T, E)
        var pooled = embedded.mean([1]);           // (B, E)
        return head.forward(pooled);               // (B, C)
    }

    public Tensor Logits(Tensor tokens) => forward(tokens);

    public (Tensor Loss, Tensor Logits) Objective(Tensor tokens, Tensor labels)
    {
        var logits = forward(tokens);
        TokenChecks.Labels(labels, tokens.shape[0], Classes, nameof(MeanPoolClassifier));
        return (nn.functional.cross_entropy(logits, labels), logits);
    }
}
