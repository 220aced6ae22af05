using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Reporting;
using Raccoon.Research.Views;
using Raccoon.Research.Reporting.WriteUp;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Reporting;

/// <summary>
/// What the library writes does not depend on the culture of the process that calls it (issue 24): a notebook kernel
/// under de-DE, fr-FR or ar-SA gets byte for byte what the command line (invariant culture) gets, in an experiment's
/// figures, tables and finding sentences, the ledger (JSON, CSV) and its verdict sentences, the report, the write-up and
/// its table and figure files, a claim card and the notebook displays. Everything under test is built inside the culture.
/// </summary>
public sealed class CultureIndependenceTests : IClassFixture<TorchFixture>
{
    /// <summary>Cultures whose numbers differ from the invariant culture's: a decimal comma (de-DE), a comma and a narrow
    /// no-break space between thousands (fr-FR), the Arabic decimal separator and the Umm al-Qura calendar (ar-SA).</summary>
    static readonly string[] CultureNames = ["de-DE", "fr-FR", "ar-SA"];

    public static readonly TheoryData<string> Cultures = new(CultureNames);

    static readonly MachineContext Machine = new("Test CPU", 2, 2, 2, "0.107.0", "2.10.0", ".NET 10.0", "Debian 12", true, "test");

    /// <summary>Runs <paramref name="work"/> with <paramref name="culture"/> as the current (and UI) culture, then puts the old ones back.</summary>
    static T Under<T>(string culture, Func<T> work)
    {
        var (old, oldUi) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        var c = CultureInfo.GetCultureInfo(culture);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = c;
        try { return work(); }
        finally { (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (old, oldUi); }
    }

    /// <summary>The test means something only where the culture really formats otherwise (ICU present, not invariant globalization mode).</summary>
    static void AssertCultureDiffers(string culture)
    {
        string text = Under(culture, () => $"{1234.5:N1} {DateTime.UnixEpoch:yyyy}");
        Assert.True(text != "1,234.5 1970", $"{culture} formats like the invariant culture here ('{text}'): is ICU missing (DOTNET_SYSTEM_GLOBALIZATION_INVARIANT)?");
    }

    [Theory]
    [InlineData("language-models-parameters")]
    [InlineData("glyph-cnn-structure")]
    public void A_real_experiment_gives_the_same_figures_tables_findings_and_claim_cards_in_every_culture(string name)
    {
        var experiment = ExperimentRegistry.Get(name);
        string Run(string culture) => Under(culture, () =>
        {
            var r = ExperimentRunner.Run(experiment, new ExperimentContext(Profile.Quick, 1, 2, Repo.TempDir("culture-run")), reuse: false);
            // The clock's fields and the CPU other processes used meanwhile differ from run to run; everything else is computed.
            r = r with { FinishedAt = DateTimeOffset.UnixEpoch, Seconds = 0, OtherCores = null };
            var cards = r.Measurements.Select(m => r.Claim(m.ClaimId)).ToList();
            return Stable(JsonSerializer.Serialize(r, Json.Options) + "\n" +
                string.Join("\n", cards.Select(c => c.ToText() + "\n" + c.ToHtml())) + "\n" +
                string.Join("\n", r.Tables.Select(Display)) + "\n" + string.Join("\n", r.Figures.Select(Display)));
        });
        string invariant = Run("");
        foreach (var culture in CultureNames)
        {
            AssertCultureDiffers(culture);
            AssertSame(invariant, Run(culture), $"{name} under {culture}");
        }
    }

    [Theory]
    [MemberData(nameof(Cultures))]
    public void The_ledger_report_write_up_claim_cards_and_csv_are_the_same_in_every_culture(string culture)
    {
        AssertCultureDiffers(culture);
        // One folder for both, as the report names its folder.
        string dir = Repo.TempDir("culture-views");
        var invariant = Files(dir, "");
        Directory.Delete(dir, recursive: true);
        var local = Files(dir, culture);
        Assert.Equal(invariant.Keys.Order(), local.Keys.Order());
        var differing = invariant.Where(f => f.Value != local[f.Key]).Select(f => Difference(f.Value, local[f.Key], $"{f.Key} under {culture}")).ToList();
        Assert.True(differing.Count == 0, $"{differing.Count} of {invariant.Count} outputs differ:\n" + string.Join("\n", differing));
    }

    /// <summary>Every text the views write from a sample ledger, by name: the files of the ledger, the report and the
    /// write-up (each table's CSV, LaTeX and Markdown, each figure's SVG), and what a notebook displays.</summary>
    static Dictionary<string, string> Files(string dir, string culture) => Under(culture, () =>
    {
        Directory.CreateDirectory(dir);
        var (rows, result) = Sample();
        LedgerFiles.Write(dir, rows);
        HtmlReport.Write(dir, rows, [result], [], Machine);
        var writeUp = PaperWriteUp.Write(dir, rows, [result], [], Machine, "reproduce --profile quick");
        var texts = new Dictionary<string, string>();
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                     .Where(f => Path.GetExtension(f) is ".json" or ".csv" or ".html" or ".tex" or ".md" or ".svg"))
            texts[Path.GetRelativePath(dir, file)] = File.ReadAllText(file);
        Assert.Contains(writeUp.Figures, f => f.EndsWith(".svg", StringComparison.Ordinal));
        var measured = rows.Where(r => r.Verdict != Verdict.NotRun).ToList();
        texts["claim cards"] = string.Join("\n", measured.Select(r => new ClaimCard(r).ToText() + "\n" + new ClaimCard(r).ToHtml()));
        texts["ledger view"] = Display(new LedgerView(rows)) + "\n" + Display(new LedgerView(rows).Summary()) + "\n" + Display(new LedgerView(rows).VerdictChart());
        texts["result displays"] = string.Join("\n", result.Tables.Select(Display).Concat(result.Figures.Select(Display)));
        texts["abstract"] = PaperWriteUp.Abstract(rows, [result]);
        texts["comparison"] = LedgerComparison.Markdown(LedgerComparison.Compare(rows, rows), "a", "b");
        return texts.ToDictionary(t => t.Key, t => Stable(t.Value));
    });

