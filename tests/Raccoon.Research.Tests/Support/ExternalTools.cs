namespace Raccoon.Research.Tests.Support;

/// <summary>
/// Debian programs a few tests use as outside checks, not as parts of the product: chromium (do the charts of the
/// HTML pages draw, in their boxes), poppler-utils (read the PDF back as text and pages), TeX Live's pdflatex (the
/// LaTeX write-up compiles) and python3-nbclient (the notebooks run under a Jupyter client too). `.ci/run` installs both,
/// so CI runs those tests; on a machine without them (the README's `dotnet test` on a fresh Debian with the .NET SDK)
/// the tests are skipped and say what is missing. RACCOON_TEST_WITHOUT=chromium,poppler,latex,nbclient acts as if they were absent.
/// </summary>
public static class ExternalTools
{
    public const string Chromium = "chromium", Poppler = "poppler", Latex = "latex", NbClient = "nbclient";

    /// <summary>Debian's Python, which holds Debian's python3-nbclient (a Python of another install may lack it).</summary>
    public const string DebianPython = "/usr/bin/python3";

    static bool Hidden(string tool) =>
        (Environment.GetEnvironmentVariable("RACCOON_TEST_WITHOUT") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Contains(tool, StringComparer.OrdinalIgnoreCase);

    public static bool Has(string tool) => !Hidden(tool) && tool switch
    {
        Chromium => File.Exists(HeadlessChromium.Executable),
        Poppler => File.Exists("/usr/bin/pdftotext") && File.Exists("/usr/bin/pdfinfo"),
        Latex => File.Exists("/usr/bin/pdflatex") && File.Exists("/usr/share/texlive/texmf-dist/tex/latex/booktabs/booktabs.sty"),
        NbClient => File.Exists(DebianPython) && Directory.Exists("/usr/lib/python3/dist-packages/nbclient") && Directory.Exists("/usr/lib/python3/dist-packages/jupyter_client"),
        _ => throw new ArgumentException($"unknown tool '{tool}'", nameof(tool)),
    };

    /// <summary>Skips the calling test, naming the Debian package, where the tool is missing.</summary>
    public static void Require(string tool)
    {
        string package = tool switch
        {
            Chromium => "chromium", Poppler => "poppler-utils", NbClient => "python3-nbclient python3-jupyter-client",
            _ => "texlive-latex-base texlive-latex-recommended",
        };
        Assert.SkipUnless(Has(tool), Hidden(tool)
            ? $"{tool} hidden by RACCOON_TEST_WITHOUT"
            : $"needs Debian's {package} (apt-get install {package}; .ci/run installs it), which this machine lacks");
    }
}
