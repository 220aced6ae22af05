using System.Globalization;
using System.Text;
using Raccoon.Research.Views;

namespace Raccoon.Research.Reporting.WriteUp;

/// <summary>
/// report/latex/writeup.tex: the write-up's blocks as a LaTeX article that \input's the table files (../tables/*.tex)
/// and includes the figure PDFs (../figures/*.pdf), for a paper; in a folder of its own, so that compiling it does not
/// overwrite report/writeup.pdf. It needs only packages of a standard TeX installation
/// (Debian's texlive-latex-base and texlive-latex-recommended: booktabs, graphicx, caption, xcolor); compile it in
/// report/latex/ with <c>pdflatex writeup.tex</c>. Characters outside ASCII are declared in the preamble (the ones it
/// uses), so pdflatex's UTF-8 input takes every one.
/// </summary>
public static class TexWriteUp
{
    public const string Folder = "latex", FileName = "writeup.tex";

    public static string Write(string title, IReadOnlyList<Block> blocks, IEnumerable<string> tableTexts)
    {
        var body = new StringBuilder();
        foreach (var b in blocks)
            switch (b)
            {
                case Heading h when h.Level <= 2:
                    body.Append(h.Id == "abstract" ? "" : "\\clearpage\n").Append(h.Id == "abstract" ? "" : $"\\section*{{{Esc(h.Text)}}}\n");
                    break;
                case Heading h:
                    body.Append("\\subsection*{").Append(Esc(h.Text)).Append("}\n");
                    break;
                case Paragraph p when p.Class == "abstract":
                    body.Append("\\begin{abstract}\n").Append(Runs(p.Runs)).Append("\n\\end{abstract}\n\n");
                    break;
                case Paragraph p when p.Class == "byline":
                    break; // in \date
                case Paragraph p:
                    string text = Runs(p.Runs);
                    body.Append(p.Class switch { "claimtext" => "\\textit{" + text + "}", "evidence" => "{\\small " + text + "}", _ => text }).Append("\n\n");
                    break;
                case Bullets l:
                    body.Append(l.Class == "files" ? "{\\small\n" : "").Append("\\begin{itemize}\n");
                    foreach (var item in l.Items) body.Append("\\item ").Append(Runs(item)).Append('\n');
                    body.Append("\\end{itemize}\n").Append(l.Class == "files" ? "}\n" : "").Append('\n');
                    break;
                case Preformatted pre:
                    body.Append("\\begin{verbatim}\n").Append(pre.Text).Append("\n\\end{verbatim}\n\n");
                    break;
                case TableBlock t:
                    body.Append("\\input{../tables/").Append(t.Table.Name).Append(".tex}\n\n");
                    break;
                case FigureBlock f:
                    body.Append("\\begin{figure}[htbp]\n\\centering\n\\includegraphics[width=\\linewidth,height=0.8\\textheight,keepaspectratio]{../figures/")
                        .Append(f.Figure.Name).Append(".pdf}\n\\caption{").Append(Esc($"Figure {f.Figure.Number}. {f.Figure.Caption}")).Append("}\n\\end{figure}\n\n");
                    break;
            }
        string byline = blocks.OfType<Paragraph>().FirstOrDefault(p => p.Class == "byline") is { } by ? Esc(string.Concat(by.Runs.Select(r => r.Text))) : "";
        string all = body.ToString() + string.Concat(tableTexts);
        var sb = new StringBuilder();
        sb.Append("""
            % The write-up of one run of Raccoon.Research, written by the library (Reporting/WriteUp/TexWriteUp.cs).
            % Compile in report/latex/: pdflatex writeup.tex (it reads ../tables/*.tex and ../figures/*.pdf).
            \documentclass[10pt,a4paper]{article}
            \usepackage[utf8]{inputenc}
            \usepackage[T1]{fontenc}
            \usepackage{textcomp}
            \usepackage[margin=20mm]{geometry}
            \usepackage{booktabs}
            \usepackage{graphicx}
            \usepackage{caption}
            \captionsetup{labelformat=empty,font=small}
            \usepackage{xcolor}
            \extrafloats{500}
            \setlength{\emergencystretch}{3em}
            \setlength{\parindent}{0pt}
            \setlength{\parskip}{0.5em}

            """);
        foreach (var c in all.EnumerateRunes().Where(r => r.Value > 127).Distinct().OrderBy(r => r.Value))
            sb.Append("\\DeclareUnicodeCharacter{").Append(c.Value.ToString("X4", CultureInfo.InvariantCulture)).Append("}{").Append(Unicode(c)).Append("}\n");
        sb.Append("\\title{").Append(Esc(title)).Append("}\n\\author{Raccoon.Research}\n\\date{").Append(byline).Append("}\n\\begin{document}\n\\maketitle\n\n");
        return sb.Append(body).Append("\\end{document}\n").ToString();
    }

