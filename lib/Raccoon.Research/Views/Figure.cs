using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Raccoon.Research.Views;

/// <summary>A chart kept as its Plotly figure JSON (data and layout), so it can be cached, put in the
/// offline report, and shown inline in a notebook. <see cref="Charts"/> builds them; <see cref="Key"/>
/// is an optional stable name (titles may carry measured numbers).</summary>
[TypeFormatterSource(typeof(NotebookFormatterSource), PreferredMimeTypes = ["text/html", "image/svg+xml"])]
public sealed record Figure(string Title, string PlotlyJson) : INotebookView
{
    string INotebookView.ToNotebookHtml() => ToNotebookHtml(null);

    public string ToNotebookText() => Unavailable ?? $"Figure: {Title}";

    /// <summary>The stable name a notebook asks for (<c>result.Figure("crossover")</c>); the title may carry figures.</summary>
    public string? Key { get; init; }

    /// <summary>This figure under the stable name <paramref name="key"/>.</summary>
    public Figure Named(string key) => this with { Key = key };

    /// <summary>Why there is no chart to draw, shown in its place; null for a chart (never stored).</summary>
    [JsonIgnore]
    public string? Unavailable { get; init; }

    /// <summary>A figure that is not there, showing <paramref name="why"/> in its place (no chart, no plotly.js).</summary>
    public static Figure NotAvailable(string key, string why) => new Figure($"{key}: not available", "{}") { Key = key, Unavailable = why };

    /// <summary>The figure's height in pixels: the layout's own (a grid sets one), else 420. The width is
    /// always the container's.</summary>
    public int Height() => JsonNode.Parse(PlotlyJson)?["layout"]?["height"] is JsonValue h && h.TryGetValue(out int px) ? px : 420;

    /// <summary>A div and a script that draw the figure with an already loaded plotly.js.</summary>
    public string ToHtmlFragment(string? divId = null)
    {
        if (Unavailable is not null) return Html.Notice(Unavailable);
        string id = divId ?? "fig-" + Guid.NewGuid().ToString("N")[..12];
        var (data, layout) = Parts();
        return $"<div class=\"figure\"><div id=\"{id}\" class=\"plotly-figure\" style=\"width:100%;height:{Height()}px\"></div>" +
               $"<script>Plotly.newPlot('{id}', {data}, {layout}, {{responsive: true}});</script></div>";
    }

    (string Data, string Layout) Parts()
    {
        var fig = JsonNode.Parse(PlotlyJson)!;
        return (fig["data"]?.ToJsonString() ?? "[]", fig["layout"]?.ToJsonString() ?? "{}");
    }

    /// <summary>
    /// The figure as a notebook output, drawn offline: no CDN and no require.js. The chart's box first holds the figure's
    /// static SVG (<see cref="StaticFigure"/>), which plotly.js replaces with the interactive chart; where scripts do not
    /// run (GitHub, nbviewer) the static drawing is what the reader sees. The first chart a process shows
    /// carries the library's plotly.js (<see cref="PlotlyJs.NotebookLoader"/>, once per kernel, so once per executed
    /// notebook); every chart waits for it on the page (VS Code and Jupyter show a notebook's outputs in one page) and
    /// says so in its box where it never comes.
    /// </summary>
    public string ToNotebookHtml(string? divId = null)
    {
        if (Unavailable is not null) return Html.Notice(Unavailable);
        string id = divId ?? "fig-" + Guid.NewGuid().ToString("N")[..12];
        var (data, layout) = Parts();
        return $$$"""
            <div><div style="font-weight:bold">{{{Html.Escape(Title)}}}</div>{{{PlotlyJs.NotebookLoaderOnce()}}}<div id="{{{id}}}" class="plotly-figure" style="width:100%;height:{{{Height()}}}px">{{{StaticFigure.NotebookImage(this)}}}</div><script type="text/javascript">
            (function () {
                var waited = 0;
                var draw = function () {
                    var box = document.getElementById('{{{id}}}');
                    if (!box) return;
                    if (window.Plotly) { box.replaceChildren(); window.Plotly.newPlot(box, {{{data}}}, {{{layout}}}, {responsive: true}); return; }
                    if ((waited += 100) < 20000) { setTimeout(draw, 100); return; }
                    box.style.height = 'auto';
                    var note = document.createElement('div');
                    note.textContent = '{{{PlotlyJs.MissingMessage}}}';
                    box.appendChild(note);
                };
                draw();
            })();
            </script></div>
            """;
    }
}

