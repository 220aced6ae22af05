using Raccoon.Research.IO;

namespace Raccoon.Research.Views;

/// <summary>What a notebook shows of one of the library's types: HTML for the notebook view, text for a console.</summary>
public interface INotebookView
{
    string ToNotebookHtml();

    string ToNotebookText();
}

/// <summary>
/// Names the formatter source of a type. The .NET Interactive kernel finds this attribute by its name
/// (in any assembly), creates the source and calls its CreateTypeFormatters(), so the library's charts
/// and tables render as HTML in VS Code (and under dotnet-repl, the same kernel) without a reference to it.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = true)]
public sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    public Type FormatterSourceType { get; } = formatterSourceType;

    public string[]? PreferredMimeTypes { get; set; }
}

/// <summary>The formatters of the library's displayable types, in the shape the kernel expects
/// (objects with MimeType and bool Format(object, TextWriter)).</summary>
public sealed class NotebookFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters()
    {
        yield return new NotebookFormatter("text/html", NotebookHtml.TryFormat);
        yield return new NotebookFormatter("text/plain", NotebookHtml.TryFormatPlain);
        yield return new NotebookFormatter("image/svg+xml", NotebookHtml.TryFormatSvg);
    }
}

public sealed class NotebookFormatter(string mimeType, Func<object, TextWriter, bool> format)
{
    public string MimeType { get; } = mimeType;

    public bool Format(object instance, TextWriter writer) => format(instance, writer);
}

/// <summary>HTML and text of the library's types for notebook outputs: one place, used by the kernel and the runner.
/// Every displayable type says what it shows (<see cref="INotebookView"/>).</summary>
public static class NotebookHtml
{
    public static bool TryFormat(object instance, TextWriter writer)
    {
        using var culture = InvariantFormatting.Enter(); // the kernel keeps the researcher's culture
        return Write(instance is INotebookView v ? v.ToNotebookHtml() : null, writer);
    }

    public static bool TryFormatPlain(object instance, TextWriter writer)
    {
        using var culture = InvariantFormatting.Enter();
        return Write(instance is INotebookView v ? v.ToNotebookText() : null, writer);
    }

    /// <summary>A chart's static drawing, the image output beside its HTML (what a frontend that does not run the
    /// HTML's script shows).</summary>
    public static bool TryFormatSvg(object instance, TextWriter writer)
    {
        using var culture = InvariantFormatting.Enter();
        return Write(instance is Figure f ? StaticFigure.SvgText(f) : null, writer);
    }

    static bool Write(string? text, TextWriter writer)
    {
        if (text is null) return false;
        writer.Write(text);
        return true;
    }

    /// <summary>Table styles for a notebook output, which has no report stylesheet.</summary>
    public static readonly string TableCss = "<style>.raccoon table{border-collapse:collapse;font-size:0.9em} .raccoon th,.raccoon td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top} " +
        ".raccoon caption{font-weight:bold;text-align:left}</style>";
}

/// <summary>A fragment of HTML to show as such (the kernel's HTML(...) gives the same).</summary>
[TypeFormatterSource(typeof(NotebookFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed record HtmlContent(string Html) : INotebookView
{
    public string ToNotebookHtml() => Html;

    public string ToNotebookText() => Html;

    public override string ToString() => Html;
}
