using static TorchSharp.torch;

namespace Raccoon.Research.Models.PathFlow;

/// <summary>Upstream's posterior time quirk, measured: the ELBO queries PosteriorAffine at raw t in
/// [t_min, t_max] while its key times are tau in [0, 1]; on [0, 3] every query with t >= 1 puts (almost)
/// all its weight on the final step. Counts queries whose largest weight is on the final step, raw and fixed.</summary>
public sealed record PathFlowQuirk(int Queries, int QueriesOnFinalStep, int FixedQueriesOnFinalStep, double MeanFinalWeightRaw)
{
    public static PathFlowQuirk Measure(int points, double tMin, double tMax)
    {
        if (points < 2) throw new ArgumentException($"the quirk needs at least two time points, got {points}");
        using var scope = NewDisposeScope();
        var t = linspace(tMin, tMax, points, dtype: ScalarType.Float64);
        var tau = linspace(0, 1, points, dtype: ScalarType.Float64);
        Tensor Weights(Tensor q) => (-(points * (tau.unsqueeze(0) - q.unsqueeze(1))).square()).softmax(-1); // (Q, L)
        var raw = Weights(t);
        var fixd = Weights((t - tMin) / (tMax - tMin));
        int OnFinal(Tensor w) => (int)w.argmax(1).eq(points - 1).sum().item<long>();
        return new PathFlowQuirk(points, OnFinal(raw), OnFinal(fixd), raw[.., points - 1].mean().item<double>());
    }
}
