namespace Raccoon.Research.Models.PathFlow;

/// <summary>How the posterior reads the GRU states at a query time.</summary>
public enum PosteriorAttention
{
    /// <summary>Upstream: the context is repeated once per query (repeat_interleave) and weighted elementwise: B T^2 H memory.</summary>
    Upstream,
    /// <summary>The same weights as one (B, T, T) matrix and a batched matmul: B T^2 memory.</summary>
    Global,
    /// <summary>Only the w nearest time points per query: B T w H.</summary>
    Windowed,
}

/// <summary>
/// Sizes of the variational path flow. <see cref="Upstream"/> is the file's own main: data 3, latent 4,
/// hidden 128, 6 couplings per flow, time embedding 64 (frequencies 1..16), time on [0, 3].
/// OuGroupSize 0 is upstream's diagonal OU; G >= 1 the grouped OU (G = 1 equals the diagonal one).
/// NormalisedPosteriorTime false keeps upstream's quirk (the posterior is queried at raw t in [0, 3]
/// against key times in [0, 1]); true queries it at (t - t_min) / (t_max - t_min).
/// </summary>
public sealed record PathFlowConfig(
    int DataDim = 3, int LatentDim = 4, int Hidden = 128, int Couplings = 6, int TimeDim = 64,
    double TMin = 0, double TMax = 3,
    PosteriorAttention Attention = PosteriorAttention.Upstream, int Window = 10,
    int OuGroupSize = 0, bool NormalisedPosteriorTime = false,
    double ScaleClamp = 1.5, double TimeMaxFrequency = 16.0)
{
    public static PathFlowConfig Upstream { get; } = new();

    public void Validate()
    {
        if (DataDim < 1 || LatentDim < 1 || Hidden < 1 || Couplings < 1) throw new ArgumentException($"sizes must be positive: data {DataDim}, latent {LatentDim}, hidden {Hidden}, couplings {Couplings}");
        if (TimeDim < 2 || TimeDim % 2 != 0) throw new ArgumentException($"the time embedding must be even and at least 2, got {TimeDim}");
        if (!(TMax > TMin)) throw new ArgumentException($"time points must increase: t_max {TMax} is not after t_min {TMin}");
        if (Window < 1) throw new ArgumentException($"the attention window must be at least 1, got {Window}");
        if (OuGroupSize < 0 || (OuGroupSize > 0 && LatentDim % OuGroupSize != 0))
            throw new ArgumentException($"the OU group size must divide the latent dimension: {OuGroupSize} does not divide {LatentDim}");
    }
}
