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

    // "VmRSS:     123456 kB" -> bytes
    static long ParseKiB(string line)
    {
        var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