    /// <summary>What the notebook kernel shows of <paramref name="value"/>: its HTML and its plain text.</summary>
    static string Display(object value)
    {
        var html = new StringWriter();
        var text = new StringWriter();
        Assert.True(NotebookHtml.TryFormat(value, html), $"no HTML display for {value.GetType().Name}");
        NotebookHtml.TryFormatPlain(value, text);
        return html + "\n" + text;
    }

    /// <summary>The text without the ids that differ between two calls in any culture: a notebook chart's random element
    /// id (fig-1a2b3c4d5e6f, render_fig_1a2b3c4d5e6f) and the SVG canvas's clip-path counter (cl_1f).</summary>
    // plotly.js rides with the first chart a process shows (PlotlyJs.NotebookLoaderOnce), so which of two renderings carries
    // it depends on their order, not on the culture: it is taken out before comparing.
    static string Stable(string text) =>
        Regex.Replace(text.Replace(PlotlyJs.NotebookLoader(), ""), @"(fig[-_])[0-9a-f]{12}(?![0-9a-f])|\b(cl_)[0-9a-f]+\b", "$1$2#");

    static void AssertSame(string expected, string actual, string what)
    {
        if (expected != actual) Assert.Fail(Difference(expected, actual, what));
    }

    static string Difference(string expected, string actual, string what)
    {
        int i = 0;
        while (i < Math.Min(expected.Length, actual.Length) && expected[i] == actual[i]) i++;
        string Around(string s) => s.Substring(Math.Max(0, i - 80), Math.Min(s.Length, i + 80) - Math.Max(0, i - 80)).ReplaceLineEndings("\\n");
        return $"{what} differs from the invariant culture's at character {i}:\n  invariant: ...{Around(expected)}...\n  this:      ...{Around(actual)}...";
    }

    /// <summary>A ledger of a per-build row, a timing ratio with an interval and a conditions row, judged from one result
    /// with charts and a table; the rest not run. Built in the culture under test; its texts are an experiment's, which
    /// runs in the invariant culture (the first test checks that), so they are written here as such.</summary>
    static (IReadOnlyList<LedgerRow> Rows, StoredResult Result) Sample()
    {
        var at = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        var ratio = ClaimCatalog.All.First(c => c.Rule.Kind == "ratio" && c.Id != "R0-01");
        var measurements = new List<Measurement>
        {
            Measurement.PerBuild("R0-01", "upstream 6.25x, documented 30.5x fewer parameters",
                [new BuildMeasurement("upstream", "6.25x", 6.25, Upstream: true), new BuildMeasurement("documented", "30.5x", 30.5)], "parameter counts"),
            Measurement.Number(ratio.Id, 1.37, "1.37x faster (median of 5, interleaved)", "Timing.Compare",
                interval: new MeasuredInterval(1.21, 1.58), kind: FigureKind.Timing),
            Measurement.Of("R0-12", "the document's two tables disagree",
                [new("contradictions", 2), new("inferenceRatio", 50.5), new("epochRatio", 49.25), new("accuracyGap", 3.5)], reason: "table 1 says 80.5 ms, table 2 says 100.25 ms"),
        };
        var line = new LineSeries("loss", [1, 2, 3, 4], [0.95, 0.55, 0.35, 0.25]);
        var figures = new List<Figure>
        {
            Charts.Lines("Training loss", "step", "loss", false, true, line).Named("loss"),
            Charts.Bars("Milliseconds per call (1.5 ms mean)", "ms", false, ["original", "alternative"], new BarSeries("ms", [12.5, 3.125])).Named("speed"),
            Charts.Boxes("Repetitions", "ms", false, new BoxSeries("a", [1.25, 2.5, 3.75, 2.5]), new BoxSeries("b", [2.5, 3.5, 4.5, 3.5])).Named("spread"),
        };
        var table = new Table("Counts", ["component", "parameters", "share"], [["embedding", "15,000", "78.9%"], ["head", "4,000", "21.1%"]]).Named("counts");
        var result = new StoredResult("culture-check", Profile.Quick, 1, ResultStore.LibraryVersion, 2, at, 1.5, measurements, figures, [table]);
        var rows = Reproduction.BuildLedger(ClaimCatalog.All, [result], null);
        return (rows, result);
    }
}
