using System.Diagnostics;
using Raccoon.Research.Measurements;

namespace Raccoon.Research.Tests.Measurements;

/// <summary><see cref="MachineLoad"/>: the CPU other processes used while this one worked, read from /proc.</summary>
public sealed class MachineLoadTests
{
    [Fact]
    public void Proc_stat_gives_busy_and_total_jiffies_and_the_cpu_count()
    {
        string[] stat =
        [
            "cpu  100 5 50 1000 20 3 2 1 7 0",
            "cpu0 50 2 25 500 10 1 1 0 3 0",
            "cpu1 50 3 25 500 10 2 1 1 4 0",
            "intr 12345",
        ];
        var (busy, total, cpus) = MachineLoad.ReadStat(stat);
        Assert.Equal(100 + 5 + 50 + 3 + 2 + 1, busy); // guest (7) is already inside user
        Assert.Equal(100 + 5 + 50 + 1000 + 20 + 3 + 2 + 1, total);
        Assert.Equal(2, cpus);
        Assert.Throws<FormatException>(() => MachineLoad.ReadStat(["intr 1"]));
    }

    [Fact]
    public void Proc_self_stat_sums_user_system_and_waited_children_time_after_a_name_with_spaces()
    {
        // fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
        string stat = "4242 (my (odd) name) R 1 4242 4242 0 -1 4194560 100 0 0 0 31 7 5 2 20 0 3 0";
        Assert.Equal(31 + 7 + 5 + 2, MachineLoad.ReadSelf(stat));
        Assert.Throws<FormatException>(() => MachineLoad.ReadSelf("4242 my name R 1"));
    }

    [Fact]
    public void A_busy_process_beside_this_one_reads_as_other_cores_and_an_idle_wait_reads_near_zero_of_this_process()
    {
        Assert.SkipUnless(File.Exists("/proc/stat"), "needs Linux's /proc");
        var before = MachineLoad.Now()!;
        using (var spinner = Spin(2))
        {
            spinner.WaitForExit(); // waited for: its time joins this process's children's, so it is not "other"
        }
        var afterWaited = MachineLoad.Now()!;
        double waited = before.OtherCoresUntil(afterWaited);

        var start = MachineLoad.Now()!;
        using var busy = Spin(3);
        Thread.Sleep(1500); // the busy child is running and not yet waited for: another process, as far as /proc/self/stat knows
        double other = start.OtherCoresUntil(MachineLoad.Now()!);
        busy.WaitForExit();

        // One shell spinning on one of the cores for the whole interval: most of a core, whatever else the machine does.
        Assert.True(other >= 0.5, $"a spinning process beside this one read as {other:0.00} cores");
        Assert.True(other <= Environment.ProcessorCount + 0.01, $"more cores than the machine has: {other:0.00}");
        Assert.True(waited < other, $"the waited-for child ({waited:0.00} cores) counted as much as a running other process ({other:0.00})");
    }

    /// <summary>A shell that keeps one core busy for about <paramref name="seconds"/> seconds.</summary>
    static Process Spin(int seconds) =>
        Process.Start(new ProcessStartInfo("sh", ["-c", $"end=$(( $(date +%s) + {seconds} )); while [ $(date +%s) -lt $end ]; do :; done"]))!;
}
