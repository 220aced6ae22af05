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
            return e.Message.Contains("end of data", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("incomplete", StringComparison.OrdinalIgnoreCase)
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
}
