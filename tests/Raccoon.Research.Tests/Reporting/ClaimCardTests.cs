using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Reporting;

namespace Raccoon.Research.Tests.Reporting;

/// <summary>The claim card a notebook shows per claim, from results built by hand (no torch): judged by the ledger's
/// rule from the result itself, rendered as HTML and as text.</summary>
public class ClaimCardTests
{
    static readonly DateTimeOffset At = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    // at 1 thread: the committed between-run record (standard at 2 threads) leaves the intervals as measured
    static StoredResult Result(string experiment, Profile profile, IReadOnlyList<Measurement> measurements, params Table[] tables) =>
        new(experiment, profile, 3, "test-build", 1, At, 1.5, measurements, [], tables, Optimized: true);

    static readonly HeldOutTrace Converged = new("alternative", "validation loss", false, [1, 2, 3, 4, 5, 6, 7, 8], [3, 2, 1.5, 1.2, 1.2, 1.2, 1.2, 1.2], "early stopping");
    static readonly HeldOutTrace StillFalling = new("alternative", "validation loss", false, [1, 2, 3, 4, 5, 6, 7, 8], [3, 2.8, 2.6, 2.4, 2.2, 2.0, 1.8, 1.6], "epoch cap 8");

    [Fact]
    public void A_ratio_claim_shows_the_document_the_measured_figure_its_interval_and_how_far_off()
    {
        var speed = Result("latent-ode-cost", Profile.Standard, [
            Measurement.Number("T1-06", 3.2, "3.2x faster at seq 512 (upstream 40 ms, modern 12.5 ms)", evidence: "encoder forward, 3 blocks of 20 interleaved pairs",
                interval: new MeasuredInterval(3.0, 3.4), kind: FigureKind.Timing),
            Measurement.Number("T1-09", 20, "20% less memory"),
        ], Findings.Of(("T1-06", "The fused kernel carries most of the gain.")));

        var card = speed.Claim("T1-06");
        Assert.Equal(Verdict.Holds, card.Verdict); // 4.0 / 3.2 = 1.25, inside the rule's factor 2
        Assert.Equal(4.0, card.Claimed);
        Assert.Equal(3.2, card.Measured!.Value);
        Assert.Equal("x forward speedup at seq 512", card.Measured.Unit);
        Assert.Equal(new MeasuredInterval(3.0, 3.4), card.Measured.Interval);
        Assert.Equal(0.8, card.Factor!.Value, 12);
        Assert.Equal("final", card.Status);
        Assert.Equal("3.2 x forward speedup at seq 512 [3.00, 3.40]", card.MeasuredLine());
        Assert.Equal("measured / claimed = 0.8; claimed 4.0 x forward speedup at seq 512, measured 3.2: 1.25x short of the claim", card.OffLine());
        Assert.Equal("The fused kernel carries most of the gain.", card.Finding);

        string text = card.ToText();
        Assert.StartsWith("T1-06  holds  (final)\nclaim: Forward pass: seq 128 15.2 -> 8.1 ms (1.9x); seq 512 124.5 -> 31.2 ms (4.0x).\n" +
            "document: seq 128: 15.2 -> 8.1 ms (1.9x); seq 512: 124.5 -> 31.2 ms (4.0x)\n" +
            "measured: 3.2 x forward speedup at seq 512 [3.00, 3.40] (3.2x faster at seq 512 (upstream 40 ms, modern 12.5 ms))\n", text);
        Assert.Contains("\nfinding: The fused kernel carries most of the gain.\n", text);
        Assert.Contains("\nevidence: encoder forward, 3 blocks of 20 interleaved pairs\n", text);
        Assert.EndsWith("measured by: latent-ode-cost, profile standard, seed 3, 1 torch thread, 2026-12-06 12:00:00Z", text);

        string html = card.ToHtml();
        Assert.Contains($"border-left:6px solid {VerdictStyle.Colour(Verdict.Holds)}", html);
        Assert.Contains(VerdictStyle.Badge(Verdict.Holds), html);
        Assert.Contains("<b>3.2 x forward speedup at seq 512 [3.00, 3.40]</b>", html);
        // The reason, the finding and the evidence are folded under the card.
        int details = html.IndexOf("<details>", StringComparison.Ordinal);
        Assert.True(details > 0);
        Assert.True(html.IndexOf("encoder forward, 3 blocks of 20 interleaved pairs", StringComparison.Ordinal) > details);
        Assert.True(html.IndexOf("The fused kernel carries most of the gain.", StringComparison.Ordinal) > details);

        // The card's formatter is the kernel's: HTML and plain text through the library's formatter source.
        var html2 = new StringWriter();
        Assert.True(NotebookHtml.TryFormat(card, html2));
        Assert.Equal(html, html2.ToString());
        var plain = new StringWriter();
        Assert.True(NotebookHtml.TryFormatPlain(card, plain));
        Assert.Equal(text, plain.ToString());
    }

