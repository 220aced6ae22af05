using Raccoon.Research.Reporting;

namespace Raccoon.Research.Notebooks;

/// <summary>
/// The names a C# cell sees besides its own: in the real kernel they come from
/// `using static Microsoft.DotNet.Interactive.Kernel`; here they are members of the script's globals.
/// </summary>
public sealed class KernelGlobals
{
    internal KernelGlobals() { }

    /// <summary>The running cell's outputs; the globals outlive cells.</summary>
    internal CellSink Sink { get; set; } = new();

    /// <summary>Shows <paramref name="value"/> now, formatted with the first of <paramref name="mimeTypes"/> that applies (default: its preferred one).</summary>
    public DisplayedValue display(object? value, params string[] mimeTypes)
    {
        var output = ValueFormatter.Format(value, mimeTypes);
        var sink = ConsoleRouter.CurrentSink ?? Sink; // a cell's background work displays into that cell
        sink.Add(output);
        return new DisplayedValue(sink, output, mimeTypes);
    }

    /// <summary>Marks <paramref name="content"/> as HTML, to display as such.</summary>
    public HtmlContent HTML(string content) => new(content);
}

/// <summary>A value already displayed; <see cref="Update"/> replaces it in place, as the kernel does.</summary>
public sealed class DisplayedValue
{
    readonly CellSink sink;
    readonly string[] mimeTypes;
    CellOutput output;

    internal DisplayedValue(CellSink sink, CellOutput output, string[] mimeTypes)
    {
        this.sink = sink;
        this.output = output;
        this.mimeTypes = mimeTypes;
    }

    public void Update(object? value)
    {
        var next = ValueFormatter.Format(value, mimeTypes);
        sink.Replace(output, next);
        output = next;
    }

    public override string ToString() => "displayed value";
}
