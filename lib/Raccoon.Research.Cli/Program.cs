using System.CommandLine;
using System.Globalization;
using Raccoon.Research.Cli.Commands;

// Every file the command writes reads the same on any machine: CA1305 (lib/.editorconfig) makes each explicit
// format and parse call name the invariant culture, but an interpolated string's {x:0.00} is not flagged and
// formats with the current culture, so the command runs in the invariant culture whatever the machine's locale.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;

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
