using System.Text;

namespace Raccoon.Research.Views;

/// <summary>A <see cref="Table"/> in the formats a paper takes: CSV (RFC 4180), LaTeX with booktabs rules,
/// and GitHub-flavoured Markdown. Written here because each is a few lines; no package is needed.</summary>
public static class TableFormats
{
    public static string Csv(Table t) => IO.Csv.Write(t.Columns, t.Rows.Select(row => Cells(t, row)));

    /// <summary>A table environment with a caption and label, booktabs rules (\toprule, \midrule, \bottomrule);
    /// needs \usepackage{booktabs} in the paper's preamble.</summary>
    public static string Tex(Table t, string label, string? caption = null)
    {
        var sb = new StringBuilder();
        sb.Append("% needs \\usepackage{booktabs}\n\\begin{table}[htbp]\n\\centering\n\\caption{").Append(TexEscape(caption ?? t.Title))
          .Append("}\n\\label{").Append(label).Append("}\n\\small\n\\begin{tabular}{").Append(ColumnSpec(t)).Append("}\n\\toprule\n");
        sb.Append(string.Join(" & ", t.Columns.Select(TexEscape))).Append(" \\\\\n\\midrule\n");
        foreach (var row in t.Rows) sb.Append(string.Join(" & ", Cells(t, row).Select(TexEscape))).Append(" \\\\\n");
        return sb.Append("\\bottomrule\n\\end{tabular}\n\\end{table}\n").ToString();
    }

    /// <summary>The tabular's columns: 'l' for a column whose cells are short, a wrapping p{} column for one whose
    /// cells are long, sharing what the short ones leave of the line by their length, so the table fits the page.</summary>
    static string ColumnSpec(Table t)
    {
        var longest = Enumerable.Range(0, t.Columns.Count)
            .Select(i => t.Rows.Select(r => i < r.Count ? r[i].Length : 0).Append(t.Columns[i].Length).Max()).ToList();
        const int Short = 24;
        if (longest.All(n => n <= Short)) return new string('l', t.Columns.Count);
        double left = 0.95 - longest.Where(n => n <= Short).Sum(n => (n + 2) * 0.0105);
        double weight = longest.Where(n => n > Short).Sum(n => Math.Min(n, 90));
        return string.Concat(longest.Select(n => n <= Short ? "l"
            : $"p{{{Math.Max(0.1, left * Math.Min(n, 90) / weight).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)}\\linewidth}}"));
    }

    public static string Markdown(Table t, string? caption = null)
    {
        var sb = new StringBuilder();
        sb.Append("**").Append(MdEscape(caption ?? t.Title)).Append("**\n\n");
        sb.Append("| ").Append(string.Join(" | ", t.Columns.Select(MdEscape))).Append(" |\n");
        sb.Append("|").Append(string.Concat(t.Columns.Select(_ => "---|"))).Append('\n');
        foreach (var row in t.Rows) sb.Append("| ").Append(string.Join(" | ", Cells(t, row).Select(MdEscape))).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>The row's cells padded to the table's width, so every format has as many cells as columns.</summary>
    static IEnumerable<string> Cells(Table t, IReadOnlyList<string> row) =>
        Enumerable.Range(0, t.Columns.Count).Select(i => i < row.Count ? row[i] : "");

    public static string TexEscape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
            sb.Append(c switch
            {
                '\\' => "\\textbackslash{}",
                '&' or '%' or '$' or '#' or '_' or '{' or '}' => "\\" + c,
                '~' => "\\textasciitilde{}",
                '^' => "\\textasciicircum{}",
                '<' => "\\textless{}",
                '>' => "\\textgreater{}",
                '\n' or '\r' => " ",
                _ => c.ToString(),
            });
        return sb.ToString();
    }

    static string MdEscape(string s) => s.Replace("\\", "\\\\").Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");
}