    [Fact]
    public void The_verdict_is_judged_from_the_result_in_hand_not_from_a_ledger_file()
    {
        // T1-09 ("at least 30% less"): 20% is 1.5x short, at the edge of the rule's tolerance; 10% is 3x short.
        var weak = Result("latent-ode-cost", Profile.Standard, [Measurement.Number("T1-09", 10, "10% less memory")]);
        var strong = Result("latent-ode-cost", Profile.Standard, [Measurement.Number("T1-09", 45, "45% less memory")]);
        Assert.Equal(Verdict.Fails, weak.Claim("T1-09").Verdict);
        Assert.Equal(Verdict.Holds, strong.Claim("T1-09").Verdict);
        Assert.Equal(1.5, strong.Claim("T1-09").Factor!.Value, 12);
        Assert.Contains("past the claim", strong.Claim("T1-09").OffLine());
    }

    [Fact]
    public void Below_the_rules_profile_a_card_is_provisional_and_says_which_profile_it_needs()
    {
        var r = Result("path-flow-inference", Profile.Quick, [Measurement.Number("V2-05", 5, "5x faster with the cache")]);
        var card = r.Claim("V2-05");
        Assert.Equal(Verdict.Holds, card.Verdict);
        Assert.True(card.Row.Provisional);
        Assert.Equal("provisional (needs standard)", card.Status);
        Assert.Contains("provisional: measured at profile quick, the rule needs standard", card.ToHtml());
        Assert.Contains("\nprovisional: measured at profile quick, the rule needs standard\n", card.ToText());
        Assert.Equal("measured / claimed = 2.5; claimed 2.0-10.0 x faster with cached base trajectories, measured 5.0: within the claimed range", card.OffLine());
    }

    [Fact]
    public void A_trained_claim_says_whether_its_models_converged()
    {
        var converged = Result("log-classifiers-training", Profile.Standard, [
            new Measurement("R0-08", "2.5 points lost", 2.5, Traces: [Converged])]);
        var card = converged.Claim("R0-08");
        Assert.Equal(Verdict.Holds, card.Verdict);
        Assert.True(card.Row.Converged);
        Assert.Null(card.Factor); // a points rule: how far off is in points, not a factor
        Assert.Equal("claimed 3.0 accuracy points lost, measured 2.5: 0.5 points below the claim", card.OffLine());
        Assert.Contains("\nmodels: the models converged (plateau test passed)\n", card.ToText());

        var falling = Result("log-classifiers-training", Profile.Standard, [
            new Measurement("R0-08", "2.5 points lost", 2.5, Traces: [StillFalling])]).Claim("R0-08");
        Assert.Equal(Verdict.Inconclusive, falling.Verdict);
        Assert.False(falling.Row.Converged);
        Assert.Equal("not converged at this size", falling.Status);
        Assert.Contains("<span class=\"provisional\">not converged at this size</span>", falling.ToHtml());
        Assert.Contains("still improved", falling.Row.Reason);
    }

    [Fact]
    public void A_claim_measured_on_several_builds_shows_each_builds_verdict()
    {
        var r = Result("log-classifiers-structure", Profile.Quick, [
            Measurement.PerBuild("R0-01", "6.2x (upstream), 30x (as documented)", [
                new BuildMeasurement("upstream", "6.2x fewer", 6.2, Upstream: true),
                new BuildMeasurement("as documented", "30x fewer", 30),
            ])]);
        var card = r.Claim("R0-01");
        Assert.Equal(Verdict.Partly, card.Verdict); // the upstream build heads the row: 31 / 6.2 = 5x short, past the factor 2
        Assert.Equal(6.2, card.Measured!.Value);
        Assert.Equal(6.2 / 31, card.Factor!.Value, 12);
        string text = card.ToText();
        Assert.Contains("\nbuild upstream (upstream): partly: 6.2x fewer\n", text);
        Assert.Contains("\nbuild as documented: holds: 30x fewer\n", text);
        Assert.Contains("as documented: " + VerdictStyle.Badge(Verdict.Holds) + " 30x fewer", card.ToHtml());
    }

    [Fact]
    public void A_claim_judged_on_named_figures_lists_them_with_unit_and_interval()
    {
        var r = Result("latent-ode-structure", Profile.Standard, [Measurement.Of("T1-02", "the block is pre-norm", [
            new Quantity("postNormDistance", 0.5, "relative L2", new MeasuredInterval(0.4, 0.6)),
            new Quantity("preNormDistance", 0, "relative L2"),
        ])]);
        var card = r.Claim("T1-02");
        Assert.Equal(Verdict.Fails, card.Verdict);
        Assert.Null(card.Measured);
        Assert.Equal("postNormDistance 0.5 relative L2 [0.40, 0.60]; preNormDistance 0 relative L2", card.FiguresLine());
        Assert.Contains("\nfigures: postNormDistance 0.5 relative L2 [0.40, 0.60]; preNormDistance 0 relative L2\n", card.ToText());
        Assert.Contains("<tr><th>figures</th><td>postNormDistance 0.5 relative L2 [0.40, 0.60]; preNormDistance 0 relative L2</td></tr>", card.ToHtml());
    }

