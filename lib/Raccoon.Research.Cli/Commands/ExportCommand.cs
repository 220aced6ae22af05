using System.CommandLine;
using System.Text.Json;
using Raccoon.Research.IO;
using Raccoon.Research.Models;
using Raccoon.Research.Runtime;
using Raccoon.Research.Training;

namespace Raccoon.Research.Cli.Commands;

/// <summary>export: a trained model's weights as safetensors under the upstream PyTorch code's names, for
/// <c>load_state_dict</c> in Python, and beside them its kind and config as JSON, from which
/// benchmarks/pytorch/exported.py builds the PyTorch definition (README, "Weights PyTorch opens").</summary>
static class ExportCommand
{
    /// <summary>The format tag of the JSON written beside the weights.</summary>
    public const string Format = "raccoon-export/1";

    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "A model checkpoint, or a trainer's resume file (training/<build>/<experiment>/*.ckpt of an output folder)", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "The .safetensors file to write (PyTorch's state names); its kind and config go beside it, in the same name with .json", Required = true };
        var kind = new Option<string?>("--model-kind") { Description = "The model kind the file must hold (refused when it holds another); see the error of an unknown kind for the list" };
        var cmd = new Command("export", "Write a trained model's weights as safetensors with the upstream PyTorch code's names, which Python's load_state_dict accepts, and its kind and config as JSON beside them")
        {
            model, output, kind,
        };
        cmd.SetAction(parse => Cli.Guard(() =>
        {
            string path = parse.GetValue(model)!.FullName, target = parse.GetValue(output)!.FullName;
            string? expected = parse.GetValue(kind);
            if (!target.EndsWith(".safetensors", StringComparison.Ordinal))
                throw new UsageException($"--out must name a .safetensors file, got '{target}'");
            if (expected is not null && !ModelRegistry.IsRegistered(expected))
                throw new UsageException($"unknown model kind '{expected}': known kinds are {string.Join(", ", ModelRegistry.Kinds)}");
            if (!File.Exists(path)) throw new UsageException($"no checkpoint '{path}'");
            TorchRuntime.Initialize(1);
            var (module, header) = Checkpoint.LoadModel(path);
            using (module)
            {
                var meta = header.Meta;
                if (expected is not null && meta.ModelKind != expected)
                    throw new InvalidDataException($"'{path}' holds a '{meta.ModelKind}' model, not '{expected}'");
                var names = ModelRegistry.PyTorchNames(meta.ModelKind);
                ModelWeights.Save(module, target, names);
                string described = Path.ChangeExtension(target, ".json");
                AtomicFile.WriteAllText(described, JsonSerializer.Serialize(new
                {
                    format = Format, kind = meta.ModelKind, config = ModelRegistry.Readable(meta.ModelKind, meta.Config), step = meta.Step,
                    weights = Path.GetFileName(target), source = path,
                }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
                int tensors = names.Map(module.state_dict().Keys).Count;
                Console.WriteLine($"export: {tensors} tensors of {meta.ModelKind} (step {meta.Step}) to {target}; kind and config in {described}; config {JsonSerializer.Serialize(ModelRegistry.Readable(meta.ModelKind, meta.Config))}");
            }
            return 0;
        }));
        return cmd;
    }
}
