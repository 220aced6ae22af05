using System.Globalization;
using System.Text;
using System.Text.Json;
using Raccoon.Research.IO;

namespace Raccoon.Research.Ledger;

/// <summary>Reads and writes claims.json and claims.csv, each whole or not at all.</summary>
public static class LedgerFiles
{
    public const string JsonName = "claims.json";
    public const string CsvName = "claims.csv";

    public static void Write(string dir, IReadOnlyList<LedgerRow> rows)
    {
        AtomicFile.WriteAllText(Path.Combine(dir, JsonName), JsonSerializer.Serialize(rows, Json.Options));
        AtomicFile.WriteAllText(Path.Combine(dir, CsvName), ToCsv(rows));
    }

    /// <summary>The ledger of the last run in <paramref name="dir"/>, or null when there is none.</summary>
    public static IReadOnlyList<LedgerRow>? Read(string dir)
    {
        string path = Path.Combine(dir, JsonName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<List<LedgerRow>>(File.ReadAllText(path), Json.Options)
                ?? throw new InvalidDataException("empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a valid claims ledger: {e.Message}", e);
        }
    }

    public static string ToCsv(IEnumerable<LedgerRow> rows)
    {
        string[] header = ("id,document,claim,claimed,measured,verdict,notebook,evidence,reason,measured_value,measured_low,measured_high,off_by,factor,converged," +
            "builds,provisional,min_profile,experiment,profile,seed,threads,measured_at,figure_kind,build").Split(',');
        return Csv.Write(header, rows.Select(r => (IEnumerable<string>)
            
            [
                r.Id, r.Document, r.Claim, r.Claimed, r.Measured, r.Verdict.Name(), r.Notebook, r.Evidence ?? "",
                r.Reason ?? "", Number(r.MeasuredValue), Number(r.Interval?.Low), Number(r.Interval?.High),
                r.OffBy ?? "", Number(r.Factor), r.Converged switch { true => "true", false => "false", null => "" },
                BuildsText(r.Builds), r.Provisional ? "true" : "false", r.MinProfile ?? "", r.Experiment ?? "",
                r.Profile ?? "", r.Seed?.ToString(CultureInfo.InvariantCulture) ?? "", r.Threads?.ToString(CultureInfo.InvariantCulture) ?? "",
                r.MeasuredAt?.ToString("O") ?? "",
                r.Verdict == Verdict.NotRun ? "" : r.FigureKind.ToString().ToLowerInvariant(),
                r.BuildConfiguration,
            ]));
    }

    /// <summary>"upstream: partly (6.15); documented: holds (25.3)", the upstream build first.</summary>
    public static string BuildsText(IReadOnlyList<BuildVerdict>? builds) => builds is null ? "" :
        string.Join("; ", builds.OrderByDescending(b => b.Upstream).Select(b =>
            $"{b.Build}{(b.Upstream ? " (upstream)" : "")}: {b.Verdict.Name()}" +
            (b.Value is double v ? $" ({v.ToString("G4", CultureInfo.InvariantCulture)}{(b.Interval is { } i ? " " + i : "")})" : "")));

    static string Number(double? x) => x?.ToString("R", CultureInfo.InvariantCulture) ?? "";
}