    [Fact]
    public void An_unknown_claim_names_the_claims_the_result_measures()
    {
        var r = Result("latent-ode-cost", Profile.Quick, [Measurement.Number("T1-09", 20, "20% less")]);
        var e = Assert.Throws<KeyNotFoundException>(() => r.Claim("T1-06"));
        Assert.Equal("experiment 'latent-ode-cost' measures no claim T1-06; it measures T1-09", e.Message);
    }

    [Fact]
    public void A_notebooks_closing_table_holds_the_rows_judged_from_its_own_results_in_catalog_order()
    {
        var training = Result("log-classifiers-training", Profile.Standard, [new Measurement("R0-08", "2.5 points lost", 2.5, Traces: [Converged])]);
        var structure = Result("log-classifiers-structure", Profile.Standard, [
            Measurement.PerBuild("R0-01", "6.2x", [new BuildMeasurement("upstream", "6.2x fewer", 6.2, Upstream: true)])]);
        var view = LedgerView.Of(training, structure);
        Assert.Equal(["R0-01", "R0-08"], view.Rows.Select(r => r.Id));
        Assert.Equal([Verdict.Partly, Verdict.Holds], view.Rows.Select(r => r.Verdict));
        Assert.Equal(["log-classifiers-structure", "log-classifiers-training"], view.Rows.Select(r => r.Experiment));
    }
}

/// <summary>Tables and the ledger as DataFrames a researcher can sort and compute on: numbers as numeric columns.</summary>
public class DataFrameColumnTests
{
    [Fact]
    public void A_table_column_of_numbers_becomes_numeric_and_any_other_stays_text()
    {
        var table = new Table("t", ["model", "parameters", "loss", "memory", "note"], [
            ["Transformer", "355532", "1.25", "355.5328M / 728.9856M", ""],
            ["HyperMixer", "-12", "NaN", "12M / 3M", "x"],
            ["empty", "", "3e-2", "", ""],
        ]);
        var frame = table.ToDataFrame();
        Assert.IsType<Microsoft.Data.Analysis.StringDataFrameColumn>(frame.Columns["model"]);
        var parameters = Assert.IsType<Microsoft.Data.Analysis.Int64DataFrameColumn>(frame.Columns["parameters"]);
        Assert.Equal([355532L, -12L, null], parameters.ToList());
        var loss = Assert.IsType<Microsoft.Data.Analysis.DoubleDataFrameColumn>(frame.Columns["loss"]);
        Assert.Equal(1.25, loss[0]);
        Assert.True(double.IsNaN(loss[1]!.Value));
        Assert.Equal(0.03, loss[2]);
        Assert.IsType<Microsoft.Data.Analysis.StringDataFrameColumn>(frame.Columns["memory"]); // two quantities in a cell stay text
        Assert.IsType<Microsoft.Data.Analysis.StringDataFrameColumn>(frame.Columns["note"]);
        var sorted = frame.OrderBy("parameters");
        Assert.Equal(["HyperMixer", "Transformer"], sorted.Columns["model"].Cast<string>().Take(2));
    }

    [Fact]
    public void The_ledgers_frame_has_numeric_value_interval_and_factor_columns_that_sort()
    {
        var rows = new[]
        {
            Judge.Row(ClaimCatalog.Get("T1-06"), Measurement.Number("T1-06", 3.2, "3.2x", interval: new MeasuredInterval(3.0, 3.4)), "e", "standard", 1, DateTimeOffset.UnixEpoch),
            Judge.Row(ClaimCatalog.Get("T1-09"), Measurement.Number("T1-09", 45, "45% less"), "e", "standard", 1, DateTimeOffset.UnixEpoch),
            LedgerRow.NotRun(ClaimCatalog.Get("T1-01")),
        };
        var frame = new LedgerView(rows).ToDataFrame();
        Assert.Equal(["id", "document", "verdict", "status", "claimed", "value", "low", "high", "unit", "factor", "provisional", "converged", "profile", "experiment"],
            frame.Columns.Select(c => c.Name));
        foreach (var name in new[] { "claimed", "value", "low", "high", "factor" })
            Assert.IsType<Microsoft.Data.Analysis.DoubleDataFrameColumn>(frame.Columns[name]);
        Assert.Equal([3.2, 45.0, null], frame.Columns["value"].Cast<double?>());
        Assert.Equal([3.0, null, null], frame.Columns["low"].Cast<double?>());
        Assert.Equal([3.4, null, null], frame.Columns["high"].Cast<double?>());
        Assert.Equal([0.8, 1.5, null], frame.Columns["factor"].Cast<double?>().Select(f => f is double x ? Math.Round(x, 12) : (double?)null));
        Assert.Equal(["holds", "holds", "not-run"], frame.Columns["verdict"].Cast<string>());
        var sorted = frame.OrderByDescending("factor");
        Assert.Equal("T1-09", sorted.Columns["id"][0]);
        // Shown as a table: numbers to 6 significant digits, a missing one empty.
        var shown = sorted.AsTable("by factor");
        Assert.Equal(["T1-09", "1.5", "45"], new[] { shown.Rows[0][0], shown.Rows[0][9], shown.Rows[0][5] });
        Assert.Equal(["0.8", "3", "3.4"], new[] { shown.Rows[1][9], shown.Rows[1][6], shown.Rows[1][7] });
    }
}
