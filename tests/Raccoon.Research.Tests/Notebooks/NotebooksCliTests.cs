using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Notebooks;
using Raccoon.Research.Reporting;
using Raccoon.Research.Views;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Notebooks;

/// <summary>`notebooks run` and `reproduce` as users run them, checked by real clients (nbformat, chromium).</summary>
public class NotebooksCliTests
{
    static string Library => Path.Combine(Repo.Root, "lib", "Raccoon.Research.Cli", "bin", "Raccoon.Research.dll");

    [Fact]
    public void A_failing_cell_is_named_with_its_first_line_and_error_and_the_error_stays_in_it()
    {
        string dir = Repo.TempDir("nb-fail");
        File.WriteAllText(Path.Combine(dir, "failing.dib"), $$"""
            #!markdown

            # A notebook that fails in its third cell

            #!csharp

            #r "{{Library}}"
            using Raccoon.Research.Experiments;
            using Raccoon.Research.Reporting;
            Console.WriteLine(Environment.CurrentDirectory);
            NotebookSession.Describe()

            #!csharp

            throw new InvalidOperationException("deliberate failure");

            #!csharp

            undefinedName
            """);
        string outDir = Path.Combine(dir, "out");
        var run = Repo.RunCli("notebooks", "run", Path.Combine(dir, "failing.dib"), "--out", outDir, "--profile", "quick", "--seed", "7", "--threads", "1");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("failing.dib failed at cell 3 (throw new InvalidOperationException(\"deliberate failure\");): " +
            "System.InvalidOperationException: deliberate failure (2 cells failed in all", run.Stderr);

        string executed = Path.Combine(outDir, "notebooks", "failing.ipynb");
        Assert.Null(NbFormat.Validate(executed));
        var nb = NotebookDocument.Load(executed);
        Assert.Equal(1, nb.Cells[1].ExecutionCount);
        var stream = Assert.Single(nb.Cells[1].Outputs.OfType<StreamOutput>());
        Assert.Equal(dir + "\n", stream.Text); // the kernel's working directory is the notebook's folder
        // The real kernel shows a string as text/plain; the environment reached it.
        Assert.Contains(nb.Cells[1].Outputs.OfType<DisplayOutput>(), d => d.Data.GetValueOrDefault("text/plain") == $"profile quick, seed 7, 1 threads, results in {outDir}");
        var error = Assert.IsType<ErrorOutput>(Assert.Single(nb.Cells[2].Outputs));
        Assert.StartsWith("System.InvalidOperationException: deliberate failure", error.Value);
        // The kernel runs every cell after a failure, as dotnet-repl does; the later error is kept too.
        Assert.Contains("error CS0103", Assert.IsType<ErrorOutput>(Assert.Single(nb.Cells[3].Outputs)).Value);
    }

    [Fact]
    public void A_stored_only_notebook_reads_what_is_stored_and_refuses_to_compute()
    {
        // What a merge's notebooks run with (`reproduce --merge` sets RACCOON_STORED_ONLY=1 as --stored-only does).
        string dir = Repo.TempDir("nb-stored");
        string outDir = Path.Combine(dir, "out");
        new ResultStore(outDir).Save(new StoredResult("glyph-cnn-structure", Profile.Quick, 1, "000000000000", 2, DateTimeOffset.UtcNow, 1, [], [], []));
        File.WriteAllText(Path.Combine(dir, "stored.dib"), $$"""
            #!csharp

            #r "{{Library}}"
            using Raccoon.Research.Experiments;
            using Raccoon.Research.Reporting;
            NotebookSession.StoredOnly.ToString()

            #!csharp

            NotebookSession.Run("language-models-parameters")
            """);
        var run = Repo.RunCli("notebooks", "run", Path.Combine(dir, "stored.dib"), "--out", outDir, "--profile", "quick", "--threads", "2", "--stored-only");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("stored.dib failed at cell 2 (NotebookSession.Run(\"language-models-parameters\")): System.InvalidOperationException: " +
            "language-models-parameters: no stored result", run.Stderr);
        var nb = NotebookDocument.Load(Path.Combine(outDir, "notebooks", "stored.ipynb"));
        Assert.Contains(nb.Cells[0].Outputs.OfType<DisplayOutput>(), d => d.Data.GetValueOrDefault("text/plain") == "True");
        Assert.StartsWith($"System.InvalidOperationException: language-models-parameters: no stored result in {Path.Combine(outDir, "results")} " +
            "for profile quick, seed 1, 2 threads, and the session is stored-only (RACCOON_STORED_ONLY)", Assert.IsType<ErrorOutput>(Assert.Single(nb.Cells[1].Outputs)).Value);
        // Nothing was computed: the store holds only what it held.
        Assert.Single(Directory.GetFiles(Path.Combine(outDir, "results")));
    }

