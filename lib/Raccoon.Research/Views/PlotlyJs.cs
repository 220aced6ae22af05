using System.Globalization;
using System.Text;
using Raccoon.Research.IO;

namespace Raccoon.Research.Views;

/// <summary>
/// plotly.js, for pages that must draw offline. The only served copy is the one Plotly.NET 6 embeds as a
/// resource; it is read straight from Plotly.NET.dll's metadata (beside this library) without loading that
/// assembly, because Plotly.NET cannot load inside the .NET Interactive kernel (FSharp.Core 10.1 vs the
/// kernel's 10.0) and this library must load there.
/// </summary>
public static class PlotlyJs
{
    /// <summary>The Plotly.NET assembly file that carries plotly.js: beside this library (the build copies it there).</summary>
    public static string AssemblyPath =>
        Path.Combine(Path.GetDirectoryName(typeof(PlotlyJs).Assembly.Location) ?? AppContext.BaseDirectory, "Plotly.NET.dll");

    static readonly Lazy<(string Name, string Source)> Js = new(() =>
    {
        string path = AssemblyPath;
        if (!File.Exists(path))
            throw new FileNotFoundException($"plotly.js is read from {path}, which is missing: build the project (Plotly.NET is a package reference for that file only)", path);
        using var stream = File.OpenRead(path);
        using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
        var md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        foreach (var handle in md.ManifestResources)
        {
            var res = md.GetManifestResource(handle);
            string name = md.GetString(res.Name);
            if (!name.EndsWith(".min.js", StringComparison.Ordinal) || !res.Implementation.IsNil) continue;
            // An embedded resource: a 4-byte length then the bytes, at Offset within the CLR resources section.
            var dir = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var block = pe.GetSectionData(dir.RelativeVirtualAddress);
            var reader = block.GetReader((int)res.Offset, dir.Size - (int)res.Offset);
            int length = reader.ReadInt32();
            var bytes = reader.ReadBytes(length);
            return (name, System.Text.Encoding.UTF8.GetString(bytes));
        }
        throw new InvalidOperationException($"{path} carries no plotly.js resource");
    });

    public static string Source => Js.Value.Source;

    /// <summary>The version of that plotly.js ("2.28.0"), read from its resource name.</summary>
    public static string Version => System.Text.RegularExpressions.Regex.Match(Js.Value.Name, @"plotly-(\d+\.\d+\.\d+)\.min\.js$") is { Success: true } m
        ? m.Groups[1].Value : throw new InvalidOperationException($"no plotly.js version in the resource name {Js.Value.Name}");

    /// <summary>What every page carrying plotly.js starts with, so a page can be checked to hold it exactly once.</summary>
    public static string Banner => "plotly.js v" + Version;

    /// <summary>
    /// plotly.js as a notebook output's script: it defines window.Plotly unless the page has it already, with any AMD
    /// loader on the page (classic Jupyter's require.js) hidden meanwhile, since plotly.js registers itself as an
    /// anonymous AMD module there instead of defining window.Plotly.
    /// </summary>
    public static string NotebookLoader() =>
        "<script type=\"text/javascript\">/* plotly.js for this notebook's charts (Raccoon.Research, once per kernel) */\n" +
        "if (!window.Plotly) { (function () { var amd = window.define; window.define = undefined; try {\n" +
        Source + "\n} finally { window.define = amd; } }).call(window); }\n</script>";

    static int _loaderShown;

    /// <summary>The <see cref="NotebookLoader"/> the first time a process asks (its first chart), "" after: plotly.js once per
    /// kernel, so once per executed notebook.</summary>
    public static string NotebookLoaderOnce() => Interlocked.Exchange(ref _loaderShown, 1) == 0 ? NotebookLoader() : "";

    /// <summary>What a chart says in its box when the page never got plotly.js.</summary>
    public const string MissingMessage = "plotly.js did not reach this page: the first chart output of the notebook carries it: run the notebook again from its first cell.";
}
