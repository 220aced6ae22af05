using System.CommandLine;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;

namespace Raccoon.Research.Cli.Commands;

/// <summary>compare: do two or more runs give the same verdicts? Every pair row by row, from their ledgers, and the
/// timing rows across all runs (is each run's figure inside the others' intervals?); exit code 1 when a decided
/// verdict flips between any two runs (holds in one, partly or fails in the other), 0 otherwise.</summary>
static class CompareCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("RUNS") { Description = "The --out folders of two or more runs", Arity = new ArgumentArity(2, 100) };
        var write = new Option<string?>("--write") { Description = "Also write the comparison as Markdown to this file" };
        var record = new Option<string?>("--record-between-runs")
        {
            Description = "Also write how far each timing figure moved between these runs (one profile, one thread count) as a between-runs record; " +
                          "committed as lib/Raccoon.Research/Ledger/between-runs.json, the judge widens later runs' timing intervals by it",
        };
        var cmd = new Command("compare", "Compare the claims ledgers of two or more runs row by row (same verdict, hedged: one side inconclusive, or contradicting) and their timing rows' intervals")
            { runs, write, record };
        cmd.SetAction(parse => Cli.Guard(() =>
        {
            var dirs = parse.GetValue(runs)!;
            IReadOnlyList<LedgerRow> Load(string dir) => LedgerFiles.Read(dir)
                ?? throw new UsageException($"no ledger in '{dir}': run `reproduce --out {dir}` first");
            var ledgers = dirs.Select(Load).ToList();
            string markdown = LedgerComparison.Markdown(dirs, ledgers, out bool contradiction);
            Console.Write(markdown);
            if (parse.GetValue(write) is string path) AtomicFile.WriteAllText(path, markdown);
            if (parse.GetValue(record) is string recordPath)
            {
                BetweenRunRecord between;
                try { between = BetweenRunRecord.From(dirs, ledgers); }
                catch (ArgumentException e) { throw new UsageException(e.Message); }
                AtomicFile.WriteAllText(recordPath, between.ToJson());
                Console.WriteLine($"Wrote {recordPath}: {between.Figures.Count} timing figures of {between.Runs.Count} {between.Profile} runs at {between.Threads} threads.");
            }
            return contradiction ? 1 : 0;
        }));
        return cmd;
    }
}
