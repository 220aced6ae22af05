using Raccoon.Research.Ledger;
using Raccoon.Research.Views;

namespace Raccoon.Research.Reporting;

/// <summary>How a verdict looks, defined once for the report (<see cref="HtmlReport"/>), the write-up (PaperWriteUp,
/// PdfLayout, TexWriteUp), the notebooks (<see cref="NotebookHtml"/>, <see cref="ClaimCard"/>), the charts and the
/// console: each verdict's colour, its badge, and the stylesheet rules for the badge and the provisional marker.</summary>
public static class VerdictStyle
{
    public static string Colour(Verdict v) => v switch
    {
        Verdict.Holds => "#2e7d32",
        Verdict.Partly => "#f9a825",
        Verdict.Fails => "#c62828",
        Verdict.Inconclusive => "#546e7a",
        Verdict.NotTestableHere => "#6a1b9a",
        Verdict.Inconsistent => "#ef6c00",
        Verdict.Reported => "#1565c0",
        _ => "#757575",
    };

    /// <summary>The verdict's name on its colour; the look comes from <see cref="Css"/>.</summary>
    public static string Badge(Verdict v) =>
        $"<span class=\"verdict\" style=\"background:{Colour(v)}\">{v.Name()}</span>";

    /// <summary>The rules for <c>.verdict</c> badges and <c>.provisional</c> markers, each selector prefixed by
    /// <paramref name="scope"/> (".raccoon " in a notebook output, whose page has other styles); colours are kept
    /// when printed (the write-up's PDF).</summary>
    public static string Css(string scope = "") =>
        scope + ".verdict{color:#fff;border-radius:4px;padding:1px 6px;font-weight:600;white-space:nowrap;" + KeepColours + "}\n" +
        scope + ".provisional{background:#fff3cd;border:1px solid #e0c060;border-radius:4px;padding:0 4px;white-space:nowrap;" + KeepColours + "}\n";

    const string KeepColours = "-webkit-print-color-adjust:exact;print-color-adjust:exact";
}
