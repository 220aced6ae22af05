using System.Reflection;

namespace Raccoon.Research.Reporting;

/// <summary>
/// An output that updates in place while a cell runs: the .NET Interactive kernel's own <c>display(value)</c>
/// (<c>Microsoft.DotNet.Interactive.Kernel.display</c>, what a cell's <c>display</c> is) and <c>DisplayedValue.Update(value)</c> (a Jupyter display_data then update_display_data with the same display id),
/// reached by name at run time, like the kernel's TypeFormatterSource convention, so the library references no kernel
/// assembly and still loads everywhere. <see cref="TryShow"/> gives null outside a running cell of the kernel (the
/// command line, the tests) and under a Jupyter frontend (<see cref="ServesJupyter"/>); the caller then prints lines.
/// </summary>
public sealed class LiveDisplay
{
    readonly object _displayed;
    readonly MethodInfo _update;

    LiveDisplay(object displayed, MethodInfo update) => (_displayed, _update) = (displayed, update);

    /// <summary>The kernel's assembly that holds display(...) (a static method of Microsoft.DotNet.Interactive.Kernel).</summary>
    public const string KernelAssembly = "Microsoft.DotNet.Interactive";

    /// <summary>Shows <paramref name="value"/> as a cell output that <see cref="Update"/> replaces; null when no kernel cell is running.</summary>
    public static LiveDisplay? TryShow(object value)
    {
        var kernel = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == KernelAssembly);
        if (kernel is null || ServesJupyter) return null;
        // Outside a cell (no invocation context) display has nowhere to write.
        if (kernel.GetType("Microsoft.DotNet.Interactive.KernelInvocationContext")?.GetProperty("Current", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is null)
            return null;
        var display = kernel.GetType("Microsoft.DotNet.Interactive.Kernel")?.GetMethod("display", BindingFlags.Public | BindingFlags.Static, [typeof(object), typeof(string[])]);
        if (display is null) return null;
        var displayed = display.Invoke(null, [value, Array.Empty<string>()]);
        var update = displayed?.GetType().GetMethod("Update", BindingFlags.Public | BindingFlags.Instance, [typeof(object)]);
        return displayed is null || update is null ? null : new LiveDisplay(displayed, update);
    }

    /// <summary>
    /// Whether this kernel serves a Jupyter frontend (`dotnet-interactive jupyter`). There, the kernel (1.0.712001) sends
    /// each update_display_data with another display_id than its display_data (measured with jupyter_client, the same for a
    /// cell's own display(...).Update), so Jupyter frontends never update the output: lines are printed instead.
    /// </summary>
    public static bool ServesJupyter => Environment.GetCommandLineArgs() is { Length: > 1 } args && args[1] == "jupyter";

    /// <summary>Replaces the output with <paramref name="value"/>.</summary>
    public void Update(object value) => _update.Invoke(_displayed, [value]);
}
