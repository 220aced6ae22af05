using Raccoon.Research.Runtime;

namespace Raccoon.Research.Experiments;

/// <summary>What a reproduction runs: the claims (none: every claim), the profile, the output folder, threads, seed,
/// whether stored results are reused, the device and, for one task of an array, its shard.</summary>
public sealed record ReproductionOptions(
    IReadOnlyList<string> Only, Profile Profile, string OutDir, int Threads, int Seed, bool Reuse = true,
    ComputeDevice Device = ComputeDevice.Cpu, Shard? Shard = null);

/// <summary>An experiment that threw: its name and the error, for the command line to report.</summary>
public sealed record ExperimentFailure(string Experiment, string Error);

