using System.Security.Cryptography;
using System.Text;

namespace Raccoon.Research.Notebooks;

public enum CellKind { Code, Markdown, Raw }

/// <summary>What a cell produced, in the order it produced it (nbformat's output types).</summary>
public abstract record CellOutput;

/// <summary>Text written to stdout or stderr ("stdout" / "stderr").</summary>
public sealed record StreamOutput(string Name, string Text) : CellOutput;

/// <summary>A displayed value, and the cell's trailing expression (VS Code stores both as display_data): mime type to content.</summary>
public sealed record DisplayOutput(IReadOnlyDictionary<string, string> Data) : CellOutput;

/// <summary>An exception or a compile error: type name, message and the lines of its trace.</summary>
public sealed record ErrorOutput(string Name, string Value, IReadOnlyList<string> Traceback) : CellOutput;

/// <summary>One cell: its kind, kernel language (csharp, markdown, ...), source and, once run, outputs.</summary>
public sealed class NotebookCell
{
    public NotebookCell(CellKind kind, string language, string source, string? id = null)
    {
        Kind = kind;
        Language = language;
        Source = source;
        Id = id;
    }

    public CellKind Kind { get; }
    public string Language { get; }
    public string Source { get; }
    /// <summary>nbformat 4.5's cell id (8 hex digits where this project makes it).</summary>
    public string? Id { get; set; }
    public int? ExecutionCount { get; set; }
    public List<CellOutput> Outputs { get; } = [];

    public bool IsCSharp => Kind == CellKind.Code && Language is "csharp" or "C#" or "c#";
}

/// <summary>A Polyglot notebook, whether read from .dib or .ipynb.</summary>
public sealed class NotebookDocument(IEnumerable<NotebookCell> cells)
{
    public List<NotebookCell> Cells { get; } = cells.ToList();

    /// <summary>Gives every cell without one a stable id: the same notebook gets the same ids every run, so executed copies diff cleanly.</summary>
    public void AssignIds()
    {
        var used = new HashSet<string>(Cells.Where(c => c.Id is not null).Select(c => c.Id!));
        for (int i = 0; i < Cells.Count; i++)
        {
            if (Cells[i].Id is not null) continue;
            for (int salt = 0; ; salt++)
            {
                string id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{i}:{salt}:{Cells[i].Source}")))[..8];
                if (used.Add(id)) { Cells[i].Id = id; break; }
            }
        }
    }

    /// <summary>Reads a .dib or .ipynb file, by its extension.</summary>
    public static NotebookDocument Load(string path)
    {
        string text = File.ReadAllText(path);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        try
        {
            return ext switch
            {
                ".dib" => DibFormat.Parse(text),
                ".ipynb" => IpynbFormat.Read(text),
                _ => throw new InvalidDataException($"'{path}' is not a notebook: expected .ipynb or .dib"),
            };
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
