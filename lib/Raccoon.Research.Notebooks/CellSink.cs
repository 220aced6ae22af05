using System.Text;

namespace Raccoon.Research.Notebooks;

/// <summary>Collects one cell's outputs in order; consecutive writes to the same stream join into one output.</summary>
sealed class CellSink
{
    readonly object gate = new();
    readonly List<CellOutput> outputs = [];

    public void Add(CellOutput output)
    {
        lock (gate) outputs.Add(output);
    }

    public void Replace(CellOutput old, CellOutput next)
    {
        lock (gate)
        {
            int i = outputs.IndexOf(old);
            if (i >= 0) outputs[i] = next;
            else outputs.Add(next);
        }
    }

    public void Write(string stream, string text)
    {
        if (text.Length == 0) return;
        lock (gate)
        {
            if (outputs.Count > 0 && outputs[^1] is StreamOutput last && last.Name == stream)
                outputs[^1] = last with { Text = last.Text + text };
            else
                outputs.Add(new StreamOutput(stream, text));
        }
    }

    public List<CellOutput> Take()
    {
        lock (gate) return [.. outputs];
    }
}

/// <summary>
/// Console.Out / Console.Error while notebooks run: writes go to the sink of the cell whose code made
/// them (an async-local follows the cell into its tasks and threads), and to the real console otherwise.
/// </summary>
sealed class ConsoleRouter : TextWriter
{
    static readonly object Gate = new();
    static readonly AsyncLocal<CellSink?> Current = new();
    static ConsoleRouter? _out, _err;

    readonly string stream;
    readonly TextWriter fallback;

    ConsoleRouter(string stream, TextWriter fallback)
    {
        this.stream = stream;
        this.fallback = fallback;
    }

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>Routes the console to cells from now on (once per process).</summary>
    public static void Install()
    {
        lock (Gate)
        {
            if (_out is not null) return;
            _out = new ConsoleRouter("stdout", Console.Out);
            _err = new ConsoleRouter("stderr", Console.Error);
            Console.SetOut(_out);
            Console.SetError(_err);
        }
    }

    /// <summary>The real standard error, for progress lines that must not land in a cell.</summary>
    public static TextWriter RealError => _err?.fallback ?? Console.Error;

    /// <summary>Sends this async flow's console writes to <paramref name="sink"/> (null: the real console).</summary>
    public static void Route(CellSink? sink) => Current.Value = sink;

    public static CellSink? CurrentSink => Current.Value;

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (value is null) return;
        if (Current.Value is { } sink) sink.Write(stream, value);
        else fallback.Write(value);
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => Write((value ?? "") + "\n");

    public override void WriteLine() => Write("\n");

    public override void Flush()
    {
        if (Current.Value is null) fallback.Flush();
    }
}
