using Raccoon.Research.Measurements;

namespace Raccoon.Research.Models.PathFlow;

/// <summary>
/// What one ELBO step of <see cref="PathFlowModel"/> holds in memory, counted from its sizes (an estimate, never a
/// measurement): per path of T time points, the GRU's states and gates, the posterior's time attention (T queries over T
/// keys: upstream's repeated states are T x T x H per path, the term that grows fastest), the posterior MLP, the latent
/// draw and its densities, and every coupling of the prior flow (conditioned on the time embedding) and of the
/// observation flow (conditioned on z), each over all T points. Used to decide, before timing a step, whether it fits.
/// </summary>
public static class PathFlowMemory
{
    /// <summary>Floats the posterior attention's largest tensors take for Q queries over L keys per path. Without gradients
    /// (as in <see cref="PathFlowModel.PosteriorAttend"/> alone): upstream the repeated states and their weighted copy
    /// (2 Q L H), global the weight matrix and its softmax (2 Q L), windowed the gathered states and their weighted copy
    /// (2 Q w H). A training step also keeps them for backward and makes their gradients: twice that.</summary>
    public static long AttentionFloats(PosteriorAttention form, long queries, long keys, int hidden, int window, bool training)
    {
        long forward = form switch
        {
            PosteriorAttention.Upstream => 2L * queries * keys * hidden,
            PosteriorAttention.Global => 2L * queries * keys,
            _ => 2L * queries * Math.Min(window, keys) * hidden,
        };
        return training ? 2 * forward : forward;
    }

    /// <summary>Floats of one affine coupling per sample: its masked input and context, two hidden layers with their
    /// activations (4 H), scale and shift (2 D), and the tanh, exp, products and log-det terms of the update (about 12 D).</summary>
    public static long CouplingFloats(int dim, int context, int hidden) => dim + context + 4L * hidden + 2L * dim + 12L * dim;

    /// <summary>Floats per path of one ELBO at T time points: with <paramref name="training"/>, what a training step keeps for
    /// backward (and the attention's gradients); without, the same count serves as the forward's live tensors (a bound).</summary>
    public static long FloatsPerPath(PathFlowConfig c, long times, bool training)
    {
        long h = c.Hidden, dz = c.LatentDim;
        long encoder = times * 10 * h + (1 + times) * h;                                      // GRU gates and states, then the context
        long attention = AttentionFloats(c.Attention, times, times, c.Hidden, c.Window, training);
        long posterior = times * (6 * h + 2 * dz + 1);                                        // h + attention, cat with t, MLP, (m, s)
        long latent = times * 10 * dz;                                                        // z, noise, log q and the OU path terms
        long prior = (times + 1) * (c.TimeDim + c.Couplings * CouplingFloats(c.LatentDim, c.TimeDim, c.Hidden));
        long observation = times * c.Couplings * CouplingFloats(c.DataDim, c.LatentDim, c.Hidden);
        return encoder + attention + posterior + latent + prior + observation;
    }

    /// <summary>A training step (Adam) on <paramref name="paths"/> paths of <paramref name="times"/> points.</summary>
    public static StepMemory TrainingStep(PathFlowConfig config, long parameters, long paths, long times) =>
        new(parameters, FloatsPerPath(config, times, training: true), paths, Training: true);

    /// <summary>A held-out ELBO without gradients on <paramref name="paths"/> paths of <paramref name="times"/> points.</summary>
    public static StepMemory Evaluation(PathFlowConfig config, long parameters, long paths, long times) =>
        new(parameters, FloatsPerPath(config, times, training: false), paths, Training: false);
}
