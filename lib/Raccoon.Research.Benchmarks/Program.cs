using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "overhead") return Raccoon.Research.Benchmarks.OverheadBenchmark.Run(args[1..]);
if (args.Length > 0 && args[0] == "hypermixer") return Raccoon.Research.Benchmarks.HyperMixerProfile.Run(args[1..]);

// In-process always: the benchmarks must run in this process, which loads the build's patched
// libLibTorchSharp; a separately generated and built benchmark process would not.
string[] arguments = args.Contains("--inProcess", StringComparer.OrdinalIgnoreCase) ? args : [.. args, "--inProcess"];
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(arguments, DefaultConfig.Instance.WithOptions(ConfigOptions.DisableOptimizationsValidator));
return 0;
