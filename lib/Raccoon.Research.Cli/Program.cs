using System.CommandLine;
using Raccoon.Research.Cli.Commands;

var root = new RootCommand("Raccoon.Research: measures the claims of five architecture documents and writes a claims ledger.");
root.Subcommands.Add(ReproduceCommand.Create());
root.Subcommands.Add(ClaimsCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
root.Subcommands.Add(NotebooksCommand.Create());
root.Subcommands.Add(ParityCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(SampleDataCommand.Create());
return root.Parse(args).Invoke();
