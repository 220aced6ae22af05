using System.CommandLine;
using System.Text.Json;
using Raccoon.Research.IO;
using Raccoon.Research.Models;
using Raccoon.Research.Runtime;
using Raccoon.Research.Training;

namespace Raccoon.Research.Cli.Commands;

/// <summary>export: a trained model's weights as safetensors under the upstream PyTorch code's names, for
/// <c>load_state_dict</c> in Python (README, "Weights PyTorch opens").</summary>
static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "Checkpoint file written by the trainer", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "The safetensors file to write (PyTorch's state names)", Required = true };
        var cmd = new Command("export", "Write a trained model's weights as safetensors with the upstream PyTorch code's names, which Python's load_state_dict accepts")
        {
            model, output,
        };
        cmd.SetAction(parse => Cli.Guard(() =>
        {
            TorchRuntime.Initialize(1);
            string path = parse.GetValue(model)!.FullName, target = parse.GetValue(output)!.FullName;
            if (!File.Exists(path)) throw new UsageException($"no checkpoint '{path}'");
            var (module, header) = Checkpoint.LoadModel(path);
            using (module)
            {
                var names = ModelRegistry.PyTorchNames(header.Meta.ModelKind);
                ModelWeights.Save(module, target, names);
                int tensors = names.Map(module.state_dict().Keys).Count;
                Console.WriteLine($"export: {tensors} tensors of {header.Meta.ModelKind} (step {header.Meta.Step}) to {target}; config {JsonSerializer.Serialize(header.Meta.Config)}");
            }
            return 0;
        }));
        return cmd;
    }
}
