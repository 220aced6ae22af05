using static TorchSharp.torch;

namespace Raccoon.Research.Models;

/// <summary>
/// A classifier of token sequences that trains by minimising its own objective (cross-entropy plus
/// whatever regularisers the model defines: KL terms, normality tests). The trainer, the evaluation
/// and the measurements see every model through this contract.
/// </summary>
public interface ISequenceClassifier
{
    /// <summary>Vocabulary size; token ids must lie in [0, VocabularySize).</summary>
    int VocabularySize { get; }

    /// <summary>Number of classes the logits score.</summary>
    int Classes { get; }

    /// <summary>Class scores for a batch of token ids: (B, T) int64 -> (B, Classes). Inference path.</summary>
    Tensor Logits(Tensor tokens);

    /// <summary>The training objective on a batch: a scalar loss and the logits it was computed from.</summary>
    (Tensor Loss, Tensor Logits) Objective(Tensor tokens, Tensor labels);
}
