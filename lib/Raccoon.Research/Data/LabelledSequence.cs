namespace Raccoon.Research.Data;

/// <summary>One example of a sequence-classification task: token ids and a class label.</summary>
public sealed record LabelledSequence(long[] Tokens, int Label);
