using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using Raccoon.Research.Reporting;

namespace Raccoon.Research.Notebooks;

/// <summary>What one cell did: its outputs, and the error that stopped it, if any.</summary>
public sealed record CellRun(IReadOnlyList<CellOutput> Outputs, string? Error)
{
    public bool Failed => Error is not null;
}

/// <summary>
/// The C# kernel's semantics, headless: one Roslyn script state chained from cell to cell, exactly the
/// kernel's default usings, display/HTML from the globals, the trailing expression displayed (null
/// too), `#r` resolved from the notebook's folder, console output captured per cell. Each cell
/// compiles to an assembly that is never unloaded: run one notebook per process.
/// </summary>
public sealed class CSharpKernel
{
    /// <summary>The usings the .NET Interactive C# kernel adds, and no others.</summary>
    public static readonly IReadOnlyList<string> DefaultUsings =
    [
        "System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq",
    ];

    static readonly MethodInfo HasReturnValue =
        typeof(Script).GetMethod("HasReturnValue", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingMethodException("Roslyn's Script.HasReturnValue is gone: the trailing-expression rule needs it");

    static readonly Regex MagicLine = new(@"^\s*#!(\S+)", RegexOptions.Compiled);
    static readonly Regex NugetReference = new(@"^\s*#r\s+""nuget:", RegexOptions.Compiled);

    readonly ScriptOptions options;
    readonly KernelGlobals globals = new();
    ScriptState<object>? state;

    public CSharpKernel(string notebookDirectory)
    {
        string dir = Path.GetFullPath(notebookDirectory);
        options = ScriptOptions.Default
            .WithImports(DefaultUsings)
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithMetadataResolver(new HostAssemblyResolver(ScriptMetadataResolver.Default.WithBaseDirectory(dir)))
            .WithSourceResolver(new SourceFileResolver(ImmutableArray<string>.Empty, dir))
            .AddReferences(typeof(KernelGlobals).Assembly, typeof(HtmlContent).Assembly);
        ConsoleRouter.Install();
    }

    /// <summary>Runs one cell; stops waiting after <paramref name="timeout"/> (the caller's process must then end: a running cell cannot be aborted).</summary>
    public CellRun Run(string code, TimeSpan timeout)
    {
        var sink = new CellSink();
        globals.Sink = sink;
        var (script, error, timed) = Preprocess(code);
        if (error is not null)
        {
            sink.Add(Error("UnsupportedMagicCommand", error, []));
            return new CellRun(sink.Take(), error);
        }

        using var cancel = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var previous = state;
        var task = Task.Run(async () =>
        {
            ConsoleRouter.Route(sink);
            return previous is null
                ? await CSharpScript.Create<object>(script, options, typeof(KernelGlobals)).RunAsync(globals, _ => true, cancel.Token)
                : await previous.ContinueWithAsync<object>(script, options, _ => true, cancel.Token);
        });
        try
        {
            if (!task.Wait(timeout))
            {
                cancel.Cancel();
                string message = $"the cell ran past its time limit of {timeout.TotalSeconds:0.#} s and was stopped";
                sink.Add(Error("TimeoutException", message, []));
                return new CellRun(sink.Take(), message);
            }
        }
        catch (AggregateException e) when (e.InnerException is CompilationErrorException c)
        {
            string diagnostics = string.Join("\n", c.Diagnostics.Select(d => d.ToString()));
            sink.Add(Error("CompilationErrorException", diagnostics, diagnostics.Split('\n')));
            return new CellRun(sink.Take(), diagnostics);
        }
        catch (AggregateException e)
        {
            var inner = e.InnerException ?? e;
            sink.Add(FromException(inner));
            return new CellRun(sink.Take(), $"{inner.GetType().FullName}: {inner.Message}");
        }
        state = task.Result;
        clock.Stop();
        if (state.Exception is { } thrown)
        {
            sink.Add(FromException(thrown));
            return new CellRun(sink.Take(), $"{thrown.GetType().FullName}: {thrown.Message}");
        }
        if ((bool)HasReturnValue.Invoke(state.Script, null)! && state.ReturnValue is not DisplayedValue)
            sink.Add(ValueFormatter.Format(state.ReturnValue));
        if (timed)
            sink.Add(new DisplayOutput(new Dictionary<string, string> { [ValueFormatter.Plain] = $"Wall time: {clock.Elapsed.TotalMilliseconds:0.####}ms" }));
        return new CellRun(sink.Take(), null);
    }

    /// <summary>
    /// Magic commands are the kernel's, not C#: `#!time` is honoured; any other, and `#r "nuget:..."`
    /// (no package feed for notebooks here), is an error naming the line. Their lines become blank, so
    /// compiler positions still match the cell.
    /// </summary>
    static (string Code, string? Error, bool Timed) Preprocess(string code)
    {
        var lines = code.Replace("\r\n", "\n").Split('\n');
        bool timed = false;
        for (int i = 0; i < lines.Length; i++)
        {
            if (NugetReference.IsMatch(lines[i]))
                return (code, $"line {i + 1}: {lines[i].Trim()}: NuGet references are not resolved headless; reference the build output (lib/Raccoon.Research.Cli/bin/) instead", false);
            var m = MagicLine.Match(lines[i]);
            if (!m.Success) continue;
            if (m.Groups[1].Value != "time")
                return (code, $"line {i + 1}: the magic command #!{m.Groups[1].Value} is not supported by the headless runner (only #!time)", false);
            timed = true;
            lines[i] = "";
        }
        return (string.Join("\n", lines), null, timed);
    }

    static ErrorOutput FromException(Exception e) =>
        Error(e.GetType().FullName ?? e.GetType().Name, e.Message, e.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList());

    static ErrorOutput Error(string name, string value, IReadOnlyList<string> traceback) => new(name, value, traceback);
}
