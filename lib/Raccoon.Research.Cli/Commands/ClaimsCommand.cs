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
        var reference = new Option<bool>("--reference")
        {
            Description = "Judge the rows of the experiments that have a committed reference result from it, as `reproduce --reference` " +
                          "does, computing nothing, and list each such row's verdict at the reference run beside the ledger's own",
        };
        var referenceDir = new Option<string?>("--reference-dir")
        {
            Description = "Where the reference results are (default: results/reference/ of the repository)",
        };
        var cmd = new Command("claims", "Print the claims ledger of the last run in DIR") { outDir, reference, referenceDir };
        cmd.SetAction(parse => Cli.Guard(() =>
        {
            string dir = parse.GetValue(outDir)!;
            var rows = LedgerFiles.Read(dir)
                ?? throw new UsageException($"no ledger in '{dir}': run `reproduce --out {dir}` first");
            if (!parse.GetValue(reference))
            {
                Print(rows);
                return 0;
            }
            string refDir = parse.GetValue(referenceDir) ?? Raccoon.Research.Experiments.ReferenceResults.DefaultDirectory;
            if (!Directory.Exists(refDir)) throw new UsageException($"no reference results folder '{refDir}'");
            IReadOnlyList<LedgerRow> judged;
            try { judged = Reproduction.WithReference(rows, refDir, fallbackSeed: 1); }
            catch (InvalidDataException e) { throw new UsageException($"'{dir}': {e.Message}"); }
            Print(judged);
            PrintReferenceComparison(judged, refDir);
            return 0;
        }));
        return cmd;
    }

    /// <summary>Each row judged from a reference result: its experiment, that run's wall and CPU time, whether its models
    /// converged, its verdict there, and the ledger's own verdict beside it (a markdown table).</summary>
    static void PrintReferenceComparison(IReadOnlyList<LedgerRow> rows, string referenceDir)
    {
        var fromReference = rows.Where(r => r.Profile == "reference").ToList();
        if (fromReference.Count == 0)
        {
            Console.WriteLine($"no row has a reference result in '{referenceDir}'");
            return;
        }
        static string Converged(bool? c) => c switch { true => "converged", false => "not converged", null => "no plateau test" };
        Console.WriteLine();
        Console.WriteLine("| claim | experiment | reference run | wall / CPU s | at the reference run | beside: the ledger's own run |");
        Console.WriteLine("|---|---|---|---|---|---|");
        // One read of each experiment's reference file, however many of its claims it judges.
        var results = fromReference.Select(r => (r.Experiment!, r.Seed ?? 1)).Distinct().ToDictionary(k => k,
            k => Raccoon.Research.Experiments.ReferenceResults.Load(referenceDir, Raccoon.Research.Experiments.ExperimentRegistry.Get(k.Item1), k.Item2)!);
        foreach (var r in fromReference)
        {
            var result = results[(r.Experiment!, r.Seed ?? 1)];
            string cost = FormattableString.Invariant($"{result.Seconds:N0} / {(result.CpuSeconds is double c ? c.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "reused")}");
            string beside = r.Beside is { } b ? $"{b.Run}: {b.Verdict.Name()} ({Converged(b.Converged)})" : "not run";
            Console.WriteLine($"| {r.Id} | {r.Experiment} | {result.Source} | {cost} | {r.Verdict.Name()} ({Converged(r.Converged)}) | {beside} |");
        }
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
