using Raccoon.Research.Runtime;

namespace Raccoon.Research.Experiments;

/// <summary>What a reproduction runs: the claims (none: every claim), the profile, the output folder, threads, seed,
/// whether stored results are reused, the device, for one task of an array its shard, and whether a
/// finished experiment keeps its training files (to export the trained models).</summary>
public sealed record ReproductionOptions(
    IReadOnlyList<string> Only, Profile Profile, string OutDir, int Threads, int Seed, bool Reuse = true,
    ComputeDevice Device = ComputeDevice.Cpu, Shard? Shard = null, bool KeepTraining = false);

/// <summary>An experiment that threw: its name and the error, for the command line to report.</summary>
public sealed record ExperimentFailure(string Experiment, string Error);