    static string Runs(IEnumerable<Run> runs) => string.Concat(runs.Select(r => r switch
    {
        { Verdict: { } v } => $"\\textbf{{\\textcolor[HTML]{{{VerdictStyle.Colour(v)[1..]}}}{{{Esc(r.Text)}}}}}",
        { Mark: true } => $"\\colorbox[HTML]{{FFF3CD}}{{{Esc(r.Text)}}}",
        { Style: RunStyle.Bold } => $"\\textbf{{{Esc(r.Text)}}}",
        { Style: RunStyle.Italic } => $"\\textit{{{Esc(r.Text)}}}",
        { Style: RunStyle.Code } => $"\\texttt{{{Esc(r.Text)}}}",
        _ => Esc(r.Text),
    }));

    static string Esc(string s) => TableFormats.TexEscape(s);

    /// <summary>What pdflatex sets for a character outside ASCII; one it has no form for is shown as its code point.</summary>
    static string Unicode(Rune r) => r.Value switch
    {
        0x00A0 => "~",
        0x00D7 => "\\ensuremath{\\times}",
        0x00B1 => "\\ensuremath{\\pm}",
        0x00B2 => "\\ensuremath{^2}",
        0x00B3 => "\\ensuremath{^3}",
        0x00B5 or 0x03BC => "\\ensuremath{\\mu}",
        0x00B7 => "\\ensuremath{\\cdot}",
        0x00B0 => "\\ensuremath{^\\circ}",
        0x00E9 => "\\'e",
        0x00F6 => "\\\"o",
        0x00FC => "\\\"u",
        0x2013 => "--",
        0x2014 => "---",
        0x2018 or 0x2019 => "'",
        0x201C => "``",
        0x201D => "''",
        0x2026 => "\\ldots{}",
        0x2192 => "\\ensuremath{\\to}",
        0x2190 => "\\ensuremath{\\leftarrow}",
        0x2212 => "\\ensuremath{-}",
        0x2248 => "\\ensuremath{\\approx}",
        0x2260 => "\\ensuremath{\\neq}",
        0x2264 => "\\ensuremath{\\leq}",
        0x2265 => "\\ensuremath{\\geq}",
        0x221A => "\\ensuremath{\\surd}",
        0x221E => "\\ensuremath{\\infty}",
        0x2208 => "\\ensuremath{\\in}",
        0x2022 => "\\textbullet{}",
        >= 0x0391 and <= 0x03C9 => Greek(r.Value),
        _ => $"[U+{r.Value:X4}]",
    };

    static string Greek(int c) => c switch
    {
        0x03B1 => "\\ensuremath{\\alpha}", 0x03B2 => "\\ensuremath{\\beta}", 0x03B3 => "\\ensuremath{\\gamma}", 0x03B4 => "\\ensuremath{\\delta}",
        0x03B5 => "\\ensuremath{\\epsilon}", 0x03B8 => "\\ensuremath{\\theta}", 0x03BA => "\\ensuremath{\\kappa}", 0x03BB => "\\ensuremath{\\lambda}",
        0x03C0 => "\\ensuremath{\\pi}", 0x03C1 => "\\ensuremath{\\rho}", 0x03C3 => "\\ensuremath{\\sigma}", 0x03C4 => "\\ensuremath{\\tau}",
        0x03C6 => "\\ensuremath{\\phi}", 0x03C9 => "\\ensuremath{\\omega}", 0x0394 => "\\ensuremath{\\Delta}", 0x03A3 => "\\ensuremath{\\Sigma}",
        _ => $"[U+{c:X4}]",
    };
}
