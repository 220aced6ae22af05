using System.Globalization;
using System.Text;
using Raccoon.Research.Ledger;
using Raccoon.Research.Views;

namespace Raccoon.Research.Reporting.WriteUp;

/// <summary>How a piece of running text is set.</summary>
public enum RunStyle { Normal, Bold, Italic, Code }

/// <summary>A piece of running text; a <paramref name="Verdict"/> run is set as the verdict's coloured badge, a
/// <paramref name="Mark"/> run as a highlighted note (provisional, not converged). A run with an <paramref name="Href"/>
/// (relative to the write-up's folder) is a link in the HTML; the PDF and LaTeX set its text, which names the file.</summary>
public sealed record Run(string Text, RunStyle Style = RunStyle.Normal, Verdict? Verdict = null, bool Mark = false, string? Href = null)
{
    public static implicit operator Run(string text) => new(text);
}

/// <summary>The write-up as a list of blocks, composed once (<see cref="PaperWriteUp.Compose"/>) and set twice: as HTML
/// (<see cref="BlockHtml"/>) and as PDF (<see cref="PdfLayout"/>).</summary>
public abstract record Block;

public sealed record Heading(int Level, string Text, string? Id = null) : Block;

/// <summary>A paragraph; <paramref name="Class"/> names its kind (abstract, claimtext, evidence, warning, byline).</summary>
public sealed record Paragraph(IReadOnlyList<Run> Runs, string? Class = null) : Block
{
    public Paragraph(string text, string? cls = null) : this([new Run(text)], cls) { }
}

public sealed record Bullets(IReadOnlyList<IReadOnlyList<Run>> Items, string? Class = null) : Block;

public sealed record Preformatted(string Text) : Block;

public sealed record TableBlock(NumberedTable Table) : Block;

public sealed record FigureBlock(NumberedFigure Figure) : Block;

/// <summary>The blocks as the body of an HTML page (charts drawn by plotly.js, which the page must load).</summary>
public static class BlockHtml
{
    public static string Write(IEnumerable<Block> blocks)
    {
        var sb = new StringBuilder();
        foreach (var b in blocks)
            switch (b)
            {
                case Heading h:
                    sb.Append("<h").Append(h.Level).Append(h.Id is null ? "" : $" id=\"{Html.Escape(h.Id)}\"").Append('>')
                      .Append(Html.Escape(h.Text)).Append("</h").Append(h.Level).Append('>');
                    break;
                case Paragraph p:
                    sb.Append(p.Class is null ? "<p>" : $"<p class=\"{p.Class}\">").Append(Runs(p.Runs)).Append("</p>");
                    break;
                case Bullets l:
                    sb.Append(l.Class is null ? "<ul>" : $"<ul class=\"{l.Class}\">");
                    foreach (var item in l.Items) sb.Append("<li>").Append(Runs(item)).Append("</li>");
                    sb.Append("</ul>");
                    break;
                case Preformatted pre:
                    sb.Append("<pre>").Append(Html.Escape(pre.Text)).Append("</pre>");
                    break;
                case TableBlock t:
                    sb.Append(Table(t.Table));
                    break;
                case FigureBlock f:
                    sb.Append(CultureInfo.InvariantCulture, $"<figure id=\"{f.Figure.Name}\">{f.Figure.Figure.ToHtmlFragment("plot-" + f.Figure.Name)}<figcaption><b>Figure {f.Figure.Number}.</b> {Html.Escape(f.Figure.Caption)}</figcaption></figure>");
                    break;
            }
        return sb.ToString();
    }

    public static string Runs(IEnumerable<Run> runs)
    {
        var sb = new StringBuilder();
        foreach (var r in runs)
        {
            string text = Html.Escape(r.Text);
            string set = r switch
            {
                { Verdict: { } v } => VerdictStyle.Badge(v),
                { Mark: true } => $"<span class=\"provisional\">{text}</span>",
                { Style: RunStyle.Bold } => $"<b>{text}</b>",
                { Style: RunStyle.Italic } => $"<i>{text}</i>",
                { Style: RunStyle.Code } => $"<code>{text}</code>",
                _ => text,
            };
            sb.Append(r.Href is { } href ? $"<a href=\"{Html.Escape(href)}\">{set}</a>" : set);
        }
        return sb.ToString();
    }

    static string Table(NumberedTable t)
    {
        var sb = new StringBuilder("<div class=\"table\" id=\"").Append(t.Name).Append("\"><table><caption><b>Table ").Append(t.Number).Append(".</b> ")
            .Append(Html.Escape(t.Caption)).Append("</caption><thead><tr>");
        foreach (var c in t.Table.Columns) sb.Append("<th>").Append(Html.Escape(c)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in t.Table.Rows)
        {
            sb.Append("<tr>");
            for (int i = 0; i < t.Table.Columns.Count; i++)
            {
                string cell = i < row.Count ? row[i] : "";
                sb.Append("<td>").Append(Runs([CellRun(t.Table.Columns[i], cell)])).Append("</td>");
            }
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table></div>").ToString();
    }

    /// <summary>A table cell as a run: a verdict column's cell as its badge, a provisional or not-converged status marked.</summary>
    public static Run CellRun(string column, string cell) =>
        column == "verdict" && cell.Length > 0 ? new Run(cell, Verdict: VerdictNames.Parse(cell))
        : cell.StartsWith("provisional", StringComparison.Ordinal) || cell.StartsWith("not converged", StringComparison.Ordinal) ? new Run(cell, Mark: true)
        : new Run(cell);
}
