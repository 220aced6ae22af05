using System.Runtime.InteropServices;

namespace Raccoon.Research.Measurements;

/// <summary>Resident memory of this process from /proc/self/status: VmRSS now, VmHWM the peak since start
/// (or since <see cref="ResetPeak"/>). Null fields where the platform has no /proc.</summary>
public sealed record ProcessMemory(long? ResidentBytes, long? PeakResidentBytes)
{
    const string StatusPath = "/proc/self/status";

    public static bool Available => File.Exists(StatusPath);

    public static ProcessMemory Read()
    {
        if (!Available) return new ProcessMemory(Environment.WorkingSet, null);
        long? rss = null, hwm = null;
        foreach (var line in File.ReadLines(StatusPath))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = ParseKiB(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = ParseKiB(line);
        }
        return new ProcessMemory(rss, hwm);
    }

    /// <summary>Resets VmHWM to the current resident size (Linux: write "5" to /proc/self/clear_refs), so that a
    /// following <see cref="Read"/> gives the peak of what ran in between. False where the kernel refuses.</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Hands the C heap's free pages back to the kernel (glibc malloc_trim), so that memory freed
    /// before a measurement is not silently reused by it: growth then shows in the resident size.</summary>
    public static void ReturnFreedHeap()
    {
        if (!OperatingSystem.IsLinux()) return;
        try { MallocTrim(0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { } // not glibc: nothing to trim
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

    // "VmRSS:     123456 kB" -> bytes
    static long ParseKiB(string line)
    {
        var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}

/// <summary>Bytes the C heap (glibc malloc, which libtorch's CPU allocator uses) has handed out and not
/// taken back, over all arenas. Unlike the resident size it ignores the .NET heap, code pages and pages the
/// allocator keeps, so it moves by exactly what tensors allocate and free.</summary>
public static class NativeHeap
{
    static bool _missing;

    /// <summary>In-use bytes (small chunks + mmapped chunks) from mallinfo2; null where glibc's mallinfo2 is missing.</summary>
    public static long? AllocatedBytes()
    {
        if (_missing || !RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return null;
        try
        {
            var info = mallinfo2();
            return (long)(info.uordblks + info.hblkhd);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _missing = true;
            return null;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    static extern MallInfo2 mallinfo2();
}
