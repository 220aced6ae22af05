using Raccoon.Research.IO;

namespace Raccoon.Research.Notebooks;

/// <summary>Where a notebook stopped: the 1-based cell number (as VS Code counts cells, markdown included) and the error.</summary>
public sealed record CellFailure(int Cell, string Error);

public sealed record NotebookRun(NotebookDocument Executed, CellFailure? Failure)
{
    public bool Succeeded => Failure is null;
}

/// <summary>
/// Executes a notebook's C# cells in order in one kernel, recording outputs and execution counts, and
/// stops at the first cell that fails (its error stays in its outputs; later cells are left unrun).
/// </summary>
public static class NotebookRunner
{
    public static NotebookRun Run(string path, TimeSpan cellTimeout, TextWriter? log = null)
    {
        var notebook = NotebookDocument.Load(path);
        var kernel = new CSharpKernel(Path.GetDirectoryName(Path.GetFullPath(path))!);
        int count = 0;
        foreach (var cell in notebook.Cells)
        {
            cell.Outputs.Clear();
            cell.ExecutionCount = null;
        }
        for (int i = 0; i < notebook.Cells.Count; i++)
        {
            var cell = notebook.Cells[i];
            if (cell.Kind != CellKind.Code) continue;
            if (!cell.IsCSharp)
            {
                string message = $"a {cell.Language} cell: the headless runner runs C# and markdown cells only";
                cell.Outputs.Add(new ErrorOutput("NotSupportedException", message, []));
                return new NotebookRun(notebook, new CellFailure(i + 1, message));
            }
            log?.WriteLine($"[{DateTime.Now:HH:mm:ss}] {Path.GetFileName(path)}: cell {i + 1}/{notebook.Cells.Count}");
            var run = kernel.Run(cell.Source, cellTimeout);
            cell.ExecutionCount = ++count;
            cell.Outputs.AddRange(run.Outputs);
            if (run.Failed) return new NotebookRun(notebook, new CellFailure(i + 1, run.Error!));
        }
        return new NotebookRun(notebook, null);
    }

    /// <summary>DIR/notebooks/NAME.ipynb: where the executed copy of <paramref name="notebookPath"/> goes.</summary>
    public static string ExecutedPath(string outDir, string notebookPath) =>
        Path.Combine(outDir, "notebooks", Path.GetFileNameWithoutExtension(notebookPath) + ".ipynb");

    public static void WriteExecuted(string path, NotebookDocument notebook) => AtomicFile.WriteAllText(path, IpynbFormat.Write(notebook));
}
