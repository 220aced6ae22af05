using static TorchSharp.torch;

namespace Raccoon.Research.Models.LatentOde;

/// <summary>
/// Upstream's SyntheticTargetDataset: "?", a letter, ">", then a body of underscores (64 upstream) holding
/// an 8-long run of that letter at a uniform start, each body symbol replaced by "!" with probability 1/16.
/// Alphabet "_ A-Z ! > ?" (30 symbols; upstream's comment says 29). Seeded: the same seed gives the same batches.
/// </summary>
public sealed class TargetLetterTask
{
    public const string Alphabet = "_ABCDEFGHIJKLMNOPQRSTUVWXYZ!>?";
    public const int Underscore = 0, Bang = 27, Arrow = 28, Question = 29;
    public const int RunLength = 8;
    public const double NoiseProbability = 1.0 / 16;

    readonly Random random;

    public int BodyLength { get; }
    public int SequenceLength => BodyLength + 3;

    public TargetLetterTask(int seed, int bodyLength = 64)
    {
        if (bodyLength < RunLength) throw new ArgumentException($"the body must hold the {RunLength}-long run: length {bodyLength} is too short");
        random = new Random(seed);
        BodyLength = bodyLength;
    }

    /// <summary>A batch of token ids (n, BodyLength + 3), int64.</summary>
    public Tensor Batch(int n) => tensor(Ids(n), [n, SequenceLength]);

    /// <summary>Draws <paramref name="batches"/> batches of <paramref name="n"/> and drops them: the stream goes on as after
    /// that many <see cref="Batch"/> calls (a resumed training run's data continue where the stopped run's did).</summary>
    public void Skip(int batches, int n)
    {
        for (int i = 0; i < batches; i++) Ids(n);
    }

    long[] Ids(int n)
    {
        if (n < 1) throw new ArgumentException($"batch size must be positive, got {n}");
        var ids = new long[n * SequenceLength];
        for (int b = 0; b < n; b++)
        {
            int letter = 1 + random.Next(26);
            int start = random.Next(BodyLength - RunLength + 1);
            int o = b * SequenceLength;
            ids[o] = Question; ids[o + 1] = letter; ids[o + 2] = Arrow;
            for (int i = 0; i < BodyLength; i++)
            {
                long s = i >= start && i < start + RunLength ? letter : Underscore;
                if (random.NextDouble() < NoiseProbability) s = Bang;
                ids[o + 3 + i] = s;
            }
        }
        return ids;
    }

    public static string Decode(Tensor row) => new(row.data<long>().Select(i => Alphabet[(int)i]).ToArray());
}
