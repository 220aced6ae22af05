using System.Globalization;
using Raccoon.Research.Measurements;

namespace Raccoon.Research.Planning;

/// <summary>
/// A step timed on the largest share of its batch whose estimated peak memory fits the probe's budget, and its seconds
/// scaled linearly to the whole batch. <see cref="TimedBatch"/> 0: not even one sample fits, nothing was timed.
/// </summary>
public sealed record ShareTiming(long Batch, long TimedBatch, double TimedSeconds, long PeakBytes)
{
    /// <summary>The whole batch was timed.</summary>
    public bool Whole => TimedBatch == Batch;

    /// <summary>Something was timed.</summary>
    public bool Timed => TimedBatch > 0;

    /// <summary>Seconds of the whole batch: the timed seconds, scaled by Batch / TimedBatch when a share was timed.</summary>
    public double Seconds => Whole ? TimedSeconds : Timed ? TimedSeconds * Batch / TimedBatch : 0;

    /// <summary>What the seconds rest on, for the plan's note; null when the whole batch was timed.</summary>
    public string? Label(string what) => Whole ? null : Timed
        ? string.Create(CultureInfo.InvariantCulture, $"{what}: estimate: timed at batch {TimedBatch:N0} of {Batch:N0}, scaled linearly (the whole needs ~{PeakBytes / 1e9:0.0} GB by its sizes)")
        : string.Create(CultureInfo.InvariantCulture, $"{what}: not timed: one sample alone is over the probe's memory budget (the whole needs ~{PeakBytes / 1e9:0.0} GB by its sizes)");
}

/// <summary>
/// Times a step only where it fits: its peak memory is estimated from its sizes first (<see cref="StepMemory"/>) and
/// compared with the probe's budget, a share of the memory available now; a step over it is timed on the largest share
/// of its batch that fits and scaled, never run whole and never guessed silently.
/// </summary>
public static class ShareProbe
{
    /// <summary>The share of the memory available now a probe may take: the machine is shared, and the estimate is an estimate.</summary>
    public const double BudgetShare = 0.5;

    /// <summary>The probe's budget now: <see cref="BudgetShare"/> of <see cref="MachineContext.AvailableMemoryBytes"/>.</summary>
    public static long Budget() => (long)(MachineContext.AvailableMemoryBytes() * BudgetShare);

    /// <summary>Seconds of <paramref name="estimate"/>'s step: <paramref name="secondsAt"/>(b) at the largest b within
    /// <paramref name="budgetBytes"/>, scaled to the batch; <paramref name="secondsAt"/> is not called when not even one
    /// sample fits.</summary>
    public static ShareTiming Time(StepMemory estimate, long budgetBytes, Func<long, double> secondsAt)
    {
        long b = estimate.LargestBatchWithin(budgetBytes);
        double seconds = b > 0 ? secondsAt(b) : 0;
        if (b > 0 && !(seconds >= 0 && double.IsFinite(seconds))) throw new InvalidOperationException($"a probe step at batch {b} took {seconds} s");
        return new ShareTiming(estimate.Batch, b, seconds, estimate.PeakBytes());
    }
}
