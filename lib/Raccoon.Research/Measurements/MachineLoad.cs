using System.Globalization;

namespace Raccoon.Research.Measurements;

/// <summary>
/// How busy the rest of the machine was while this process worked: the CPU time every other process used over an
/// interval, in cores (1.0 = one core fully busy the whole time). torch's threads wait on each other, so another
/// process on one of two cores can slow a parallel step many times over whatever its priority: a timing taken while
/// this reads above zero is not from a quiet machine. Read from /proc/stat (all CPU time) minus /proc/self/stat (this
/// process and its waited-for children); null where those files do not exist (not Linux).
/// </summary>
public sealed class MachineLoad
{
    readonly long _busy, _total, _self;
    readonly int _cpus;

    MachineLoad(long busy, long total, long self, int cpus) => (_busy, _total, _self, _cpus) = (busy, total, self, cpus);

    /// <summary>A reading now, or null where the machine does not expose one.</summary>
    public static MachineLoad? Now()
    {
        try
        {
            if (!File.Exists("/proc/stat") || !File.Exists("/proc/self/stat")) return null;
            var (busy, total, cpus) = ReadStat(File.ReadAllLines("/proc/stat"));
            return new MachineLoad(busy, total, ReadSelf(File.ReadAllText("/proc/self/stat")), cpus);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Cores' worth of CPU that other processes used between this reading and <paramref name="later"/>
    /// (never below zero: the two files are read a moment apart).</summary>
    public double OtherCoresUntil(MachineLoad later)
    {
        long total = later._total - _total;
        if (total <= 0 || _cpus <= 0) return 0;
        double other = (later._busy - _busy) - (later._self - _self);
        return Math.Max(0, other / ((double)total / _cpus));
    }

    /// <summary>The machine-wide busy and total jiffies (first "cpu" line) and the number of "cpuN" lines.</summary>
    public static (long Busy, long Total, int Cpus) ReadStat(IReadOnlyList<string> lines)
    {
        var first = lines.FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal))
            ?? throw new FormatException("/proc/stat has no 'cpu' line");
        var f = first.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        if (f.Length < 4) throw new FormatException($"/proc/stat's cpu line has {f.Length} fields, expected at least 4");
        // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
        long idle = f[3] + (f.Length > 4 ? f[4] : 0);
        long total = f.Take(Math.Min(f.Length, 8)).Sum();
        int cpus = lines.Count(l => l.Length > 3 && l.StartsWith("cpu", StringComparison.Ordinal) && char.IsDigit(l[3]));
        return (total - idle, total, cpus);
    }

    /// <summary>utime + stime + cutime + cstime of /proc/self/stat (fields 14-17; the name in parentheses may hold spaces).</summary>
    public static long ReadSelf(string stat)
    {
        int close = stat.LastIndexOf(')');
        if (close < 0) throw new FormatException("/proc/self/stat has no ')' after the process name");
        var f = stat[(close + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries); // f[0] is field 3 (state)
        if (f.Length < 15) throw new FormatException($"/proc/self/stat has {f.Length + 2} fields, expected at least 17");
        return Enumerable.Range(11, 4).Sum(i => long.Parse(f[i], CultureInfo.InvariantCulture));
    }
}
