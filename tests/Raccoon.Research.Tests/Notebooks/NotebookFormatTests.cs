using System.Text.Json.Nodes;
using Raccoon.Research.Notebooks;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Notebooks;

public class NotebookFormatTests
{
    const string Dib = """
        #!meta

        {"kernelInfo":{"defaultKernelName":"csharp","items":[{"aliases":[],"languageName":"csharp","name":"csharp"}]}}

        #!markdown

        # Title

        text

        #!csharp

        #!time
        var x = 1;

        #!not-a-kernel
        x


        #!fsharp

        let y = 2
        """;

    [Fact]
    public void Dib_cells_start_at_known_kernel_names_and_other_magic_lines_stay_in_the_cell()
    {
        var nb = DibFormat.Parse(Dib);
        Assert.Equal([CellKind.Markdown, CellKind.Code, CellKind.Code], nb.Cells.Select(c => c.Kind));
        Assert.Equal(["markdown", "csharp", "fsharp"], nb.Cells.Select(c => c.Language));
        Assert.Equal("# Title\n\ntext", nb.Cells[0].Source);
        Assert.Equal("#!time\nvar x = 1;\n\n#!not-a-kernel\nx", nb.Cells[1].Source); // blank lines around trimmed, inside kept
        Assert.Equal("let y = 2", nb.Cells[2].Source);
        Assert.True(nb.Cells[1].IsCSharp);
        Assert.False(nb.Cells[2].IsCSharp);
    }

    [Fact]
    public void Dib_written_and_parsed_again_is_the_same_notebook()
    {
        var nb = DibFormat.Parse(Dib);
        var again = DibFormat.Parse(DibFormat.Write(nb));
        Assert.Equal(nb.Cells.Select(c => (c.Kind, c.Language, c.Source)), again.Cells.Select(c => (c.Kind, c.Language, c.Source)));
        Assert.StartsWith("#!meta\n\n{\"kernelInfo\"", DibFormat.Write(nb));
    }

    [Fact]
    public void Ipynb_carries_vscode_metadata_ids_and_every_output_kind_and_round_trips()
    {
        var nb = DibFormat.Parse(Dib);
        nb.Cells[1].ExecutionCount = 1;
        nb.Cells[1].Outputs.AddRange([
            new StreamOutput("stdout", "line one\nline two\n"),
            new DisplayOutput(new Dictionary<string, string> { ["text/html"] = "<b>x</b>\n<i>y</i>" }),
            new ErrorOutput("System.Exception", "boom", ["System.Exception: boom", "   at Submission#0"]),
        ]);
        string json = IpynbFormat.Write(nb);
        var root = JsonNode.Parse(json)!;
        Assert.Equal(4, root["nbformat"]!.GetValue<int>());
        Assert.Equal(5, root["nbformat_minor"]!.GetValue<int>());
        Assert.Equal(".net-csharp", root["metadata"]!["kernelspec"]!["name"]!.GetValue<string>());
        Assert.Equal("csharp", root["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]!.GetValue<string>());
        var code = root["cells"]![1]!;
        Assert.Equal("polyglot-notebook", code["metadata"]!["vscode"]!["languageId"]!.GetValue<string>());
        Assert.Equal("csharp", code["metadata"]!["dotnet_interactive"]!["language"]!.GetValue<string>());
        Assert.All(root["cells"]!.AsArray(), c => Assert.Matches("^[0-9a-f]{8}$", c!["id"]!.GetValue<string>()));
        Assert.Equal(["line one\n", "line two\n"], code["outputs"]![0]!["text"]!.AsArray().Select(l => l!.GetValue<string>()));

        var back = IpynbFormat.Read(json);
        Assert.Equal(json, IpynbFormat.Write(back));
        Assert.Equal(nb.Cells[1].Outputs, back.Cells[1].Outputs, new OutputComparer());

        string file = Path.Combine(Repo.TempDir("ipynb"), "round.ipynb");
        File.WriteAllText(file, json);
        Assert.Null(NbFormat.Validate(file));
    }

    [Fact]
    public void Bad_notebooks_are_named()
    {
        string dir = Repo.TempDir("ipynb");
        string file = Path.Combine(dir, "broken.ipynb");
        File.WriteAllText(file, "{ not json");
        var e = Assert.Throws<InvalidDataException>(() => NotebookDocument.Load(file));
        Assert.Contains("broken.ipynb", e.Message);
        File.WriteAllText(file, """{"nbformat": 3, "cells": []}""");
        Assert.Contains("nbformat 4", Assert.Throws<InvalidDataException>(() => NotebookDocument.Load(file)).Message);
    }

    sealed class OutputComparer : IEqualityComparer<CellOutput>
    {
        public bool Equals(CellOutput? a, CellOutput? b) => (a, b) switch
        {
            (DisplayOutput x, DisplayOutput y) => x.Data.OrderBy(k => k.Key).SequenceEqual(y.Data.OrderBy(k => k.Key)),
            (ErrorOutput x, ErrorOutput y) => x.Name == y.Name && x.Value == y.Value && x.Traceback.SequenceEqual(y.Traceback),
            _ => object.Equals(a, b),
        };

        public int GetHashCode(CellOutput o) => 0;
    }
}