    /// <summary>A notebook run with no selection and not stored-only, as a researcher opens one: it computes the missing
    /// result in the kernel, stores it, and shows its card (the end-to-end test's `reproduce --only` computes nothing there).</summary>
    [Fact]
    public void A_notebook_with_no_selection_computes_a_missing_result_and_stores_it()
    {
        string dir = Repo.TempDir("nb-computes");
        string outDir = Path.Combine(dir, "out");
        File.WriteAllText(Path.Combine(dir, "computes.dib"), $$"""
            #!csharp

            #r "{{Library}}"
            using Raccoon.Research.Experiments;
            using Raccoon.Research.Reporting;
            NotebookSession.Start()

            #!csharp

            var parameters = NotebookSession.Run("language-models-parameters");
            parameters.Claim("H4-01")
            """);
        var run = Repo.RunCli("notebooks", "run", Path.Combine(dir, "computes.dib"), "--out", outDir, "--profile", "quick", "--threads", "2");
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Equal(["language-models-parameters.quick.seed1.threads2.json"], Directory.GetFiles(Path.Combine(outDir, "results")).Select(Path.GetFileName));
        var cell = NotebookDocument.Load(Path.Combine(outDir, "notebooks", "computes.ipynb")).Cells[1];
        Assert.StartsWith($"language-models-parameters: computing, no stored result in {Path.Combine(outDir, "results")} for profile quick, seed 1, 2 threads",
            string.Concat(cell.Outputs.OfType<StreamOutput>().Select(o => o.Text)));
        string card = string.Concat(cell.Outputs.OfType<DisplayOutput>().Select(d => d.Data.GetValueOrDefault("text/html")));
        Assert.Contains("claim-card", card);
        Assert.Contains("<b>H4-01</b>", card);
        Assert.DoesNotContain("not run", card);
    }

    /// <summary>In the kernel VS Code runs, the progress is one display updated in place (dotnet-repl, which keeps every
    /// update as an output of its own, shows each one): no printed lines.</summary>
    [Fact]
    public void Progress_updates_its_display_in_the_real_kernel()
    {
        string dir = Repo.TempDir("nb-progress");
        string path = Path.Combine(dir, "progress.ipynb");
        File.WriteAllText(path, IpynbFormat.Write(JupyterClientTests.ProgressNotebook(Library)));
        var run = Repo.RunCli("notebooks", "run", path, "--out", Path.Combine(dir, "out"));
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var outputs = NotebookDocument.Load(Path.Combine(dir, "out", "notebooks", "progress.ipynb")).Cells[0].Outputs;
        Assert.Empty(outputs.OfType<StreamOutput>());
        var shown = outputs.OfType<DisplayOutput>().Select(d => d.Data.GetValueOrDefault("text/plain")).OfType<string>().Where(t => t.Contains("demo")).ToList();
        Assert.Equal("demo: starting", shown[0]);
        Assert.Contains(shown, t => t.EndsWith("demo: step 1 of 3 (33%)", StringComparison.Ordinal));
        Assert.Equal("demo: done", shown[^1]);
        Assert.Contains(outputs.OfType<DisplayOutput>(), d => (d.Data.GetValueOrDefault("text/html") ?? "").Contains("True")); // InPlace
    }

