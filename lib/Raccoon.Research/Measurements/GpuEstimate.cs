namespace Raccoon.Research.Measurements;

/// <summary>A GPU's stated peak, for estimates labelled as such.</summary>
public sealed record GpuDevice(string Name, double PeakFlops)
{
    /// <summary>NVIDIA RTX 3090: 71 TFLOP/s fp16 tensor cores with fp32 accumulation (upstream trains 003 with AMP).</summary>
    public static GpuDevice Rtx3090Amp { get; } = new("RTX 3090 (71 TFLOP/s AMP, stated peak)", 71e12);
}

/// <summary>GPU time from measured CPU throughput, an estimate and never a measurement: the work is assumed to reach on the
/// GPU the same share of its stated peak that it reaches of this CPU's measured peak (G3-06's rule; the plan's GPU column).</summary>
public static class GpuEstimate
{
    /// <summary>The share of the CPU's peak a workload reaches: its FLOP/s over the CPU's measured peak FLOP/s.</summary>
    public static double ShareOfPeak(double cpuFlopsPerSecond, double cpuPeak)
    {
        if (!(cpuFlopsPerSecond > 0) || !(cpuPeak > 0))
            throw new ArgumentException($"a share of peak needs positive rates: {cpuFlopsPerSecond} FLOP/s of a {cpuPeak} FLOP/s peak");
        return cpuFlopsPerSecond / cpuPeak;
    }

    /// <summary>Seconds <paramref name="flops"/> take on <paramref name="device"/> at <paramref name="shareOfPeak"/> of its peak.</summary>
    public static double Seconds(double flops, double shareOfPeak, GpuDevice device)
    {
        if (!(flops >= 0) || !(shareOfPeak > 0) || double.IsInfinity(shareOfPeak) || !(device.PeakFlops > 0))
            throw new ArgumentException($"a GPU estimate needs non-negative FLOPs, a positive share of peak and a positive peak: {flops}, {shareOfPeak}, {device.PeakFlops}");
        return flops / (shareOfPeak * device.PeakFlops);
    }

    /// <param name="flops">FLOPs of the work (e.g. steps x FLOPs per step).</param>
    /// <param name="cpuFlopsPerSecond">FLOP/s the CPU reached on it (FLOPs per step / measured seconds per step).</param>
    /// <param name="cpuPeak">The CPU's measured peak FLOP/s.</param>
    public static double Seconds(double flops, double cpuFlopsPerSecond, double cpuPeak, GpuDevice device) =>
        Seconds(flops, ShareOfPeak(cpuFlopsPerSecond, cpuPeak), device);
}
