using System.Runtime.InteropServices;

namespace Raccoon.Research.Runtime;

/// <summary>
/// libtorch tries NNPACK (an optional CPU convolution library) before its own kernels on every eligible
/// convolution, and where NNPACK cannot start (this machine's CPU: "Could not initialize NNPACK! Reason:
/// Unsupported hardware.") libtorch 2.10 logs that warning on every such call, then uses its own kernels
/// anyway. TorchSharp 0.107 binds no switch for it, so this asks libtorch once, with standard error held
/// back, whether NNPACK is available (at::native::_nnpack_available), and where it is not, turns it off
/// (at::Context::setUserEnabledNNPACK(false), torch.backends.nnpack's flag in PyTorch): convolutions
/// then take the same kernels as before, without the warning. Linux x64 only (the C++ names are the
/// Itanium ABI's); elsewhere nothing is done.
/// </summary>
public static class Nnpack
{
    /// <summary>What was found, in one line for a reader; null where NNPACK works or was not probed.</summary>
    public static string? Note { get; private set; }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.U1)]
    delegate bool Probe();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate IntPtr GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate void SetEnabled(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("libc", SetLastError = true)] static extern int dup(int fd);
    [DllImport("libc", SetLastError = true)] static extern int dup2(int from, int to);
    [DllImport("libc", SetLastError = true)] static extern int close(int fd);
    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)] static extern int open(string path, int flags);

    /// <summary>Whether NNPACK could start on this CPU (null: not probed, off Linux x64 or libtorch without the symbols).</summary>
    public static bool? Available { get; private set; }

    /// <summary>libtorch's own flag (torch.backends.nnpack.enabled in PyTorch), read back; null where it cannot be read.</summary>
    public static bool? Enabled()
    {
        if (!TryExports(out var lib)) return null;
        var context = Marshal.GetDelegateForFunctionPointer<GlobalContext>(NativeLibrary.GetExport(lib, "_ZN2at13globalContextEv"))();
        return Marshal.GetDelegateForFunctionPointer<GetEnabled>(NativeLibrary.GetExport(lib, "_ZNK2at7Context17userEnabledNNPACKEv"))(context);
    }

    static IntPtr _lib;

    static bool TryExports(out IntPtr lib)
    {
        lib = _lib;
        return lib != IntPtr.Zero;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.U1)]
    delegate bool GetEnabled(IntPtr context);

    /// <summary>Switches NNPACK off where it cannot run; once per process, after libtorch is loaded.</summary>
    internal static void SwitchOffWhereUnsupported(string? nativeFolder)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        string name = nativeFolder is not null && File.Exists(Path.Combine(nativeFolder, "libtorch_cpu.so"))
            ? Path.Combine(nativeFolder, "libtorch_cpu.so") : "libtorch_cpu.so";
        if (!NativeLibrary.TryLoad(name, out var lib)) return;
        if (!NativeLibrary.TryGetExport(lib, "_ZN2at6native17_nnpack_availableEv", out var available)
            || !NativeLibrary.TryGetExport(lib, "_ZN2at13globalContextEv", out var global)
            || !NativeLibrary.TryGetExport(lib, "_ZN2at7Context20setUserEnabledNNPACKEb", out var set)
            || !NativeLibrary.TryGetExport(lib, "_ZNK2at7Context17userEnabledNNPACKEv", out _))
            return;
        _lib = lib;
        bool ok = Quietly(Marshal.GetDelegateForFunctionPointer<Probe>(available));
        Available = ok;
        if (ok) return;
        var context = Marshal.GetDelegateForFunctionPointer<GlobalContext>(global)();
        Marshal.GetDelegateForFunctionPointer<SetEnabled>(set)(context, false);
        Note = "NNPACK, libtorch's optional convolution library, cannot start on this CPU (libtorch's \"Could not initialize NNPACK! " +
               "Reason: Unsupported hardware.\"), so it is switched off and convolutions use libtorch's own CPU kernels, as they did after that warning";
    }

    /// <summary>Runs the probe with file descriptor 2 pointed at /dev/null, so libtorch's warning is not printed.</summary>
    static bool Quietly(Probe probe)
    {
        const int WriteOnly = 1;
        int devNull = open("/dev/null", WriteOnly);
        int saved = devNull >= 0 ? dup(2) : -1;
        if (saved < 0)
        {
            if (devNull >= 0) close(devNull);
            return probe();
        }
        Console.Error.Flush();
        dup2(devNull, 2);
        try
        {
            return probe();
        }
        finally
        {
            dup2(saved, 2);
            close(saved);
            close(devNull);
        }
    }
}
