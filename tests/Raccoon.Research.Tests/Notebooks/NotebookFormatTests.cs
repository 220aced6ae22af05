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

    static string Sample => Path.Combine(Repo.Root, "tests", "Raccoon.Research.Tests", "Notebooks", "Samples", "every-output.ipynb");

    /// <summary>A notebook written by nbformat's own v4 API (Samples/every-output.ipynb): every output type, payloads
    /// as strings, lists of lines and JSON values (an object, a list, a number, a string), output metadata.</summary>
    [Fact]
    public void Every_nbformat_4_output_type_reads_and_writes_back_valid()
    {
        Assert.Null(NbFormat.Validate(Sample)); // the sample itself is valid nbformat
        var nb = NotebookDocument.Load(Sample);
        Assert.Equal([CellKind.Markdown, CellKind.Code, CellKind.Code, CellKind.Code, CellKind.Code, CellKind.Code, CellKind.Code, CellKind.Raw],
            nb.Cells.Select(c => c.Kind));
        Assert.Equal([new StreamOutput("stdout", "out\n"), new StreamOutput("stderr", "err\nmore\n")], nb.Cells[1].Outputs);

        var result = Assert.IsType<DisplayOutput>(Assert.Single(nb.Cells[2].Outputs)); // execute_result
        Assert.Equal("{'a': 1,\n 'b': [1, 2]}", result.Data["text/plain"]);
        Assert.Equal("""{"a":1,"b":[1,2],"c":{"nested":true,"none":null}}""", result.Data["application/json"]);

        var json = nb.Cells[3].Outputs.Cast<DisplayOutput>().Select(d => d.Data["application/json"]).ToList();
        Assert.Equal(["[1,2,3]", "3.5", "\"a string\""], json); // a list, a number, a string: each as its JSON text

        var plotly = Assert.IsType<DisplayOutput>(nb.Cells[4].Outputs[0]);
        Assert.StartsWith("""{"data":[{"type":"bar","x":["a","b"],"y":[1,2]}]""", plotly.Data["application/vnd.plotly.v1+json"]);
        var image = Assert.IsType<DisplayOutput>(nb.Cells[4].Outputs[1]);
        Assert.StartsWith("iVBORw0KGgo", image.Data["image/png"]);
        Assert.Equal("<svg xmlns=\"http://www.w3.org/2000/svg\">\n</svg>", image.Data["image/svg+xml"]);
        Assert.Equal(["application/javascript", "image/png", "image/svg+xml", "text/latex", "text/markdown"], image.Data.Keys.Order(StringComparer.Ordinal));

        var error = Assert.IsType<ErrorOutput>(Assert.Single(nb.Cells[5].Outputs));
        Assert.Equal(("ZeroDivisionError", "division by zero", 2), (error.Name, error.Value, error.Traceback.Count));
        Assert.Null(nb.Cells[6].ExecutionCount);
        Assert.Equal("raw text", nb.Cells[7].Source);

        // Written in VS Code's form, the JSON payloads are JSON values again and the notebook is still valid.
        string written = IpynbFormat.Write(nb);
        string file = Path.Combine(Repo.TempDir("ipynb"), "every-output.ipynb");
        File.WriteAllText(file, written);
        Assert.Null(NbFormat.Validate(file));
        var root = JsonNode.Parse(written)!;
        Assert.Equal(3.5, root["cells"]![3]!["outputs"]![1]!["data"]!["application/json"]!.GetValue<double>());
        Assert.Equal("a string", root["cells"]![3]!["outputs"]![2]!["data"]!["application/json"]!.GetValue<string>());
        Assert.Equal(2, root["cells"]![2]!["outputs"]![0]!["data"]!["application/json"]!["b"]![1]!.GetValue<int>());
        var again = IpynbFormat.Read(written);
        Assert.Equal(nb.Cells.SelectMany(c => c.Outputs), again.Cells.SelectMany(c => c.Outputs), new OutputComparer());
    }

    [Theory]
    [InlineData("""{"output_type": "stream", "name": "stdout", "text": 7}""", "cell 2 (id c0de0002): output 1: text is a JSON number, not a string")]
    [InlineData("""{"output_type": "display_data", "data": {"text/plain": {"a": 1}}, "metadata": {}}""", "cell 2 (id c0de0002): output 1: data['text/plain'] is a JSON object, not a string")]
    [InlineData("""{"output_type": "display_data", "data": {"text/html": ["<b>", 3]}, "metadata": {}}""", "cell 2 (id c0de0002): output 1: data['text/html'] line 2 is a JSON number, not a string")]
    [InlineData("""{"output_type": "display_data", "data": [1], "metadata": {}}""", "cell 2 (id c0de0002): output 1: data is a JSON list, not a mime bundle object")]
    [InlineData("""{"output_type": "error", "ename": "E", "evalue": "v", "traceback": "not a list"}""", "cell 2 (id c0de0002): output 1: traceback is a JSON string, not a list of strings")]
    [InlineData("""{"output_type": "update_display_data", "data": {}, "metadata": {}}""", "cell 2 (id c0de0002): output 1: unknown output_type 'update_display_data'")]
    [InlineData("""[1, 2]""", "cell 2 (id c0de0002): output 1: it is a JSON list, not an object")]
    public void A_notebook_that_breaks_the_schema_is_named_by_cell_and_output(string output, string message)
    {
        string json = $$"""
            {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
             "cells": [{"cell_type": "markdown", "id": "c0de0001", "metadata": {}, "source": "# t"},
                       {"cell_type": "code", "id": "c0de0002", "metadata": {}, "execution_count": 1, "source": ["x"], "outputs": [{{output}}]}]}
            """;
        Assert.Equal(message, Assert.Throws<FormatException>(() => IpynbFormat.Read(json)).Message);
    }

    [Fact]
    public void A_cell_with_the_wrong_types_is_named()
    {
        Assert.Equal("cell 1: source is a JSON number, not a string",
            Assert.Throws<FormatException>(() => IpynbFormat.Read("""{"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]}""")).Message);
        Assert.Equal("cell 1 (id ab): execution_count is a JSON string, not an integer or null",
            Assert.Throws<FormatException>(() => IpynbFormat.Read("""{"nbformat": 4, "cells": [{"cell_type": "code", "id": "ab", "source": "", "execution_count": "1"}]}""")).Message);
        Assert.Equal("cell 2 is a JSON list, not an object",
            Assert.Throws<FormatException>(() => IpynbFormat.Read("""{"nbformat": 4, "cells": [{"cell_type": "raw", "source": ""}, []]}""")).Message);
        Assert.Equal("not an nbformat 4 notebook", Assert.Throws<FormatException>(() => IpynbFormat.Read("""{"nbformat": "4", "cells": []}""")).Message);
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
