using System.Text;
using System.Text.Json.Nodes;

namespace Raccoon.Research.Notebooks;

/// <summary>
/// Polyglot's text format: an optional `#!meta` cell with the kernel info as one line of JSON, then
/// cells, each starting with a `#!kernel` line. Only known kernel names start a cell; any other `#!`
/// line is a magic command inside the current cell. Blank lines around a cell's content are trimmed.
/// </summary>
public static class DibFormat
{
    /// <summary>Kernel names that start a cell (Polyglot's built-in kernels and their aliases).</summary>
    public static readonly IReadOnlySet<string> KernelNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "csharp", "c#", "C#", "fsharp", "f#", "F#", "pwsh", "powershell", "javascript", "js", "html",
        "markdown", "md", "mermaid", "sql", "kql", "http", "value", "meta",
    };

    const string MetaJson = """{"kernelInfo":{"defaultKernelName":"csharp","items":[{"aliases":[],"languageName":"csharp","name":"csharp"}]}}""";

    public static NotebookDocument Parse(string text)
    {
        var lines = text.TrimStart('\uFEFF').Replace("\r\n", "\n").Split('\n');
        var cells = new List<NotebookCell>();
        string? kernel = null;
        var body = new List<string>();
        string defaultKernel = "csharp";

        void Flush()
        {
            if (kernel is null)
            {
                if (body.Any(l => l.Trim().Length > 0)) cells.Add(Cell(defaultKernel, Trim(body)));
            }
            else if (kernel == "meta")
            {
                string json = Trim(body);
                if (json.Length > 0)
                {
                    try
                    {
                        defaultKernel = JsonNode.Parse(json)?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>() ?? defaultKernel;
                    }
                    catch (System.Text.Json.JsonException e)
                    {
                        throw new FormatException($"the #!meta cell is not valid JSON: {e.Message}", e);
                    }
                }
            }
            else cells.Add(Cell(kernel, Trim(body)));
            body.Clear();
        }

        foreach (var line in lines)
        {
            if (line.StartsWith("#!", StringComparison.Ordinal) && KernelNames.Contains(line[2..].TrimEnd()))
            {
                Flush();
                kernel = line[2..].TrimEnd();
            }
            else body.Add(line);
        }
        Flush();
        return new NotebookDocument(cells);
    }

    public static string Write(NotebookDocument notebook)
    {
        var sb = new StringBuilder();
        sb.Append("#!meta\n\n").Append(MetaJson).Append("\n\n");
        foreach (var cell in notebook.Cells)
        {
            string kernel = cell.Kind == CellKind.Markdown ? "markdown" : cell.Language;
            sb.Append("#!").Append(kernel).Append("\n\n").Append(cell.Source).Append("\n\n");
        }
        return sb.ToString();
    }

    static NotebookCell Cell(string kernel, string source) => kernel switch
    {
        "markdown" or "md" => new NotebookCell(CellKind.Markdown, "markdown", source),
        "c#" or "C#" => new NotebookCell(CellKind.Code, "csharp", source),
        _ => new NotebookCell(CellKind.Code, kernel, source),
    };

    static string Trim(List<string> body)
    {
        int start = 0, end = body.Count;
        while (start < end && body[start].Trim().Length == 0) start++;
        while (end > start && body[end - 1].Trim().Length == 0) end--;
        return string.Join("\n", body.Skip(start).Take(end - start));
    }
}
