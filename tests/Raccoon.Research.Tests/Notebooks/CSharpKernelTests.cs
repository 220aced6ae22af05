using System.Runtime.Loader;
using Raccoon.Research.Notebooks;
using Raccoon.Research.Reporting;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Notebooks;

/// <summary>The kernel's semantics, in this process (one class: the cells' console is routed per cell).</summary>
public class CSharpKernelTests(TorchFixture torch) : IClassFixture<TorchFixture>
{
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    readonly TorchFixture _ = torch;

    static CSharpKernel NewKernel() => new(Path.Combine(Repo.Root, "notebooks"));

    static string Text(CellOutput o) => o switch
    {
        DisplayOutput d => string.Join("|", d.Data.Select(kv => kv.Key + ":" + kv.Value)),
        StreamOutput s => s.Name + ":" + s.Text,
        ErrorOutput e => "error:" + e.Name + ":" + e.Value,
        _ => "",
    };

    [Fact]
    public void State_carries_across_cells_and_survives_an_exception()
    {
        var k = NewKernel();
        Assert.False(k.Run("var a = 20; int b = 0;", Limit).Failed);
        var thrown = k.Run("b = 22; throw new InvalidOperationException(\"boom\");", Limit);
        Assert.True(thrown.Failed);
        var error = Assert.IsType<ErrorOutput>(Assert.Single(thrown.Outputs));
        Assert.Equal("System.InvalidOperationException", error.Name);
        Assert.Equal("boom", error.Value);
        Assert.Contains("InvalidOperationException: boom", thrown.Error);
        var sum = k.Run("a + b", Limit);
        Assert.Equal("text/plain:42", Text(Assert.Single(sum.Outputs)));
    }

    [Fact]
    public void Display_streams_and_the_trailing_expression_come_out_in_order()
    {
        var k = NewKernel();
        var run = k.Run("""
            Console.WriteLine("out 1");
            Console.Write("out 2\n");
            display(HTML("<b>bold</b>"));
            Console.Error.WriteLine("err");
            display("plain");
            object nothing = null;
            nothing
            """, Limit);
        Assert.False(run.Failed, run.Error);
        Assert.Equal(["stdout:out 1\nout 2\n", "text/html:<b>bold</b>", "stderr:err\n", "text/plain:plain", "text/plain:<null>"],
            run.Outputs.Select(Text));
        Assert.Empty(k.Run("var unused = 1;", Limit).Outputs);              // a statement displays nothing
        Assert.Empty(k.Run("Console.Write(\"\")", Limit).Outputs);         // nor a void call without semicolon
    }

    [Fact]
    public void Only_the_kernels_default_usings_are_in_scope()
    {
        var k = NewKernel();
        Assert.False(k.Run("new StringBuilder().Append(new List<int> { 1 }.Select(i => i).Count()).ToString()", Limit).Failed);
        var regex = k.Run("new Regex(\"a\")", Limit);
        Assert.True(regex.Failed);
        Assert.Contains("CS0246", regex.Error); // System.Text.RegularExpressions is not imported by the kernel
        Assert.IsType<ErrorOutput>(Assert.Single(regex.Outputs));
    }

    [Fact]
    public void A_compile_error_is_reported_with_its_position_and_the_state_is_kept()
    {
        var k = NewKernel();
        k.Run("var kept = 5;", Limit);
        var bad = k.Run("var x = ;\nundefinedName", Limit);
        Assert.True(bad.Failed);
        var error = Assert.IsType<ErrorOutput>(Assert.Single(bad.Outputs));
        Assert.Equal("CompilationErrorException", error.Name);
        Assert.Contains("(1,9): error CS1525", error.Value);
        Assert.Equal("text/plain:5", Text(Assert.Single(k.Run("kept", Limit).Outputs)));
    }

