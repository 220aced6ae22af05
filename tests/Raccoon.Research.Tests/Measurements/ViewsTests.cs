using System.Text.Json;
using Raccoon.Research.Measurements;
using Raccoon.Research.Views;
using Raccoon.Research.Reporting;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Measurements;

public sealed class ViewsTests
{
    [Fact]
    public void Csv_quotes_cells_with_commas_quotes_and_line_breaks()
    {
        var table = new Table("t", ["name", "value"], [["plain", "1"], ["a, b", "say \"hi\""], ["two\nlines", "2"]]);
        Assert.Equal("name,value\r\nplain,1\r\n\"a, b\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",2\r\n", MeasurementViews.ToCsv(table));
    }

    [Fact]
    public void Records_write_csv_and_json_files_whole()
    {
        var count = OperationCount.Of("net", Flops.Linear(2, 3, 4, name: "fc"), Flops.Elementwise(8, name: "relu"));
        string dir = Repo.TempDir("views");
        count.WriteCsv(Path.Combine(dir, "ops.csv"));
        count.WriteJson(Path.Combine(dir, "ops.json"));

        var lines = File.ReadAllLines(Path.Combine(dir, "ops.csv"));
        Assert.Equal(["component,depth,MACs,FLOPs", "net,0,24,64", "  fc,1,24,56", "  relu,1,0,8"], lines);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "ops.json")));
        Assert.Equal(64, json.RootElement.GetProperty("flops").GetInt64());
        Assert.Equal("fc", json.RootElement.GetProperty("parts")[0].GetProperty("name").GetString());
        Assert.Equal(3, count.ToDataFrame().Rows.Count);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }
}
