using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;

namespace Raccoon.Research.Experiments;

/// <summary>
/// One finished experiment of the reference run (<see cref="Profile.Reference"/>), as committed under
/// <c>results/reference/</c> of the repository: its measurements (with their held-out traces and why each stopped),
/// the sizes it ran at, the machine, the commit and the date, its wall and CPU time. Figures and tables are left out
/// to keep the file small; <c>reproduce --reference</c> judges the claims' rows from the measurements.
/// </summary>
/// <param name="Commit">The commit the run was built from (<c>git describe --always --dirty</c>: "-dirty" when the tree had changes).</param>
/// <param name="LibraryVersion">The library build that ran it (it changes with any code change, so it is reported, not required).</param>
/// <param name="CpuSeconds">CPU time of the process while the experiment ran in its last sitting (a unit resumed from
/// checkpoints spent more in earlier ones); null where the result was reused, not computed.</param>
/// <param name="Sizes">The experiment's reference sizes record as JSON; null where it declares none.</param>
public sealed record ReferenceResult(
    string Format, string Experiment, int Seed, string Commit, DateTimeOffset FinishedAt, string LibraryVersion, int Threads,
    double Seconds, double? CpuSeconds, string? Sizes, MachineContext Machine, IReadOnlyList<Measurement> Measurements)
{
    public const string CurrentFormat = "raccoon-reference-result/1";

    /// <summary>"reference run, 2026-12-07, 1a2b3c4": how a ledger row names where it comes from.</summary>
    public string Source => $"{SourceStart}{FinishedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}, {Commit}";

    /// <summary>A row's evidence when judged from this result: <see cref="Source"/>, then the measurement's own evidence.</summary>
    public string Evidence(string measured) => Source + SourceEnd + measured;

    const string SourceStart = "reference run, ", SourceEnd = "; ";

    /// <summary>The <see cref="Source"/> an evidence written by <see cref="Evidence"/> opens with, or null where it has none.</summary>
    public static string? SourceOf(string? evidence) =>
        evidence is not null && evidence.StartsWith(SourceStart, StringComparison.Ordinal) && evidence.IndexOf(SourceEnd, StringComparison.Ordinal) is int i and > 0
            ? evidence[..i] : null;
}

/// <summary>The committed reference results: written as each experiment of a reference run finishes, read back
/// (refusing by name a damaged file, or one of another experiment, seed or sizes) to assemble the ledger.</summary>
public static class ReferenceResults
{
    /// <summary>results/reference/ of the repository.</summary>
    public static string DefaultDirectory => Path.Combine(RepositoryFolder.Root, "results", "reference");

    public static string PathFor(string dir, string experiment, int seed) =>
        Path.Combine(dir, $"{experiment}.seed{seed.ToString(CultureInfo.InvariantCulture)}.json");

    /// <summary>Writes <paramref name="result"/> of a reference run into <paramref name="dir"/>, whole or not at all. A result
    /// reused, not computed (<paramref name="cpuSeconds"/> null), whose file is already there from the run that computed it
    /// (the same finish time) leaves that file as it is: writing it again would lose the CPU time and the commit it ran at.</summary>
    public static ReferenceResult Save(string dir, IExperiment experiment, StoredResult result, double? cpuSeconds, MachineContext machine, string? commit = null)
    {
        if (result.Profile != Profile.Reference)
            throw new ArgumentException($"'{result.Experiment}' ran at profile {result.Profile.ToString().ToLowerInvariant()}: only a reference run's results are committed as reference results");
        if (cpuSeconds is null && Existing(dir, experiment, result.Seed) is { } existing && existing.FinishedAt == result.FinishedAt)
            return existing;
        var reference = new ReferenceResult(ReferenceResult.CurrentFormat, result.Experiment, result.Seed, commit ?? Commit(), result.FinishedAt,
            result.LibraryVersion, result.Threads, result.Seconds, cpuSeconds, SizesText(experiment), machine, result.Measurements);
        AtomicFile.WriteAllText(PathFor(dir, result.Experiment, result.Seed), JsonSerializer.Serialize(reference, Json.Options));
        return reference;
    }

    /// <summary>The file already in <paramref name="dir"/>, or null where there is none or it would be refused (damaged, or
    /// of other sizes): such a file is written over, as before a reused result kept a computed one.</summary>
    static ReferenceResult? Existing(string dir, IExperiment experiment, int seed)
    {
        try
        {
            return Load(dir, experiment, seed);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>The reference result of <paramref name="experiment"/> at <paramref name="seed"/> in <paramref name="dir"/>; null
    /// where none was committed. A file that does not read whole, or holds another experiment, seed, format or sizes than
    /// today's reference sizes, is refused: an <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public static ReferenceResult? Load(string dir, IExperiment experiment, int seed)
    {
        string path = PathFor(dir, experiment.Name, seed);
        if (!File.Exists(path)) return null;
        string text = File.ReadAllText(path);
        ReferenceResult? r;
        try
        {
            r = JsonSerializer.Deserialize<ReferenceResult>(text, Json.Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"reference result '{path}' " + (StoredResultCheck.EndsEarly(text)
                ? $"is truncated: its JSON ends early ({e.Message})" : $"is damaged: not valid JSON ({e.Message})"), e);
        }
        InvalidDataException Refused(string why) => new($"reference result '{path}' {why}; run it again (reproduce --profile reference --only {string.Join(' ', experiment.Claims)})");
        void Refuse(string why) => throw Refused(why);
        if (r is null || r.Experiment is null || r.Measurements is null || r.Commit is null || r.Machine is null || r.Format is null)
            throw Refused("is damaged: it lacks the experiment, measurements, commit, machine or format");
        if (r.Format != ReferenceResult.CurrentFormat) Refuse($"is of format '{r.Format}', not '{ReferenceResult.CurrentFormat}'");
        if (r.Experiment != experiment.Name) Refuse($"holds experiment '{r.Experiment}', not '{experiment.Name}'");
        if (r.Seed != seed) Refuse($"holds seed {r.Seed}, not seed {seed}");
        if (r.Measurements.Any(m => m is null || m.ClaimId is null)) Refuse("is damaged: a measurement lacks its claim");
        string? sizes = SizesText(experiment);
        if (sizes is not null && r.Sizes != sizes) Refuse($"was run at other sizes ({r.Sizes ?? "none recorded"}) than today's reference sizes ({sizes})");
        var missing = experiment.Claims.Except(r.Measurements.Select(m => m.ClaimId)).ToList();
        if (missing.Count > 0) Refuse($"has no measurement for {string.Join(", ", missing)}");
        return r;
    }

    static string? SizesText(IExperiment experiment) =>
        experiment.SizesAt(Profile.Reference) is { } s ? JsonSerializer.Serialize(s, s.GetType(), OneLine) : null;

    static readonly JsonSerializerOptions OneLine = new(Json.Options) { WriteIndented = false };

    /// <summary>The commit of the repository this runs in (<c>git describe --always --dirty</c>), or "unknown commit" without git.</summary>
    public static string Commit()
    {
        try
        {
            var start = new ProcessStartInfo("git", "describe --always --dirty --abbrev=10")
            {
                WorkingDirectory = RepositoryFolder.Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            using var git = Process.Start(start)!;
            string output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 && output.Length > 0 ? output : "unknown commit";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "unknown commit";
        }
    }
}
