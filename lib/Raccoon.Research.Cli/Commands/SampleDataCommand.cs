using System.CommandLine;
using Raccoon.Research.Data.Glyphs;
using Raccoon.Research.Data.Logs;
using Raccoon.Research.Experiments.GlyphCnn;

namespace Raccoon.Research.Cli.Commands;

/// <summary>sample-data: writes the small log samples and their data card (the repository's data/ folder).</summary>
static class SampleDataCommand
{
    public static Command Create()
    {
        var outDir = new Option<string>("--out") { Description = "Folder for the samples and README.md", DefaultValueFactory = _ => "data" };
        var seed = CommonOptions.Seed();
        var count = new Option<int>("--count") { Description = "Lines per sample", DefaultValueFactory = _ => LogSamples.DefaultCount };
        var cmd = new Command("sample-data", "Write samples of both log tasks and their data card into DIR") { outDir, seed, count };
        cmd.SetAction(parse => Cli.Guard(() =>
        {
            int n = parse.GetValue(count);
            if (n < 1) throw new UsageException($"--count must be at least 1, got {n}");
            foreach (var path in LogSamples.Write(parse.GetValue(outDir)!, parse.GetValue(seed), n))
                Console.WriteLine(path);
            foreach (var path in GlyphSamples.Write(parse.GetValue(outDir)!, GlyphCnnTrainingExperiment.DataSizes(parse.GetValue(seed)), parse.GetValue(seed)))
                Console.WriteLine(path);
            return 0;
        }));
        return cmd;
    }
}
