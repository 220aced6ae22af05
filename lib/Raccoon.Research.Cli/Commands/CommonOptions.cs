using System.CommandLine;
using Raccoon.Research.Experiments;

namespace Raccoon.Research.Cli.Commands;

/// <summary>Options several commands share, each parsed once with a clear error.</summary>
static class CommonOptions
{
    public static Option<string> Out() => new("--out")
    {
        Description = "Folder for claims.json, claims.csv, report/ and results/",
        DefaultValueFactory = _ => "artifacts",
    };

    public static Option<string> ProfileOption() => new("--profile")
    {
        Description = "quick (CI), standard (default, at most 15 minutes on 2 cores) or full (the documents' sizes)",
        DefaultValueFactory = _ => "standard",
    };

    public static Option<int?> Threads() => new("--threads")
    {
        Description = "Threads for torch (default: every core); reported with every timing",
    };

    public static Option<int> Seed() => new("--seed")
    {
        Description = "Seed for data, initialisation and sampling",
        DefaultValueFactory = _ => 1,
    };

    public static Profile ParseProfile(string text) => text.ToLowerInvariant() switch
    {
        "quick" => Profile.Quick,
        "standard" => Profile.Standard,
        "full" => Profile.Full,
        _ => throw new UsageException($"unknown profile '{text}': use quick, standard or full"),
    };

    public static int ParseThreads(int? threads)
    {
        int n = threads ?? Environment.ProcessorCount;
        if (n < 1) throw new UsageException($"--threads must be at least 1, got {n}");
        return n;
    }
}

/// <summary>Bad input from the command line: printed as one line, exit code 2.</summary>
sealed class UsageException(string message) : Exception(message);
