using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Raccoon.Research.Ledger;

/// <summary>The document's figure: its words, and the number a rule compares with where it has one.
/// <paramref name="Upper"/> closes a claimed range ("2-10x": Value 2, Upper 10).</summary>
public sealed record ClaimedFigure(string Text, double? Value = null, string? Unit = null, double? Upper = null);

/// <summary>
/// How a verdict is decided, fixed in claims.json before any run; the ledger alone applies it (see <see cref="Judge"/>):
/// a rule kind (see <see cref="VerdictRules"/>), its tolerance, a one-line <paramref name="Reason"/> for both, the
/// smallest profile at which the verdict is final (<paramref name="MinProfile"/>; below it a row is provisional), and
/// for a ratio the no-effect band <paramref name="NoEffect"/> (a factor around 1: within [1/f, f] nothing changed).
/// <list type="bullet">
/// <item><paramref name="Figure"/>: the named figure a numeric rule reads (default: the measurement's headline value).</item>
/// <item><paramref name="Direction"/>: "at-least" (a claim of a minimum: past it in the claimed direction holds, never
/// fails) or "at-most"; default: the claimed figure itself.</item>
/// <item><paramref name="Conditions"/> with <paramref name="Combine"/> ("all": holds when every condition holds, else
/// fails; "tally": holds when all hold, partly when some do, fails when none does) for the kind "conditions".</item>
/// <item><paramref name="Requires"/>: conditions a numeric verdict also needs (R0-09's latency side): where one is
/// false, holds becomes partly and partly fails.</item>
/// <item><paramref name="Given"/>: conditions under which the measurement can test the claim at all (a gap to recover);
/// where one is not met or undecided, the row is inconclusive.</item>
/// <item><paramref name="InconsistentWhen"/>: a condition under which the document contradicts itself.</item>
/// <item><paramref name="Convergence"/>: the plateau test every training trace of the measurement must pass before
/// any figure from it is judged; a trace that fails it makes the row inconclusive.</item>
/// <item><paramref name="Search"/>: for a ratio of the largest sizes at which training stays stable (T1-10), what
/// "destabilised" means and which two arms are compared; the ledger reads the measurement's runs with it (see
/// <see cref="BreakSearch"/>) and judges the ratio, censored where the search ran out.</item>
/// </list>
/// </summary>
public sealed record VerdictRule(string Kind, double? Tolerance = null, string? Reason = null, string? MinProfile = null,
    double? NoEffect = null, string? Figure = null, string? Direction = null, string? Combine = null,
    IReadOnlyList<Condition>? Conditions = null, IReadOnlyList<Condition>? Requires = null, Condition? InconsistentWhen = null,
    ConvergenceRule? Convergence = null, IReadOnlyList<Condition>? Given = null, BreakSearch? Search = null)
{
    /// <summary>The profiles in increasing size, as claims.json and the ledger spell them: reference (training at
    /// convergence, up to the documents' sizes) sits between standard and full.</summary>
    public static readonly IReadOnlyList<string> Profiles = ["quick", "standard", "reference", "full"];

    /// <summary>Whether a verdict measured at <paramref name="profile"/> is below this rule's minimum profile.</summary>
    public bool IsProvisionalAt(string profile)
    {
        if (MinProfile is null) return false;
        int at = ProfileRank(profile), min = ProfileRank(MinProfile);
        return at < min;
    }

    public static int ProfileRank(string profile)
    {
        int i = Profiles.ToList().FindIndex(p => string.Equals(p, profile, StringComparison.OrdinalIgnoreCase));
        return i >= 0 ? i : throw new ArgumentException($"unknown profile '{profile}' (expected quick, standard, reference or full)", nameof(profile));
    }
}

/// <summary>One claim of one document, as kept in Ledger/claims.json: <paramref name="Short"/> is its title in a few
/// words (tables, headings), <paramref name="Text"/> what the document claims, <paramref name="Method"/> how this
/// project was asked to test it (kept apart from the claim, null where the claim says it all).</summary>
public sealed record Claim(
    string Id, string Document, string Source, string Title, string Text,
    ClaimedFigure Claimed, VerdictRule Rule, string Notebook, string? Short = null, string? Method = null)
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
        ClaimedFigure Claimed, VerdictRule Rule, string Notebook, string? Short, string? Method);

    static IReadOnlyList<Claim> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Raccoon.Research.Ledger.claims.json")
            ?? throw new InvalidOperationException("claims.json is not embedded in the library");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    /// <summary>Claims from the text of a claims.json, each rule validated: a rule that cannot hold, or has
    /// no reason, is an <see cref="InvalidDataException"/> naming the claim.</summary>
    public static IReadOnlyList<Claim> Parse(string json)
    {
        var rows = JsonSerializer.Deserialize<List<Row>>(json, Json.Options) ?? throw new InvalidDataException("claims.json is empty");
        var claims = rows.Select(r => new Claim(r.Id, r.Document, r.Source, r.Title, r.Claim, r.Claimed,
            r.Rule ?? throw new InvalidDataException($"claim {r.Id} has no rule"), r.Notebook,
            string.IsNullOrWhiteSpace(r.Short) ? throw new InvalidDataException($"claim {r.Id} has no short title") : r.Short.Trim(),
            string.IsNullOrWhiteSpace(r.Method) ? null : r.Method.Trim())).ToList();
        var duplicate = claims.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"claims.json lists claim {duplicate.Key} twice");
        foreach (var c in claims) VerdictRules.Validate(c);
        return claims;
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
