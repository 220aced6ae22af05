using System.Globalization;
using System.Text;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Reporting;
using Raccoon.Research.Reporting.WriteUp;

namespace Raccoon.Research.Tests.IO;

/// <summary>Issue 24 item 4: one CSV writer (RFC 4180) for the ledger, measurement views and the write-up's tables.</summary>
public sealed class CsvTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("", "")]
    [InlineData("a, b", "\"a, b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("\"", "\"\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("cr\rlf\r\n", "\"cr\rlf\r\n\"")]
    [InlineData(" leading", " leading")]
    [InlineData("trailing ", "trailing ")]
    [InlineData("  indented, with a comma ", "\"  indented, with a comma \"")]
    [InlineData("\ttab", "\ttab")]
    [InlineData("inner space", "inner space")]
    [InlineData("1.5e-07", "1.5e-07")]
    public void Fields_are_quoted_when_they_hold_a_comma_quote_or_line_break_and_keep_edge_spaces(string field, string expected) =>
        Assert.Equal(expected, Csv.Field(field));

    [Fact]
    public void Records_end_in_crlf_and_a_header_comes_first()
    {
        Assert.Equal("a,b\r\n1,\"x,y\"\r\n,\r\n", Csv.Write(["a", "b"], [["1", "x,y"], ["", ""]]));
        Assert.Equal("h\r\n", Csv.Write(["h"], []));
    }

    /// <summary>The three escapers the writer replaced were all this one.</summary>
    static string FormerEscape(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    [Fact]
    public void Ordinary_fields_come_out_as_the_former_escapers_wrote_them()
    {
        string[] fields = ["H4-01", "  indented", "trailing ", "493,973", "holds", "1.5", "x \"quoted\" y", "a\nb", "", "upstream: partly (6.15); documented: holds (25.3)", "2026-12-06T19:00:00.0000000+00:00"];
        foreach (var f in fields) Assert.Equal(FormerEscape(f), Csv.Field(f));
    }

    [Fact]
    public void The_ledger_csv_is_the_former_text_with_rfc_4180_record_ends()
    {
        var rows = new[]
        {
            LedgerRow.From(ClaimCatalog.Get("H4-01"), Measurement.Number("H4-01", 493973, "493,973"), "language-models-parameters", "quick", 1, DateTimeOffset.UnixEpoch),
            LedgerRow.From(ClaimCatalog.Get("R0-02"), Measurement.Number("R0-02", 12.5, "12.5x \"timed\"") with { Kind = FigureKind.Timing }, "e", "standard", 3, DateTimeOffset.UnixEpoch),
        };
        Assert.Equal(FormerLedgerCsv(rows).Replace("\n", "\r\n"), LedgerFiles.ToCsv(rows));
    }

    [Fact]
    public void Measurement_and_write_up_tables_keep_their_text()
    {
        var table = new Table("t", ["name", "value"], [["plain", "1"], ["a, b", "say \"hi\""], ["short"]]);
        Assert.Equal("name,value\r\nplain,1\r\n\"a, b\",\"say \"\"hi\"\"\"\r\nshort\r\n", MeasurementViews.ToCsv(table));
        Assert.Equal("name,value\r\nplain,1\r\n\"a, b\",\"say \"\"hi\"\"\"\r\nshort,\r\n", TableFormats.Csv(table)); // padded to the columns
    }

    /// <summary>LedgerFiles.ToCsv as it was before the shared writer (its AppendLine wrote "\n" on Linux).</summary>
    static string FormerLedgerCsv(IEnumerable<LedgerRow> rows)
    {
        var sb = new StringBuilder();
        sb.Append("id,document,claim,claimed,measured,verdict,notebook,evidence,reason,measured_value,measured_low,measured_high,off_by,factor,converged," +
            "builds,provisional,min_profile,experiment,profile,seed,threads,measured_at,figure_kind,build").Append('\n');
        foreach (var r in rows)
        {
            string[] cells =
            [
                r.Id, r.Document, r.Claim, r.Claimed, r.Measured, r.Verdict.Name(), r.Notebook, r.Evidence ?? "",
                r.Reason ?? "", Number(r.MeasuredValue), Number(r.Interval?.Low), Number(r.Interval?.High),
                r.OffBy ?? "", Number(r.Factor), r.Converged switch { true => "true", false => "false", null => "" },
                LedgerFiles.BuildsText(r.Builds), r.Provisional ? "true" : "false", r.MinProfile ?? "", r.Experiment ?? "",
                r.Profile ?? "", r.Seed?.ToString(CultureInfo.InvariantCulture) ?? "", r.Threads?.ToString(CultureInfo.InvariantCulture) ?? "",
                r.MeasuredAt?.ToString("O", CultureInfo.InvariantCulture) ?? "",
                r.Verdict == Verdict.NotRun ? "" : r.FigureKind.ToString().ToLowerInvariant(),
                r.BuildConfiguration,
            ];
            sb.Append(string.Join(",", cells.Select(FormerEscape))).Append('\n');
        }
        return sb.ToString();
    }

    static string Number(double? x) => x?.ToString("R", CultureInfo.InvariantCulture) ?? "";
}
