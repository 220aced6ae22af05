using Raccoon.Research.Runtime;

namespace Raccoon.Research.Experiments;

/// <summary>What a reproduction runs: the claims (none: every claim), the profile, the output folder, threads, seed,
/// whether stored results are reused, the device, for one task of an array its shard, and whether a
/// finished experiment keeps its training files (to export the trained models).</summary>
/// <param name="ReferenceDir">The committed reference results (results/reference/ of the repository): a run at
/// <see cref="Profile.Reference"/> writes each finished experiment there; with <paramref name="UseReference"/> the ledger's
/// rows of the experiments found there are judged from them, beside this run's own verdict.</param>
/// <param name="TrainingDir">Where training phases keep their resume files, when not in <paramref name="OutDir"/>: one folder the
/// tasks of a job array share, so training units trained by some tasks (<c>--units --shard K/N</c>) resume finished in the shard
/// that runs their experiment.</param>
public sealed record ReproductionOptions(
    IReadOnlyList<string> Only, Profile Profile, string OutDir, int Threads, int Seed, bool Reuse = true,
    ComputeDevice Device = ComputeDevice.Cpu, Shard? Shard = null, bool KeepTraining = false,
    string? ReferenceDir = null, bool UseReference = false, string? TrainingDir = null);

/// <summary>An experiment that threw: its name and the error, for the command line to report.</summary>
public sealed record ExperimentFailure(string Experiment, string Error);

