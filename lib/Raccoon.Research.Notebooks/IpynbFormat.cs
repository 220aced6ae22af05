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

    /// <summary>A JSON payload's text as it was: compact, HTML and non-ASCII characters unescaped.</summary>
    static readonly JsonSerializerOptions PayloadOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Reads any valid nbformat 4 notebook. A display's payload is kept as text: a string or a list of lines as
    /// it is, a JSON payload (application/json, any +json type: an object, a list, a number) as its JSON text,
    /// written back as JSON by <see cref="Write"/>. A notebook that is not valid JSON or breaks the schema's types
    /// throws <see cref="FormatException"/> naming the cell (1-based, as VS Code counts, markdown included).
    /// </summary>
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
        if (root is not JsonObject) throw new FormatException($"the notebook is a JSON {Kind(root)}, not an object");
        if (root["nbformat"] is not JsonValue v || !v.TryGetValue<int>(out int major) || major != 4)
            throw new FormatException("not an nbformat 4 notebook");
        string defaultKernel = Metadata(root, "metadata", "polyglot_notebook", "kernelInfo", "defaultKernelName") ?? "csharp";
        if (root["cells"] is not JsonArray cellNodes) throw new FormatException("the notebook has no cells array");
        var cells = new List<NotebookCell>();
        for (int i = 0; i < cellNodes.Count; i++)
        {
            var c = cellNodes[i];
            string where = $"cell {i + 1}";
            if (c is not JsonObject) throw new FormatException($"{where} is a JSON {Kind(c)}, not an object");
            if (Metadata(c, "id") is { } cid) where += $" (id {cid})";
            try
            {
                cells.Add(ReadCell(c, defaultKernel));
            }
            catch (FormatException e)
            {
                throw new FormatException($"{where}: {e.Message}", e);
            }
        }
        return new NotebookDocument(cells);
    }

    static NotebookCell ReadCell(JsonNode c, string defaultKernel)
    {
        string type = String(c["cell_type"], "cell_type");
        string source = Text(c["source"], "source");
        string? id = OptionalString(c["id"], "id");
        var cell = type switch
        {
            "markdown" => new NotebookCell(CellKind.Markdown, "markdown", source, id),
            "raw" => new NotebookCell(CellKind.Raw, "raw", source, id),
            "code" => new NotebookCell(CellKind.Code, Language(c["metadata"], defaultKernel), source, id),
            _ => throw new FormatException($"unknown cell_type '{type}'"),
        };
        if (cell.Kind != CellKind.Code) return cell;
        cell.ExecutionCount = c["execution_count"] switch
        {
            null => null,
            JsonValue n when n.TryGetValue<int>(out int count) => count,
            var other => throw new FormatException($"execution_count is a JSON {Kind(other)}, not an integer or null"),
        };
        if (c["outputs"] is { } outputs)
        {
            if (outputs is not JsonArray list) throw new FormatException($"outputs is a JSON {Kind(outputs)}, not a list");
            for (int k = 0; k < list.Count; k++)
            {
                try
                {
                    cell.Outputs.Add(ReadOutput(list[k] as JsonObject ?? throw new FormatException($"it is a JSON {Kind(list[k])}, not an object")));
                }
                catch (FormatException e)
                {
                    throw new FormatException($"output {k + 1}: {e.Message}", e);
                }
            }
        }
        return cell;
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
        Metadata(metadata, "polyglot_notebook", "kernelName") ?? Metadata(metadata, "dotnet_interactive", "language") ?? defaultKernel;

    /// <summary>The string at a path of keys, or null where any step is missing or of another type: metadata is free-form in nbformat.</summary>
    static string? Metadata(JsonNode? node, params string[] keys)
    {
        foreach (var key in keys) node = node is JsonObject o ? o[key] : null;
        return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    }

    static CellOutput ReadOutput(JsonObject o)
    {
        string type = String(o["output_type"], "output_type");
        return type switch
        {
            "stream" => new StreamOutput(OptionalString(o["name"], "name") ?? "stdout", Text(o["text"], "text")),
            "display_data" or "execute_result" => new DisplayOutput(ReadBundle(o["data"])),
            "error" => new ErrorOutput(OptionalString(o["ename"], "ename") ?? "", OptionalString(o["evalue"], "evalue") ?? "",
                o["traceback"] switch
                {
                    null => [],
                    JsonArray a => a.Select((t, i) => String(t, $"traceback line {i + 1}")).ToList(),
                    var other => throw new FormatException($"traceback is a JSON {Kind(other)}, not a list of strings"),
                }),
            _ => throw new FormatException($"unknown output_type '{type}'"),
        };
    }

    /// <summary>A mime bundle: each payload as text; a JSON type's payload (any JSON value) as its JSON text.</summary>
    static Dictionary<string, string> ReadBundle(JsonNode? data)
    {
        if (data is null) return [];
        if (data is not JsonObject bundle) throw new FormatException($"data is a JSON {Kind(data)}, not a mime bundle object");
        return bundle.ToDictionary(kv => kv.Key, kv => IsJsonMime(kv.Key)
            ? kv.Value?.ToJsonString(PayloadOptions) ?? "null"
            : Text(kv.Value, $"data['{kv.Key}']"));
    }

    /// <summary>nbformat's JSON mime types, whose payload may be any JSON value: application/json and application/*+json.</summary>
    public static bool IsJsonMime(string mime) =>
        mime.StartsWith("application/", StringComparison.Ordinal) && (mime == "application/json" || mime.EndsWith("+json", StringComparison.Ordinal));

    static JsonNode WriteOutput(CellOutput output) => output switch
    {
        StreamOutput s => new JsonObject { ["output_type"] = "stream", ["name"] = s.Name, ["text"] = Lines(s.Text) },
        DisplayOutput d => new JsonObject
        {
            ["output_type"] = "display_data",
            ["data"] = new JsonObject(d.Data.Select(kv => KeyValuePair.Create(kv.Key, Payload(kv.Key, kv.Value)))),
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

    /// <summary>A display payload as nbformat stores it: a JSON type's text parsed back into its value, any other as lines.</summary>
    static JsonNode? Payload(string mime, string text)
    {
        if (!IsJsonMime(mime)) return Lines(text);
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text); // text that is not JSON stays a JSON string, which nbformat allows
        }
    }

    /// <summary>nbformat's multi-line string: a string, or a list of strings joined as they are.</summary>
    static string Text(JsonNode? node, string what) => node switch
    {
        null => "",
        JsonArray a => string.Concat(a.Select((l, i) => String(l, $"{what} line {i + 1}"))),
        _ => String(node, what),
    };

    static string String(JsonNode? node, string what) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s
        : throw new FormatException(node is null ? $"{what} is missing" : $"{what} is a JSON {Kind(node)}, not a string");

    static string? OptionalString(JsonNode? node, string what = "value") => node is null ? null : String(node, what);

    static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "list",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => "value",
        },
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
