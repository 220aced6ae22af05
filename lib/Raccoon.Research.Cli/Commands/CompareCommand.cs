using System.CommandLine;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;

namespace Raccoon.Research.Cli.Commands;

/// <summary>compare: do two runs give the same verdicts? Row by row, from their ledgers; exit code 1 when a decided
/// verdict flips (holds in one run, partly or fails in the other), 0 otherwise.</summary>
static class CompareCommand
{
    public static Command Create()
    {
        var first = new Argument<string>("FIRST") { Description = "The --out folder of the first run" };
        var second = new Argument<string>("SECOND") { Description = "The --out folder of the second run" };
        var write = new Option<string?>("--write") { Description = "Also write the comparison as Markdown to this file" };
        var cmd = new Command("compare", "Compare the claims ledgers of two runs row by row: same verdict, hedged (one side inconclusive), or contradicting")
            { first, second, write };
        cmd.SetAction(parse => Cli.Guard(() =>
        {
            string a = parse.GetValue(first)!, b = parse.GetValue(second)!;
            IReadOnlyList<LedgerRow> Load(string dir) => LedgerFiles.Read(dir)
                ?? throw new UsageException($"no ledger in '{dir}': run `reproduce --out {dir}` first");
            var rows = LedgerComparison.Compare(Load(a), Load(b));
            string markdown = LedgerComparison.Markdown(rows, a, b);
            Console.Write(markdown);
            if (parse.GetValue(write) is string path) AtomicFile.WriteAllText(path, markdown);
            return rows.Any(r => r.Agreement == Agreement.Contradicts) ? 1 : 0;
        }));
        return cmd;
    }
}
