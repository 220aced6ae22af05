namespace Raccoon.Research.Data.Text;

/// <summary>
/// RustGPT's word-level tokenisation (69aa104): split on whitespace; inside a word every ASCII
/// punctuation character is a token of its own and the letters between them form words; the word
/// "&lt;/s&gt;" is the end-of-sequence token. The vocabulary is every piece of the corpus plus
/// "&lt;/s&gt;", sorted by ordinal (byte) order. Upstream builds the vocabulary without the
/// "&lt;/s&gt;" exception, so "&lt;", "/", "s" and "&gt;" enter it too; kept here for the same counts.
/// Unlike upstream, which silently drops unknown words, <see cref="Encode"/> throws on them.
/// </summary>
public sealed class Vocabulary
{
    public const string EndOfSequence = "</s>";

    readonly Dictionary<string, int> ids;

    public IReadOnlyList<string> Words { get; }
    public int Size => Words.Count;
    public long EndToken => ids[EndOfSequence];

    Vocabulary(IEnumerable<string> words)
    {
        Words = words.ToList();
        ids = Words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
    }

    /// <summary>The vocabulary of <paramref name="texts"/>, built as upstream's process_text_for_vocab builds it.</summary>
    public static Vocabulary Build(IEnumerable<string> texts)
    {
        var set = new HashSet<string>(StringComparer.Ordinal) { EndOfSequence };
        foreach (var text in texts)
            foreach (var word in SplitWhitespace(text))
                set.UnionWith(Pieces(word));
        return new Vocabulary(set.OrderBy(w => w, StringComparer.Ordinal));
    }

    /// <summary>The tokens of <paramref name="text"/> as strings, upstream's tokenize rules.</summary>
    public static IEnumerable<string> Split(string text)
    {
        foreach (var word in SplitWhitespace(text))
        {
            if (word == EndOfSequence) { yield return word; continue; }
            foreach (var piece in Pieces(word)) yield return piece;
        }
    }

    public long[] Encode(string text) =>
        Split(text).Select(p => ids.TryGetValue(p, out int id) ? (long)id
            : throw new ArgumentException($"'{p}' is not in the vocabulary ({Size} words)")).ToArray();

    public string Decode(IEnumerable<long> tokens) =>
        string.Join(' ', tokens.Select(t => t >= 0 && t < Size ? Words[(int)t]
            : throw new ArgumentException($"token id {t} is outside the vocabulary [0, {Size})")));

    static IEnumerable<string> SplitWhitespace(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    static IEnumerable<string> Pieces(string word)
    {
        var current = new System.Text.StringBuilder();
        foreach (char c in word)
        {
            if (char.IsAscii(c) && char.IsPunctuation(c) || char.IsAscii(c) && char.IsSymbol(c))
            {
                if (current.Length > 0) { yield return current.ToString(); current.Clear(); }
                yield return c.ToString();
            }
            else current.Append(c);
        }
        if (current.Length > 0) yield return current.ToString();
    }
}
