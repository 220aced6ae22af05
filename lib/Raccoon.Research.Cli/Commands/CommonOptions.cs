using System.CommandLine;
using Raccoon.Research.Experiments;
using Raccoon.Research.Reporting;
using Raccoon.Research.Runtime;

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
        Description = "quick (CI), standard (default, within 30 minutes on 2 cores), full (the documents' sizes) or reference (training experiments trained to their claims' plateau at the smallest size that converges; the rest at standard)",
        DefaultValueFactory = _ => "standard",
    };

    public static Option<string?> Threads() => new("--threads")
    {
        Description = "Threads for torch (default: every core); reported with every timing",
    };

    public static Option<int> Seed() => new("--seed")
    {
        Description = "Seed for data, initialisation and sampling",
        DefaultValueFactory = _ => 1,
    };

    public static Option<string> Device() => new("--device")
    {
        Description = "cpu (default) or cuda: where models and tensors go (cuda needs the CUDA libtorch package, see environment.md)",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>The device, checked at once: cuda without a CUDA libtorch is a usage error saying what to install.</summary>
    public static ComputeDevice ParseDevice(string? text, int threads)
    {
        try
        {
            var device = TorchDevice.Parse(text);
            if (device != ComputeDevice.Cpu) TorchDevice.Use(device, threads); // checked now, before any work
            // Notebook processes started from here inherit it (NotebookSession.Device).
            Environment.SetEnvironmentVariable(NotebookSession.DeviceVariable, TorchDevice.Name(device));
            return device;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new UsageException(e.Message);
        }
    }

    public static Profile ParseProfile(string text) => text.ToLowerInvariant() switch
    {
        "quick" => Profile.Quick,
        "standard" => Profile.Standard,
        "full" => Profile.Full,
        "reference" => Profile.Reference,
        _ => throw new UsageException($"unknown profile '{text}': use quick, standard, full or reference"),
    };

    /// <summary>The thread count (default: every core); parsed here, not by the parser, so "two" gets the same one-line error as 0.</summary>
    public static int ParseThreads(string? threads)
    {
        if (threads is null) return Environment.ProcessorCount;
        if (!int.TryParse(threads.Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n))
            throw new UsageException($"--threads must be a whole number of at least 1, got '{threads}'");
        if (n < 1) throw new UsageException($"--threads must be at least 1, got {n}");
        return n;
    }
}

/// <summary>Bad input from the command line: printed as one line, exit code 2.</summary>
sealed class UsageException(string message) : Exception(message);
