namespace Raccoon.Research.Data.Logs;

/// <summary>
/// A character vocabulary: symbol i is token id i. The two upstream log tasks each define one;
/// <see cref="Encode"/> rejects a character outside it, <see cref="EncodeFolding"/> maps it to id 0
/// ('_') as the upstream encoders silently do.
/// </summary>
public sealed class CharVocabulary
{
    readonly Dictionary<char, int> index;

    public string Name { get; }
    /// <summary>The symbols in id order.</summary>
    public string Symbols { get; }
    public int Size => Symbols.Length;
    /// <summary>The padding symbol (id 0 in both upstream vocabularies).</summary>
    public char Padding => Symbols[0];

    public CharVocabulary(string name, string symbols)
    {
        if (symbols.Length == 0) throw new ArgumentException("a vocabulary needs at least one symbol", nameof(symbols));
        Name = name;
        Symbols = symbols;
        index = new Dictionary<char, int>(symbols.Length);
        for (int i = 0; i < symbols.Length; i++)
            if (!index.TryAdd(symbols[i], i))
                throw new ArgumentException($"vocabulary '{name}' lists '{symbols[i]}' twice", nameof(symbols));
    }

    /// <summary>latent_drift_trajectory.py's log vocabulary: '_', A-Z, '!', '>', '?', then 0-9 (40 symbols).</summary>
    public static CharVocabulary TemplateLogs { get; } =
        new("template-logs-40", "_ABCDEFGHIJKLMNOPQRSTUVWXYZ!>?0123456789");

    /// <summary>raccoon_alternative.py's vocabulary: '_', A-Z, 0-9, '!', '>', '?', ':', '-', '.' (43 symbols).</summary>
    public static CharVocabulary RealisticLogs { get; } =
        new("realistic-logs-43", "_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!>?:-.");

    /// <summary>The vocabularies a checkpoint may name.</summary>
    public static IReadOnlyList<CharVocabulary> Known { get; } = [TemplateLogs, RealisticLogs];

    public static CharVocabulary ByName(string name) =>
        Known.FirstOrDefault(v => v.Name == name)
        ?? throw new ArgumentException($"unknown vocabulary '{name}': known are {string.Join(", ", Known.Select(v => v.Name))}");

    public bool Contains(char c) => index.ContainsKey(c);

    /// <summary>Token ids of <paramref name="text"/>; a character outside the vocabulary is an error naming it and its position.</summary>
    public long[] Encode(string text)
    {
        var ids = new long[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            if (!index.TryGetValue(text[i], out int id))
                throw new ArgumentException(
                    $"character '{Printable(text[i])}' at position {i} of \"{Shorten(text)}\" is outside vocabulary '{Name}' ({Size} symbols: {Symbols})");
            ids[i] = id;
        }
        return ids;
    }

    /// <summary>Token ids with every unknown character mapped to id 0, as upstream's encode_log / encode_sequence do.</summary>
    public long[] EncodeFolding(string text)
    {
        var ids = new long[text.Length];
        for (int i = 0; i < text.Length; i++) ids[i] = index.GetValueOrDefault(text[i], 0);
        return ids;
    }

    /// <summary><paramref name="text"/> as the model sees it under <see cref="EncodeFolding"/>: unknown characters become the padding symbol.</summary>
    public string Fold(string text) => string.Create(text.Length, text, (span, t) =>
    {
        for (int i = 0; i < t.Length; i++) span[i] = index.ContainsKey(t[i]) ? t[i] : Padding;
    });

    public string Decode(ReadOnlySpan<long> ids)
    {
        var chars = new char[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] < 0 || ids[i] >= Size)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {ids[i]} at position {i} is outside vocabulary '{Name}' [0, {Size})");
            chars[i] = Symbols[(int)ids[i]];
        }
        return new string(chars);
    }

    /// <summary>Pads with the padding symbol or truncates to <paramref name="length"/>, as both upstream tasks do.</summary>
    public string PadOrTruncate(string text, int length) =>
        text.Length >= length ? text[..length] : text + new string(Padding, length - text.Length);

    public override string ToString() => $"{Name} ({Size} symbols)";

    static string Printable(char c) => char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : c.ToString();
    static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
