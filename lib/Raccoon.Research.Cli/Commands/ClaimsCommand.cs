using System.CommandLine;
using Raccoon.Research.Ledger;
using Raccoon.Research.Reporting;
using Raccoon.Research.Views;
using Spectre.Console;

namespace Raccoon.Research.Cli.Commands;

/// <summary>claims: prints the ledger of the last run as a table.</summary>
static class ClaimsCommand
{
    public static Command Create()
    {
        var outDir = CommonOptions.Out();
        var cmd = new Command("claims", "Print the claims ledger of the last run in DIR") { outDir };
        cmd.SetAction(parse => Cli.Guard(() =>
        {
            string dir = parse.GetValue(outDir)!;
            var rows = LedgerFiles.Read(dir)
                ?? throw new UsageException($"no ledger in '{dir}': run `reproduce --out {dir}` first");
            Print(rows);
            return 0;
        }));
        return cmd;
    }

    public static void Print(IReadOnlyList<LedgerRow> rows)
    {
        var table = new Spectre.Console.Table().Border(TableBorder.Rounded)
            .AddColumn("ID").AddColumn("Document says").AddColumn("Measured").AddColumn("Verdict");
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.Id), Markup.Escape(r.Claimed), Markup.Escape(r.Measured),
                $"[{VerdictStyle.Colour(r.Verdict)}]{Markup.Escape(r.Verdict.Name())}[/]" +
                (r.Provisional ? Markup.Escape($" (provisional, {r.Profile})") : "") +
                (r.Builds is { Count: > 0 } b ? "\n" + Markup.Escape(LedgerFiles.BuildsText(b)) : ""));
        AnsiConsole.Write(table);
        Console.WriteLine(string.Join(", ", rows.GroupBy(r => r.Verdict).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.Name()}")));
    }
}

/// <summary>Turns bad input into one clear line and exit code 2, instead of a stack trace.</summary>
static class Cli
{
    public static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is UsageException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
