using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Raccoon.Research.IO;

namespace Raccoon.Research.Views;

/// <summary>A measurement record that shows itself as a table and a chart; the extension methods in
/// <see cref="MeasurementViews"/> add the DataFrame, CSV and JSON forms.</summary>
public interface IMeasurementView
{
    Table ToTable();
    Figure ToFigure();
}

/// <summary>The DataFrame, CSV and JSON forms of every measurement record (JSON is the record itself,
/// so the ledger's evidence keeps every field; CSV is its table).</summary>
public static class MeasurementViews
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
    };

    public static Microsoft.Data.Analysis.DataFrame ToDataFrame(this IMeasurementView view) => view.ToTable().ToDataFrame();

    public static string ToCsv(this IMeasurementView view) => ToCsv(view.ToTable());

    /// <summary>RFC 4180 CSV: a header row, then one line per row; cells with commas, quotes or line breaks are quoted.</summary>
    public static string ToCsv(Table table) => Csv.Write(table.Columns, table.Rows);

    public static string ToJson(this IMeasurementView view) => JsonSerializer.Serialize(view, view.GetType(), Json);

    public static void WriteCsv(this IMeasurementView view, string path) => AtomicFile.WriteAllText(path, view.ToCsv());

    public static void WriteJson(this IMeasurementView view, string path) => AtomicFile.WriteAllText(path, view.ToJson());

    /// <summary>A number as table cells show it: invariant culture, round-trippable.</summary>
    internal static string Cell(double x) => x.ToString("R", CultureInfo.InvariantCulture);
    internal static string Cell(long x) => x.ToString(CultureInfo.InvariantCulture);
}
