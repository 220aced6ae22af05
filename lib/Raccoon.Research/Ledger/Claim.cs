using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Raccoon.Research.Ledger;

/// <summary>The document's figure: its words, and the number a rule compares with where it has one.</summary>
public sealed record ClaimedFigure(string Text, double? Value = null, string? Unit = null);

/// <summary>How a verdict is decided: a rule kind (see <see cref="VerdictRules"/>) and its tolerance.</summary>
public sealed record VerdictRule(string Kind, double? Tolerance = null);

/// <summary>One claim of one document, as kept in Ledger/claims.json.</summary>
public sealed record Claim(
    string Id, string Document, string Source, string Title, string Text,
    ClaimedFigure Claimed, VerdictRule Rule, string Notebook)
{
    /// <summary>"R0" for "R0-01": the document's prefix.</summary>
    public string Prefix => Id[..Id.IndexOf('-')];
}

/// <summary>Every claim of the five documents, loaded from the library's embedded claims.json.</summary>
public static class ClaimCatalog
{
    static readonly Lazy<IReadOnlyList<Claim>> Claims = new(Load);

    public static IReadOnlyList<Claim> All => Claims.Value;

    public static Claim Get(string id) =>
        All.FirstOrDefault(c => c.Id == id) ?? throw new KeyNotFoundException($"no claim '{id}'; valid IDs: {string.Join(", ", All.Select(c => c.Id))}");

    /// <summary>Claims whose ID equals or starts with one of the selectors ("R0", "R0-0", "H4-01").</summary>
    public static IReadOnlyList<Claim> Select(IEnumerable<string> selectors)
    {
        var list = selectors.ToList();
        if (list.Count == 0) return All;
        var unknown = list.Where(s => !All.Any(c => c.Id.StartsWith(s, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException(
                $"unknown claim ID or prefix: {string.Join(", ", unknown)}. Valid IDs: {string.Join(", ", All.Select(c => c.Id))} (or a prefix such as R0, T1, V2, G3, H4)");
        return All.Where(c => list.Any(s => c.Id.StartsWith(s, StringComparison.OrdinalIgnoreCase))).ToList();
    }

    sealed record Row(string Id, string Document, string Source, string Title, string Claim,
        ClaimedFigure Claimed, VerdictRule Rule, string Notebook);

    static IReadOnlyList<Claim> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Raccoon.Research.Ledger.claims.json")
            ?? throw new InvalidOperationException("claims.json is not embedded in the library");
        var rows = JsonSerializer.Deserialize<List<Row>>(stream, Json.Options) ?? throw new InvalidDataException("claims.json is empty");
        return rows.Select(r => new Claim(r.Id, r.Document, r.Source, r.Title, r.Claim, r.Claimed, r.Rule, r.Notebook)).ToList();
    }
}

/// <summary>One set of JSON options for every file the project writes and reads.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };
}