    [Fact]
    public void Hash_r_resolves_from_the_notebook_folder_to_the_already_loaded_library()
    {
        var k = NewKernel();
        var run = k.Run("""
            #r "../lib/Raccoon.Research.Cli/bin/Raccoon.Research.dll"
            #r "../lib/Raccoon.Research.Cli/bin/TorchSharp.dll"
            using Raccoon.Research.Reporting;
            display(new Table("t", ["a"], [["<1>"]]));
            display(TorchSharp.torch.ones(2, 2));
            typeof(Table).Assembly
            """, Limit);
        Assert.False(run.Failed, run.Error);
        var table = Assert.IsType<DisplayOutput>(run.Outputs[0]).Data;
        Assert.Contains("<td>&lt;1&gt;</td>", table["text/html"]); // the library's formatter, found by the attribute's name
        Assert.Contains("<pre>[2x2], type = Float32", Assert.IsType<DisplayOutput>(run.Outputs[1]).Data["text/html"]); // TorchSharp's own
        Assert.Contains(typeof(Table).Assembly.FullName!, Text(run.Outputs[2]));
        // One copy of the library: the cell's types are this process's types, so values cross without failing casts.
        var same = k.Run("ReferenceEquals(typeof(Table), Type.GetType(typeof(Table).AssemblyQualifiedName))", Limit);
        Assert.Equal("text/plain:True", Text(Assert.Single(same.Outputs)));
        Assert.Single(AssemblyLoadContext.All.SelectMany(c => c.Assemblies), a => a.GetName().Name == "Raccoon.Research");
        Assert.Single(AssemblyLoadContext.All.SelectMany(c => c.Assemblies), a => a.GetName().Name == "TorchSharp");
    }

    [Fact]
    public void Hash_r_after_code_and_nuget_references_are_errors()
    {
        var k = NewKernel();
        var late = k.Run("var a = 1;\n#r \"../lib/Raccoon.Research.Cli/bin/Raccoon.Research.dll\"", Limit);
        Assert.True(late.Failed);
        Assert.Contains("CS7009", late.Error);
        var nuget = k.Run("#r \"nuget: Newtonsoft.Json\"", Limit);
        Assert.True(nuget.Failed);
        Assert.Contains("NuGet", nuget.Error);
        var magic = k.Run("#!whos\n1", Limit);
        Assert.True(magic.Failed);
        Assert.Contains("#!whos", magic.Error);
    }

    [Fact]
    public void The_library_types_and_dataframes_render_as_html()
    {
        var figure = Charts.Points("f", "x", "y", false, false, new PointSeries("p", [1, 2], [3, 4]));
        string html = ValueFormatter.Format(figure).Data["text/html"];
        Assert.Contains("requirejs.config", html);
        Assert.Contains(PlotlyJs.RequireUrl, html);
        Assert.Contains("Plotly.newPlot(", html);
        var frame = new Microsoft.Data.Analysis.DataFrame(new Microsoft.Data.Analysis.Int32DataFrameColumn("n", [7, 8]));
        Assert.Contains("<td>8</td>", ValueFormatter.Format(frame).Data["text/html"]);
        Assert.Equal("[ 1, 2 ]", ValueFormatter.Format(new List<int> { 1, 2 }).Data["text/plain"]);
        Assert.Equal("42", ValueFormatter.Format(42).Data["text/plain"]);
        Assert.Equal("f", ValueFormatter.Format(figure, "text/plain").Data["text/plain"][^1..]); // an explicit mime type wins
    }

    [Fact]
    public void A_cell_past_its_time_limit_is_stopped_and_reported()
    {
        var k = NewKernel();
        var run = k.Run("System.Threading.Thread.Sleep(20_000);", TimeSpan.FromSeconds(1));
        Assert.True(run.Failed);
        Assert.Contains("time limit of 1 s", run.Error);
        Assert.Equal("TimeoutException", Assert.IsType<ErrorOutput>(Assert.Single(run.Outputs)).Name);
    }
}
