using System.Text;

namespace Raccoon.Research.IO;

/// <summary>The one CSV writer (RFC 4180) behind every CSV file the project writes: the ledger (claims.csv),
/// measurement views and the write-up's tables. Records end in CRLF; a field is quoted when it holds a comma,
/// a double quote or a line break, and a quote inside a quoted field is doubled. Leading and trailing spaces are
/// part of the field (RFC 4180 section 2.4) and stay unquoted, as the operation-count tree's indented names have
/// always been written; Python's csv, pandas and spreadsheets keep them.</summary>
public static class Csv
{
    public const string RecordEnd = "\r\n";

    /// <summary>A header record, then one record per row.</summary>
    public static string Write(IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows)
    {
        using var culture = InvariantFormatting.Enter(); // rows are often made lazily, as they are written
        var sb = new StringBuilder();
        AppendRecord(sb, header);
        foreach (var row in rows) AppendRecord(sb, row);
        return sb.ToString();
    }

    /// <summary>One record: the fields, escaped, joined by commas, then CRLF.</summary>
    public static StringBuilder AppendRecord(StringBuilder sb, IEnumerable<string> fields) =>
        sb.AppendJoin(',', fields.Select(Field)).Append(RecordEnd);

    /// <summary>One field as it stands in a record: as is, or quoted with its quotes doubled.</summary>
    public static string Field(string s) =>
        NeedsQuotes(s) ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    static bool NeedsQuotes(string s) => s.AsSpan().IndexOfAny(",\"\r\n") >= 0;
}
