using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Notebooks;
using Raccoon.Research.Reporting;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Notebooks;

/// <summary>`notebooks run` and `reproduce` as users run them, checked by real clients (nbformat, chromium).</summary>
public class NotebooksCliTests
{
    static string Library => Path.Combine(Repo.Root, "lib", "Raccoon.Research.Cli", "bin", "Raccoon.Research.dll");

    [Fact]
    public void A_failing_cell_stops_the_notebook_names_it_and_keeps_its_error()
    {
        string dir = Repo.TempDir("nb-fail");
        string marker = Path.Combine(dir, "later-cell-ran");
        File.WriteAllText(Path.Combine(dir, "failing.dib"), $$"""
            #!markdown

            # A notebook that fails in its third cell

            #!csharp

            #r "{{Library}}"
            using Raccoon.Research.Experiments;
            Console.WriteLine(Environment.CurrentDirectory);
            NotebookSession.Describe()

            #!csharp

            throw new InvalidOperationException("deliberate failure");

            #!csharp

            System.IO.File.WriteAllText(@"{{marker}}", "ran");
            """);
        string outDir = Path.Combine(dir, "out");
        var run = Repo.RunCli("notebooks", "run", Path.Combine(dir, "failing.dib"), "--out", outDir, "--profile", "quick", "--seed", "7", "--threads", "1");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("failing.dib failed at cell 3: System.InvalidOperationException: deliberate failure", run.Stderr);
        Assert.False(File.Exists(marker), "a cell after the failing one ran");

        string executed = Path.Combine(outDir, "notebooks", "failing.ipynb");
        Assert.Null(NbFormat.Validate(executed));
        var nb = NotebookDocument.Load(executed);
        Assert.Equal(1, nb.Cells[1].ExecutionCount);
        var stream = Assert.IsType<StreamOutput>(nb.Cells[1].Outputs[0]);
        Assert.Equal(dir + "\n", stream.Text); // the kernel's working directory is the notebook's folder
        Assert.Equal($"profile quick, seed 7, 1 threads, results in {outDir}", Assert.IsType<DisplayOutput>(nb.Cells[1].Outputs[1]).Data["text/plain"]);
        var error = Assert.IsType<ErrorOutput>(Assert.Single(nb.Cells[2].Outputs));
        Assert.Equal("deliberate failure", error.Value);
        Assert.Null(nb.Cells[3].ExecutionCount);
        Assert.Empty(nb.Cells[3].Outputs);
    }

    [Fact]
    public void A_cell_that_never_ends_is_stopped_at_the_time_limit()
    {
        string dir = Repo.TempDir("nb-timeout");
        File.WriteAllText(Path.Combine(dir, "spin.dib"), """
            #!csharp

            var spins = 0L;
            while (true) { spins++; }
            """);
        var run = Repo.RunCli("notebooks", "run", dir, "--out", Path.Combine(dir, "out"), "--cell-timeout", "2");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("spin.dib failed at cell 1: the cell ran past its time limit of 2 s", run.Stderr);
        var nb = NotebookDocument.Load(Path.Combine(dir, "out", "notebooks", "spin.ipynb"));
        Assert.Equal("TimeoutException", Assert.IsType<ErrorOutput>(Assert.Single(nb.Cells[0].Outputs)).Name);
    }

    [Fact]
    public void Bad_paths_and_limits_are_named()
    {
        var missing = Repo.RunCli("notebooks", "run", "no-such-notebook.ipynb", "--out", Repo.TempDir("nb-bad"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no-such-notebook.ipynb", missing.Stderr);
        var timeout = Repo.RunCli("notebooks", "run", "--cell-timeout", "-3", "--out", Repo.TempDir("nb-bad"));
        Assert.Equal(2, timeout.ExitCode);
        Assert.Contains("--cell-timeout", timeout.Stderr);
    }

    [Fact]
    public async Task Reproduce_runs_every_repository_notebook_valid_with_charts_and_the_report_draws_every_chart()
    {
        string dir = Repo.TempDir("nb-reproduce");
        var run = Repo.RunCli("reproduce", "--only", "G3-06", "--profile", "quick", "--threads", "2", "--out", dir);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);

        var sources = Directory.EnumerateFiles(Path.Combine(Repo.Root, "notebooks")).Where(f => f.EndsWith(".ipynb") || f.EndsWith(".dib")).ToList();
        Assert.Contains(sources, s => s.EndsWith("claims-ledger.ipynb"));
        foreach (var source in sources)
        {
            string executed = NotebookRunner.ExecutedPath(dir, source);
            Assert.True(File.Exists(executed), $"{executed} was not written");
            Assert.Null(NbFormat.Validate(executed));
            var nb = NotebookDocument.Load(executed);
            Assert.All(nb.Cells.Where(c => c.IsCSharp), c => Assert.NotNull(c.ExecutionCount));
            Assert.DoesNotContain(nb.Cells.SelectMany(c => c.Outputs), o => o is ErrorOutput);
        }

        var ledger = NotebookDocument.Load(Path.Combine(dir, "notebooks", "claims-ledger.ipynb"));
        var html = ledger.Cells.SelectMany(c => c.Outputs).OfType<DisplayOutput>()
            .Select(d => d.Data.GetValueOrDefault("text/html")).OfType<string>().ToList();
        Assert.Contains(html, h => h.Contains("Plotly.newPlot(") && h.Contains("requirejs")); // the verdict chart
        Assert.Contains(html, h => h.Contains("<table class=\"ledger\"") && h.Contains("G3-06") && h.Contains("class=\"verdict\""));
        Assert.Contains(html, h => h.Contains("<caption>Verdicts per document</caption>"));

        // The report links each row to its executed notebook where one ran, and draws every chart offline.
        string report = Path.Combine(dir, "report", "index.html");
        string page = File.ReadAllText(report);
        foreach (var nbPath in ClaimCatalog.All.Select(c => c.Notebook).Distinct())
        {
            string name = Path.GetFileName(nbPath);
            bool ran = File.Exists(Path.Combine(dir, "notebooks", name));
            Assert.Equal(ran, sources.Any(s => Path.GetFileNameWithoutExtension(s) == Path.GetFileNameWithoutExtension(name)));
            Assert.Contains(ran ? $"href=\"../notebooks/{name}\"" : $"href=\"../../{nbPath}\"", page);
        }
        var (figures, drawn) = await HeadlessChromium.CountChartsAsync(report);
        Assert.Equal(figures, drawn);
    }

    [Fact]
    public async Task A_report_with_figures_draws_each_one_in_headless_chromium()
    {
        string dir = Repo.TempDir("nb-report");
        var rows = ClaimCatalog.All.Select(LedgerRow.NotRun).ToList();
        var view = new LedgerView(rows);
        var line = new LineSeries("loss", [1, 2, 3], [0.5, 0.25, 0.125]);
        var result = new StoredResult("display-check", Profile.Quick, 1, ResultStore.LibraryVersion, 1, DateTimeOffset.UtcNow, 0.1, [],
            [view.VerdictChart(), Charts.Lines("loss", "step", "loss", false, true, line), Charts.Lines("loss again", "step", "loss", false, false, line)], [view.Summary()]);
        string report = HtmlReport.Write(dir, rows, [result], []);
        var (figures, drawn) = await HeadlessChromium.CountChartsAsync(report);
        Assert.Equal(3, figures);
        Assert.Equal(3, drawn);
    }
}
