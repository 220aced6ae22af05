using System.CommandLine;
using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Experiments;
using Raccoon.Research.Reporting;

namespace Raccoon.Research.Cli.Commands;

/// <summary>parity: times every model against its PyTorch definition, interleaved, and writes DIR/parity/.</summary>
static class ParityCommand
{
    public static Command Create()
    {
        var outDir = CommonOptions.Out();
        var threads = CommonOptions.Threads();
        var seed = CommonOptions.Seed();
        var only = new Option<string[]>("--only")
        {
            Description = "Case keys or prefixes (glyph-cnn, language-models/transformer, ...); default: all",
            AllowMultipleArgumentsPerToken = true,
        };
        var rounds = new Option<int>("--rounds") { Description = "Rounds per step, the side going first alternating", DefaultValueFactory = _ => 6 };
        var repeats = new Option<int>("--repeats") { Description = "Samples per side per round", DefaultValueFactory = _ => 5 };
        var leakSteps = new Option<int>("--leak-steps") { Description = "Training steps of each model's leak check (0: none)", DefaultValueFactory = _ => 2000 };
        var leakSeconds = new Option<double>("--leak-seconds") { Description = "A slow model's leak check stops after about this many seconds (the table gives its steps)", DefaultValueFactory = _ => 60 };
        var noFunction = new Option<bool>("--no-function") { Description = "Skip the function checks (same weights, inputs and seeds on both sides: outputs, loss, gradients, 5 SGD steps)" };
        var cmd = new Command("parity", "Time every model's inference and training step against a PyTorch definition of the same architecture (Debian's python3-torch), measure the machine's matmul and convolution peak, check each training step for leaks; writes DIR/parity/ and adds the table to DIR/report/index.html")
        {
            outDir, threads, seed, only, rounds, repeats, leakSteps, leakSeconds, noFunction,
        };
        cmd.SetAction(parse => Cli.Guard(() =>
        {
            var options = new ParityOptions(CommonOptions.ParseThreads(parse.GetValue(threads)), parse.GetValue(seed),
                Rounds: parse.GetValue(rounds), Repeats: parse.GetValue(repeats), LeakSteps: parse.GetValue(leakSteps), Only: parse.GetValue(only) ?? [], LeakSeconds: parse.GetValue(leakSeconds),
                Function: !parse.GetValue(noFunction));
            try
            {
                options.Validate();
                ParityBenchmark.Select(ParityCases.All, options.Only!);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            string dir = parse.GetValue(outDir)!;
            IO.AtomicFile.EnsureWritableDirectory(dir);
            ParityRun run;
            try
            {
                run = ParityBenchmark.Run(ParityCases.All, options, s => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] parity: {s}"));
            }
            catch (InvalidOperationException e) when (e.Message.StartsWith("no Python here imports torch", StringComparison.Ordinal))
            {
                throw new UsageException(e.Message);
            }
            ParityFiles.Write(dir, run);
            Console.WriteLine(Views.TableFormats.Markdown(run.ParityTable()));
            if (run.Functions is { Count: > 0 }) Console.WriteLine(Views.TableFormats.Markdown(run.FunctionTable()));
            Console.WriteLine(Views.TableFormats.Markdown(run.PeakTable()));
            if (run.Leaks.Count > 0) Console.WriteLine(Views.TableFormats.Markdown(run.LeakTable()));
            foreach (var f in run.Findings()) Console.WriteLine("- " + f);
            bool report = Reproduction.RewriteReport(dir, options.Threads);
            Console.WriteLine($"parity: {ParityFiles.JsonPath(dir)}{(report ? $"; report: {Path.Combine(dir, "report", "index.html")}" : "")}");
            return run.Failures.Count == 0 && (run.Functions ?? []).All(f => f.Agrees(FunctionTolerance.Fp32)) ? 0 : 1;
        }));
        return cmd;
    }
}