    [Fact]
    public void A_cell_that_never_ends_is_stopped_at_the_time_limit()
    {
        string dir = Repo.TempDir("nb-timeout");
        File.WriteAllText(Path.Combine(dir, "spin.dib"), """
            #!csharp

            1 + 1

            #!csharp

            var spins = 0L;
            while (true) { spins++; }
            """);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // The limit holds for every cell, the first (the kernel's first compilation) included: 20 s leaves that cell room on a
        // loaded machine (at 3 s it was stopped there once, with two torch processes beside it), and the spinning one is still stopped.
        var run = Repo.RunCli("notebooks", "run", dir, "--out", Path.Combine(dir, "out"), "--cell-timeout", "20");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("spin.dib failed at cell 2 (var spins = 0L;): the cell ran past its time limit of 20 s", run.Stderr);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), $"the spinning kernel was stopped only after {clock.Elapsed}");
        var nb = NotebookDocument.Load(Path.Combine(dir, "out", "notebooks", "spin.ipynb"));
        Assert.Equal("TimeoutException", Assert.IsType<ErrorOutput>(Assert.Single(nb.Cells[1].Outputs)).Name);
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

    /// <summary>
    /// Every notebook under notebooks/ (whatever is there), executed by the real kernel through
    /// `reproduce --only G3-06` from an empty results folder at the quick profile: no error output, valid nbformat 4.5
    /// with VS Code's metadata, charts offline (plotly.js once per notebook, no CDN, no require.js), each notebook
    /// also a standalone HTML page beside it whose every chart draws in headless Chromium with no network,
    /// and the report links those pages and draws its own charts. Only G3-06's experiment is computed: its card is
    /// judged from that result, and every other experiment's tables, figures and cards say it was not run.
    /// </summary>
    [Fact]
    public async Task Reproduce_runs_every_repository_notebook_in_the_real_kernel_valid_with_charts_that_draw_offline()
    {
        string dir = Repo.TempDir("nb-reproduce");
        var run = Repo.RunCliIn(Repo.Root, "reproduce", "--only", "G3-06", "--profile", "quick", "--threads", "2", "--out", dir);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        // --only G3-06 means only its experiment: the notebooks computed nothing else.
        Assert.Equal(["glyph-cnn-training.quick.seed1.threads2.json"], Directory.GetFiles(Path.Combine(dir, "results")).Select(Path.GetFileName));

        var sources = Directory.EnumerateFiles(Path.Combine(Repo.Root, "notebooks")).Where(f => f.EndsWith(".ipynb") || f.EndsWith(".dib")).ToList();
        Assert.Contains(sources, s => s.EndsWith("claims-ledger.ipynb"));
        int charts = 0, svgOutputs = 0;
        bool chromium = ExternalTools.Has(ExternalTools.Chromium); // the notebooks run and validate without it; only the drawing needs it
        foreach (var source in sources)
        {
            string name = Path.GetFileName(source);
            string executed = RealKernel.ExecutedPath(dir, source);
            Assert.True(File.Exists(executed), $"{executed} was not written");
            Assert.Null(NbFormat.Validate(executed));
            AssertVsCodeMetadata(executed);
            var nb = NotebookDocument.Load(executed);
            Assert.All(nb.Cells.Where(c => c.IsCSharp), c => Assert.NotNull(c.ExecutionCount));
            var errors = nb.Cells.Select((c, i) => (Cell: i + 1, Errors: c.Outputs.OfType<ErrorOutput>().ToList())).Where(x => x.Errors.Count > 0).ToList();
            Assert.True(errors.Count == 0, $"{name}: " + string.Join("; ", errors.Select(e => $"cell {e.Cell}: {e.Errors[0].Value}")));

            // Offline: plotly.js travels once with the notebook's outputs, where it has a chart; nothing is fetched.
            int count = nb.Cells.SelectMany(c => c.Outputs).OfType<DisplayOutput>()
                .Count(d => d.Data.GetValueOrDefault("text/html")?.Contains("plotly-figure", StringComparison.Ordinal) == true);
            string text = string.Concat(nb.Cells.SelectMany(c => c.Outputs).OfType<DisplayOutput>().SelectMany(d => d.Data.Values));
            Assert.True(Occurrences(text, PlotlyJs.Banner) == (count > 0 ? 1 : 0), $"{name}: {count} charts, plotly.js {Occurrences(text, PlotlyJs.Banner)} times");
            // plotly.js itself names its CDN (the default of topojsonURL, for maps, which no chart here draws): checked outside it.
            Assert.DoesNotContain("cdn.", text.Replace(PlotlyJs.Source, ""));
            Assert.DoesNotContain("requirejs", text);
            // Every chart box holds its static drawing (what GitHub and script-less viewers show), drawn in the kernel,
            // and a chart shown on its own also has an image/svg+xml output.
            Assert.Equal(Occurrences(text, "class=\"plotly-figure\""), Occurrences(text, "<img class=\"static-figure\""));
            Assert.DoesNotContain(StaticFigure.NotDrawn, text);
            Assert.All(nb.Cells.SelectMany(c => c.Outputs).OfType<DisplayOutput>().Where(d => d.Data.ContainsKey("image/svg+xml")),
                d => Assert.Contains("<svg", d.Data["image/svg+xml"]));
            svgOutputs += nb.Cells.SelectMany(c => c.Outputs).OfType<DisplayOutput>().Count(d => d.Data.ContainsKey("image/svg+xml"));

            // The standalone page: no script from the network, plotly.js once where there is a chart.
            string page = NotebookPage.PathFor(executed);
            Assert.True(File.Exists(page), $"{page} was not written");
            string html = File.ReadAllText(page);
            Assert.DoesNotMatch(@"<script[^>]*\ssrc=", html);
            Assert.DoesNotContain("cdn.", html.Replace(PlotlyJs.Source, ""));
            Assert.True(Occurrences(html, PlotlyJs.Banner) == (count > 0 ? 1 : 0), $"{Path.GetFileName(page)}: plotly.js {Occurrences(html, PlotlyJs.Banner)} times");
            Assert.Equal(nb.Cells.Count(c => c.Kind == CellKind.Code), Occurrences(html, "<pre class=\"source\">"));
            charts += count;
            if (!chromium) continue;
            var (figures, drawn) = await HeadlessChromium.CountChartsAsync(page);
            Assert.Equal(count, figures);
            Assert.True(figures == drawn, $"{name}: {drawn} of {figures} charts drew");
        }
        Assert.True(charts > 0, "no notebook drew a chart");
        Assert.True(svgOutputs > 0, "no chart had an image/svg+xml output");

        // The selected claim's card is judged from the result the run computed; an unselected one says it was not run.
        var glyph = NotebookDocument.Load(Path.Combine(dir, "notebooks", "003-glyph-cnn.ipynb"));
        // What the cell ending in the line shows.
        string Shown(NotebookDocument nb, string line) => System.Net.WebUtility.HtmlDecode(string.Concat(
            Assert.Single(nb.Cells, c => c.IsCSharp && c.Source.Trim().EndsWith(line, StringComparison.Ordinal)).Outputs.OfType<DisplayOutput>().Select(d => d.Data.GetValueOrDefault("text/html"))));
        string selected = Shown(glyph, "training.Claim(\"G3-06\")");
        Assert.Contains("claim-card", selected);
        Assert.DoesNotContain("not run in this reproduction", selected);
        Assert.Contains("glyph-cnn-training, profile quick, seed 1, 2 torch threads", selected);
        const string NotRun = "not run in this reproduction (it selected only G3-06): run `reproduce` without --only, or open the notebook to compute it";
        Assert.Contains("glyph-cnn-structure: " + NotRun, Shown(glyph, "structure.Claim(\"G3-01\")"));
        Assert.Contains("glyph-cnn-speed: " + NotRun, Shown(glyph, "speed.Figure(\"relative-speed\")"));
        var logs = NotebookDocument.Load(Path.Combine(dir, "notebooks", "000-log-classifiers.ipynb"));
        Assert.Contains("log-classifiers-speed: " + NotRun, Shown(logs, "speed.Table(\"operations\")"));

        var ledger = NotebookDocument.Load(Path.Combine(dir, "notebooks", "claims-ledger.ipynb"));
        var outputs = ledger.Cells.SelectMany(c => c.Outputs).OfType<DisplayOutput>()
            .Select(d => d.Data.GetValueOrDefault("text/html")).OfType<string>().ToList();
        Assert.Contains(outputs, h => h.Contains("Plotly.newPlot(") && h.Contains("plotly-figure")); // the verdict chart, built in the kernel
        Assert.Contains(outputs, h => h.Contains("<table class=\"ledger\"") && h.Contains("G3-06") && h.Contains("class=\"verdict\""));
        Assert.Contains(outputs, h => h.Contains("<caption>Verdicts per document</caption>"));

        // The report links each row to its executed notebook's page where one ran, and draws every chart offline.
        string report = Path.Combine(dir, "report", "index.html");
        string reportHtml = File.ReadAllText(report);
        foreach (var nbPath in ClaimCatalog.All.Select(c => c.Notebook).Distinct())
        {
            string stem = Path.GetFileNameWithoutExtension(nbPath);
            bool ran = File.Exists(Path.Combine(dir, "notebooks", stem + ".html"));
            Assert.Contains(ran ? $"href=\"../notebooks/{stem}.html\"" : $"href=\"../../{nbPath}\"", reportHtml);
        }
        Assert.DoesNotMatch(@"<script[^>]*\ssrc=", reportHtml);
        Assert.Equal(1, Occurrences(reportHtml, PlotlyJs.Banner));
        ExternalTools.Require(ExternalTools.Chromium); // everything above ran; what follows and the charts above need chromium
        var (reportFigures, reportDrawn) = await HeadlessChromium.CountChartsAsync(report);
        Assert.Equal(reportFigures, reportDrawn);
    }

    static int Occurrences(string text, string part)
    {
        int n = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>The notebook as VS Code saves it: nbformat 4.5, the .NET (C#) kernelspec, polyglot metadata, an 8-hex id on every cell.</summary>
    static void AssertVsCodeMetadata(string path)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(4, root["nbformat"]!.GetValue<int>());
        Assert.Equal(5, root["nbformat_minor"]!.GetValue<int>());
        Assert.Equal(".net-csharp", root["metadata"]!["kernelspec"]!["name"]!.GetValue<string>());
        Assert.Equal("csharp", root["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]!.GetValue<string>());
        foreach (var cell in root["cells"]!.AsArray())
        {
            Assert.Matches("^[0-9a-f]{8}$", cell!["id"]!.GetValue<string>());
            if (cell["cell_type"]!.GetValue<string>() != "code") continue;
            Assert.Equal("polyglot-notebook", cell["metadata"]!["vscode"]!["languageId"]!.GetValue<string>());
            Assert.Equal("csharp", cell["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_report_with_figures_draws_each_one_in_headless_chromium()
    {
        ExternalTools.Require(ExternalTools.Chromium);
        string dir = Repo.TempDir("nb-report");
        var rows = ClaimCatalog.All.Select(LedgerRow.NotRun).ToList();
        var view = new LedgerView(rows);
        var line = new LineSeries("loss", [1, 2, 3], [0.5, 0.25, 0.125]);
        var result = new StoredResult("display-check", Profile.Quick, 1, ResultStore.LibraryVersion, 1, DateTimeOffset.UtcNow, 0.1, [],
            [view.VerdictChart(), Charts.Lines("loss", "step", "loss", false, true, line), Charts.Lines("loss again", "step", "loss", false, false, line)], [view.Summary()]);
        string report = HtmlReport.Write(dir, rows, [result], []);
        var (figures, drawn) = await HeadlessChromium.CountChartsAsync(report);
        // The result's three figures and the report's own chart of verdicts per document.
        Assert.Equal(4, figures);
        Assert.Equal(4, drawn);
    }
}
