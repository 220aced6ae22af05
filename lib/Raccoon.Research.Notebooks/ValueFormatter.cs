using System.Collections;
using System.Reflection;
using Microsoft.Data.Analysis;
using Raccoon.Research.Reporting;

namespace Raccoon.Research.Notebooks;

/// <summary>
/// Turns a value into a display output as the kernel would: a type carrying an attribute named
/// TypeFormatterSourceAttribute (from any assembly: the library's charts and tables, TorchSharp's
/// tensors) is formatted by the formatters its source creates, HTML preferred; DataFrames become HTML
/// tables; anything else is plain text.
/// </summary>
public static class ValueFormatter
{
    public const string Html = "text/html";
    public const string Plain = "text/plain";

    public static DisplayOutput Format(object? value, params string[] mimeTypes)
    {
        if (value is null) return Single(Plain, "<null>");
        if (value is string s) return Single(Plain, s);
        if (value is HtmlContent h) return Single(Html, h.Html);

        var formatters = ConventionFormatters(value.GetType(), out var preferred);
        var order = mimeTypes.Concat(preferred).Append(Html).Append(Plain).Distinct().ToList();
        foreach (var mime in order)
            foreach (var f in formatters.Where(f => f.MimeType == mime))
                if (f.TryFormat(value) is { } text) return Single(mime, text);

        if (value is DataFrame frame && !mimeTypes.Contains(Plain))
            return Single(Html, NotebookHtml.Style + "<div class=\"raccoon\">" + frame.AsTable().ToHtml() + "</div>");
        return Single(Plain, PlainText(value));
    }

    static DisplayOutput Single(string mime, string text) => new(new Dictionary<string, string> { [mime] = text });

    sealed record ConventionFormatter(string MimeType, object Target, MethodInfo Method)
    {
        public string? TryFormat(object value)
        {
            using var writer = new StringWriter();
            object? handled = Method.Invoke(Target, [value, writer]);
            return handled is false ? null : writer.ToString();
        }
    }

    /// <summary>The formatters named by TypeFormatterSource attributes on the type or its bases, found by name as the kernel does.</summary>
    static List<ConventionFormatter> ConventionFormatters(Type type, out IReadOnlyList<string> preferred)
    {
        var found = new List<ConventionFormatter>();
        var pref = new List<string>();
        for (var t = type; t is not null; t = t.BaseType)
        {
            foreach (var attr in t.GetCustomAttributes(inherit: false))
            {
                var at = attr.GetType();
                if (at.Name != "TypeFormatterSourceAttribute") continue;
                if (at.GetProperty("FormatterSourceType")?.GetValue(attr) is not Type sourceType) continue;
                if (at.GetProperty("PreferredMimeTypes")?.GetValue(attr) is string[] p) pref.AddRange(p);
                object? source = Activator.CreateInstance(sourceType, nonPublic: true);
                var create = sourceType.GetMethod("CreateTypeFormatters", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);
                if (source is null || create?.Invoke(source, null) is not IEnumerable formatters) continue;
                foreach (var f in formatters)
                {
                    if (f is null) continue;
                    var ft = f.GetType();
                    string? mime = ft.GetProperty("MimeType")?.GetValue(f) as string;
                    var format = ft.GetMethod("Format", [typeof(object), typeof(TextWriter)]);
                    if (mime is not null && format is not null) found.Add(new ConventionFormatter(mime, f, format));
                }
            }
        }
        preferred = pref;
        return found;
    }

    /// <summary>Plain text: ToString, except that sequences list their items.</summary>
    static string PlainText(object value) => value switch
    {
        IDictionary d => "{ " + string.Join(", ", d.Keys.Cast<object>().Select(k => $"{k}: {d[k]}")) + " }",
        IEnumerable e => "[ " + string.Join(", ", e.Cast<object?>().Take(100).Select(x => x?.ToString() ?? "<null>")) + " ]",
        _ => value.ToString() ?? "",
    };
}
