using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Raccoon.Research.Notebooks;

/// <summary>
/// .ipynb as VS Code's Polyglot Notebooks saves it: nbformat 4.5, the .NET (C#) kernelspec, polyglot
/// metadata on the notebook and on each code cell, an id on every cell, keys sorted and one-space
/// indentation (as VS Code writes them), multi-line strings as arrays of lines.
/// </summary>
public static class IpynbFormat
{
    static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        IndentSize = 1,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // keep HTML readable, as Jupyter does
    };

    public static NotebookDocument Read(string json)
    {
        JsonNode root;
        try
        {
            root = JsonNode.Parse(json) ?? throw new FormatException("the notebook is empty");
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON: {e.Message}", e);
        }
        if (root["nbformat"]?.GetValue<int>() is not 4)
            throw new FormatException("not an nbformat 4 notebook");
        string defaultKernel = root["metadata"]?["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>() ?? "csharp";
        var cells = new List<NotebookCell>();
        foreach (var c in root["cells"]?.AsArray() ?? throw new FormatException("the notebook has no cells array"))
        {
            if (c is null) continue;
            string type = c["cell_type"]?.GetValue<string>() ?? throw new FormatException("a cell has no cell_type");
            string source = Text(c["source"]);
            string? id = c["id"]?.GetValue<string>();
            var cell = type switch
            {
                "markdown" => new NotebookCell(CellKind.Markdown, "markdown", source, id),
                "raw" => new NotebookCell(CellKind.Raw, "raw", source, id),
                "code" => new NotebookCell(CellKind.Code, Language(c["metadata"], defaultKernel), source, id),
                _ => throw new FormatException($"unknown cell_type '{type}'"),
            };
            if (cell.Kind == CellKind.Code)
            {
                cell.ExecutionCount = c["execution_count"]?.GetValue<int?>();
                foreach (var o in c["outputs"]?.AsArray() ?? []) if (o is not null) cell.Outputs.Add(ReadOutput(o));
            }
            cells.Add(cell);
        }
        return new NotebookDocument(cells);
    }

    public static string Write(NotebookDocument notebook)
    {
        notebook.AssignIds();
        var cells = new JsonArray();
        foreach (var cell in notebook.Cells)
        {
            var node = new JsonObject
            {
                ["cell_type"] = cell.Kind switch { CellKind.Markdown => "markdown", CellKind.Raw => "raw", _ => "code" },
                ["id"] = cell.Id,
                ["metadata"] = cell.Kind == CellKind.Code ? CodeCellMetadata(cell.Language) : new JsonObject(),
                ["source"] = Lines(cell.Source),
            };
            if (cell.Kind == CellKind.Code)
            {
                node["execution_count"] = cell.ExecutionCount;
                node["outputs"] = new JsonArray(cell.Outputs.Select(WriteOutput).ToArray<JsonNode?>());
            }
            cells.Add(node);
        }
        var root = new JsonObject
        {
            ["cells"] = cells,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
                ["language_info"] = new JsonObject { ["name"] = "C#" },
                ["polyglot_notebook"] = new JsonObject
                {
                    ["kernelInfo"] = new JsonObject
                    {
                        ["defaultKernelName"] = "csharp",
                        ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = "csharp" }),
                    },
                },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        return Sorted(root)!.ToJsonString(WriteOptions) + "\n";
    }

    static JsonObject CodeCellMetadata(string language) => new()
    {
        ["dotnet_interactive"] = new JsonObject { ["language"] = language },
        ["polyglot_notebook"] = new JsonObject { ["kernelName"] = language },
        ["vscode"] = new JsonObject { ["languageId"] = "polyglot-notebook" },
    };

    static string Language(JsonNode? metadata, string defaultKernel) =>
        metadata?["polyglot_notebook"]?["kernelName"]?.GetValue<string>()
        ?? metadata?["dotnet_interactive"]?["language"]?.GetValue<string>()
        ?? defaultKernel;

    static CellOutput ReadOutput(JsonNode o) => o["output_type"]?.GetValue<string>() switch
    {
        "stream" => new StreamOutput(o["name"]?.GetValue<string>() ?? "stdout", Text(o["text"])),
        "display_data" or "execute_result" => new DisplayOutput(
            (o["data"]?.AsObject() ?? []).ToDictionary(kv => kv.Key, kv => Text(kv.Value))),
        "error" => new ErrorOutput(o["ename"]?.GetValue<string>() ?? "", o["evalue"]?.GetValue<string>() ?? "",
            (o["traceback"]?.AsArray() ?? []).Select(t => t?.GetValue<string>() ?? "").ToList()),
        var t => throw new FormatException($"unknown output_type '{t}'"),
    };

    static JsonNode WriteOutput(CellOutput output) => output switch
    {
        StreamOutput s => new JsonObject { ["output_type"] = "stream", ["name"] = s.Name, ["text"] = Lines(s.Text) },
        DisplayOutput d => new JsonObject
        {
            ["output_type"] = "display_data",
            ["data"] = new JsonObject(d.Data.Select(kv => KeyValuePair.Create<string, JsonNode?>(kv.Key, Lines(kv.Value)))),
            ["metadata"] = new JsonObject(),
        },
        ErrorOutput e => new JsonObject
        {
            ["output_type"] = "error",
            ["ename"] = e.Name,
            ["evalue"] = e.Value,
            ["traceback"] = new JsonArray(e.Traceback.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()),
        },
        _ => throw new ArgumentException($"unknown output {output.GetType().Name}"),
    };

    /// <summary>nbformat's multi-line string: an array of lines, each but the last ending in a newline.</summary>
    static JsonArray Lines(string text)
    {
        var array = new JsonArray();
        int start = 0;
        while (start < text.Length)
        {
            int nl = text.IndexOf('\n', start);
            int end = nl < 0 ? text.Length : nl + 1;
            array.Add(text[start..end]);
            start = end;
        }
        return array;
    }

    static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonArray a => string.Concat(a.Select(l => l?.GetValue<string>() ?? "")),
        _ => node.GetValue<string>(),
    };

    /// <summary>A copy with every object's keys in ordinal order, as VS Code sorts them when it saves.</summary>
    static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => KeyValuePair.Create(kv.Key, Sorted(kv.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };
}
