using System.Text.Json;
using Raccoon.Research.Ledger;

namespace Raccoon.Research.Experiments;

/// <summary>Whether a stored result file reads whole as the result it is named for, and if not, what is wrong with it.</summary>
public static class StoredResultCheck
{
    /// <summary>Null when <paramref name="path"/> holds <paramref name="experiment"/>'s result for the profile and
    /// seed (given back in <paramref name="result"/>); else the problem in words ("is truncated: ...").</summary>
    public static string? Problem(string path, string experiment, Profile profile, int seed, out StoredResult? result)
    {
        result = null;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot be read ({e.Message})";
        }
        if (text.Trim().Length == 0) return "is empty (a write that never finished?)";
        try
        {
            result = JsonSerializer.Deserialize<StoredResult>(text, Json.Options);
        }
        catch (JsonException e)
        {
            return EndsEarly(text)
                ? $"is truncated: its JSON ends early ({e.Message})"
                : $"is corrupt or of an older format: not valid result JSON ({e.Message})";
        }
        if (result is null || result.Experiment is null || result.Measurements is null || result.LibraryVersion is null
            || result.Figures is null || result.Tables is null)
        {
            result = null;
            return "is corrupt: it lacks the experiment, build, measurements, figures or tables";
        }
        if (result.Experiment != experiment || result.Profile != profile || result.Seed != seed)
        {
            string found = $"{result.Experiment} {result.Profile.ToString().ToLowerInvariant()} seed {result.Seed}";
            result = null;
            return $"holds the result of {found}, not the one its name says";
        }
        if (result.Measurements.Any(m => m is null || m.ClaimId is null))
        {
            result = null;
            return "is corrupt: a measurement lacks its claim";
        }
        return null;
    }

    /// <summary>True when <paramref name="text"/> is a valid beginning of a JSON document that stops before its
    /// value is complete, wherever the cut falls (inside a string, a number, a literal or between tokens):
    /// the text is read as a block more data could follow, so only a real syntax error throws.</summary>
    public static bool EndsEarly(string text)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text.TrimEnd());
        var reader = new Utf8JsonReader(bytes, isFinalBlock: false, state: default);
        try
        {
            bool complete = false; // the top-level value has closed
            while (reader.Read())
                complete = reader.CurrentDepth == 0 && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray);
            return !complete || reader.BytesConsumed < bytes.Length;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
