namespace Raccoon.Research.Blocks.Memory;

/// <summary>One stored example: token ids and the class label. Plain managed memory, no tensor per item.</summary>
public sealed record LabelledSequence(long[] Tokens, long Label);
