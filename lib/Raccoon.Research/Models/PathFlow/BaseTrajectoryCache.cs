using static TorchSharp.torch;

namespace Raccoon.Research.Models.PathFlow;

/// <summary>
/// The document's "experience cache" (ScalableRaccoonVPF.forward): the base trajectory (here the posterior's
/// mean and std for every time point, the encoder + PosteriorAffine work) stored under the key
/// (x.shape, t.min(), t.max()). The key ignores the values of x and the model's parameters, so a second batch
/// of the same shape and time range gets the first batch's trajectory: correct only when x and the
/// parameters are unchanged since the entry was stored.
/// </summary>
public sealed class BaseTrajectoryCache : IDisposable
{
    readonly Dictionary<string, (Tensor Mean, Tensor Std)> entries = new();

    public int Hits { get; private set; }
    public int Misses { get; private set; }

    public static string Key(Tensor xs, Tensor ts) =>
        $"{string.Join("x", xs.shape)}|{ts.min().item<float>():R}|{ts.max().item<float>():R}";

    public Tensor Elbo(PathFlowModel model, Tensor xs, Tensor ts, Generator? generator = null)
    {
        string key = Key(xs, ts);
        if (!entries.TryGetValue(key, out var posterior))
        {
            Misses++;
            var (m, s) = model.Posterior(xs, ts);
            posterior = (m.detach().MoveToOuterDisposeScope(), s.detach().MoveToOuterDisposeScope());
            entries[key] = posterior;
        }
        else Hits++;
        return model.ElboFromPosterior(xs, ts, posterior.Mean, posterior.Std, generator);
    }

    public void Dispose()
    {
        foreach (var (m, s) in entries.Values) { m.Dispose(); s.Dispose(); }
        entries.Clear();
    }
}