/// <summary>A table of text cells with a title; renders as HTML and converts to a DataFrame.</summary>
[TypeFormatterSource(typeof(NotebookFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed record Table(string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows) : INotebookView
{
    public string ToNotebookHtml() => Unavailable is not null ? ToHtml() : NotebookHtml.TableCss + "<div class=\"raccoon\">" + ToHtml() + "</div>";

    public string ToNotebookText() => Unavailable ?? $"{Title}: {Rows.Count} rows x {Columns.Count} columns ({string.Join(", ", Columns)})";

    /// <summary>The stable name a notebook asks for (<c>result.Table("counts")</c>).</summary>
    public string? Key { get; init; }

    /// <summary>This table under the stable name <paramref name="key"/>.</summary>
    public Table Named(string key) => this with { Key = key };

    /// <summary>Why there is no table to show, shown in its place; null for a table (never stored).</summary>
    [JsonIgnore]
    public string? Unavailable { get; init; }

    /// <summary>A table that is not there, showing <paramref name="why"/> in its place: no columns, no rows.</summary>
    public static Table NotAvailable(string key, string why) => new Table($"{key}: not available", [], []) { Key = key, Unavailable = why };

    public string ToHtml()
    {
        if (Unavailable is not null) return Html.Notice(Unavailable);
        var sb = new System.Text.StringBuilder();
        sb.Append("<table class=\"data\"><caption>").Append(Html.Escape(Title)).Append("</caption><thead><tr>");
        foreach (var c in Columns) sb.Append("<th>").Append(Html.Escape(c)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in Rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row) sb.Append("<td>").Append(Html.Escape(cell)).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    public override string ToString() => $"{Title}: {Rows.Count} rows x {Columns.Count} columns";

    /// <summary>The table as a DataFrame, one typed column per table column: a column whose every non-empty cell is an
    /// integer (invariant culture) becomes Int64, one whose cells are all numbers Double (an empty cell is null),
    /// any other stays text. Sort or compute on it: <c>t.ToDataFrame().OrderBy("parameters")</c>.</summary>
    public Microsoft.Data.Analysis.DataFrame ToDataFrame() =>
        new(Columns.Select((name, i) => DataFrameColumns.Typed(name, Rows.Select(r => i < r.Count ? r[i] : "").ToList())));
}

/// <summary>Typed DataFrame columns from cells of text, shared by every table and ledger conversion.</summary>
public static class DataFrameColumns
{
    const System.Globalization.NumberStyles Integer = System.Globalization.NumberStyles.AllowLeadingSign;
    const System.Globalization.NumberStyles Real = System.Globalization.NumberStyles.Float;
    static readonly System.Globalization.CultureInfo Invariant = System.Globalization.CultureInfo.InvariantCulture;

    /// <summary>An Int64 column where every non-empty cell is an integer, a Double column where every one is a
    /// number, else a string column; empty cells are nulls of a numeric column. A column of only empty cells stays text.</summary>
    public static Microsoft.Data.Analysis.DataFrameColumn Typed(string name, IReadOnlyList<string> cells)
    {
        var present = cells.Where(c => !string.IsNullOrWhiteSpace(c)).Select(c => c.Trim()).ToList();
        if (present.Count > 0 && present.All(c => long.TryParse(c, Integer, Invariant, out _)))
            return new Microsoft.Data.Analysis.Int64DataFrameColumn(name,
                cells.Select(c => string.IsNullOrWhiteSpace(c) ? (long?)null : long.Parse(c.Trim(), Integer, Invariant)));
        if (present.Count > 0 && present.All(c => double.TryParse(c, Real, Invariant, out _)))
            return Numbers(name, cells.Select(c => string.IsNullOrWhiteSpace(c) ? (double?)null : double.Parse(c.Trim(), Real, Invariant)));
        return new Microsoft.Data.Analysis.StringDataFrameColumn(name, cells);
    }

    public static Microsoft.Data.Analysis.DoubleDataFrameColumn Numbers(string name, IEnumerable<double?> values) => new(name, values);
}

public static class Html
{
    public static string Escape(string s) => System.Net.WebUtility.HtmlEncode(s);

    /// <summary>A boxed line of text shown in place of something that is not there (a table or chart not computed).</summary>
    public static string Notice(string text) =>
        "<div class=\"raccoon notice\" style=\"border:1px dashed #999;padding:6px 10px;margin:4px 0;color:#444\">" + Escape(text) + "</div>";
}
