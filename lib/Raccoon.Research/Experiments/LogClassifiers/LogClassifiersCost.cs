using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Measurements;
using Raccoon.Research.Models.LogClassifiers;

namespace Raccoon.Research.Experiments.LogClassifiers;

/// <summary>
/// Analytic operation counts of one forward pass of each Raccoon build, per component (embedding, encoder,
/// projection, dynamics, flow, head), from the built models' configurations and <see cref="Flops"/>'s
/// conventions. The dynamics count every solver step; the Alternative's three OU steps run in training only
/// (its inference skips them and, upstream, the flows too), so they are counted as the document counts them.
/// </summary>
public static class LogClassifiersCost
{
    public static OperationCount Of(IRaccoonModel model, long batch, long time) => model switch
    {
        DocumentedOriginalRaccoon m => DocumentedOriginal(m.Config, batch, time),
        RaccoonLogClassifier m => Upstream(m.Config, batch, time),
        SimpleRaccoonModel m => Alternative(m.Config, batch, time),
        _ => throw new ArgumentException($"no cost model for {model.GetType().Name}"),
    };

    public static OperationCount DocumentedOriginal(DocumentedOriginalConfig c, long batch, long time)
    {
        long rows = batch * time, d = c.ModelDim;
        var block = OperationCount.Of("transformer block",
            Flops.LayerNorm(rows, d, name: "attention LayerNorm"),
            Flops.Attention(new SelfAttentionConfig(c.ModelDim, c.Heads, QkvBias: false, OutputProjection: true, OutputBias: false), batch, time),
            Flops.Elementwise(rows * d, 1, "residual"),
            Flops.LayerNorm(rows, d, name: "FFN LayerNorm"),
            Flops.Linear(rows, d, c.FfnHidden, name: "FFN up"),
            Flops.Elementwise(rows * c.FfnHidden, 1, "ReLU"),
            Flops.Linear(rows, c.FfnHidden, d, name: "FFN down"),
            Flops.Elementwise(rows * d, 1, "residual"));
        var embedding = OperationCount.Of(RaccoonStage.Embedding, Flops.Embedding(rows, d), Flops.Elementwise(rows * d, 1, "positions"));
        var encoder = block.Times(c.Blocks, RaccoonStage.Encoder);
        var projection = OperationCount.Of(RaccoonStage.Projection, Flops.Elementwise(rows * d, 1, "mean over positions"), Flops.Linear(batch, d, c.LatentDim));
        var dynamics = Flops.EulerStep(batch, c.LatentDim, OdeDrift(batch, c.LatentDim, c.DriftHidden, c.DriftDepth)).Times(c.OdeSteps, RaccoonStage.Dynamics);
        var flow = CouplingFlow(batch, c.LatentDim, c.LatentDim / 2 + c.TimeDim, c.FlowHidden, c.FlowHiddenLayers, c.FlowLayers, c.TimeDim);
        var head = Head(batch, c.LatentDim, c.HeadHidden, c.Classes);
        return OperationCount.Of("Original (as documented)", embedding, encoder, projection, dynamics, flow, head);
    }

    public static OperationCount Upstream(RaccoonLogClassifierConfig c, long batch, long time)
    {
        long rows = batch * time;
        var embedding = OperationCount.Of(RaccoonStage.Embedding, Flops.Embedding(rows, c.EmbedDim));
        var encoder = OperationCount.Of(RaccoonStage.Encoder,
            Flops.Linear(rows, c.EmbedDim, c.HiddenDim), Flops.Elementwise(rows * c.HiddenDim, 1, "SiLU"),
            Flops.Linear(rows, c.HiddenDim, c.HiddenDim), Flops.Elementwise(rows * c.HiddenDim, 1, "SiLU"),
            Flops.Elementwise(rows * c.HiddenDim, 1, "mean over positions"),
            Flops.Linear(batch, c.HiddenDim, c.LatentDim, name: "mean head"), Flops.Linear(batch, c.HiddenDim, c.LatentDim, name: "log-variance head"),
            Flops.Elementwise(batch * c.LatentDim, 4, "sample mean + exp(logvar/2) eps"));
        long l = c.LatentDim, h = c.HiddenDim;
        var drift = OperationCount.Of("drift net",
            Flops.Linear(batch, l + 1, h), Flops.Elementwise(batch * h, 1, "SiLU"),
            Flops.Linear(batch, h, h), Flops.Elementwise(batch * h, 1, "SiLU"), Flops.Linear(batch, h, l));
        var diffusion = OperationCount.Of("log-diffusion net",
            Flops.Linear(batch, l + 1, h), Flops.Elementwise(batch * h, 1, "SiLU"), Flops.Linear(batch, h, l),
            Flops.Elementwise(batch * l, 2, "clamp, exp"));
        var dynamics = Flops.EulerMaruyamaStep(batch, l, drift, diffusion).Times(c.SdeTimePoints - 1, RaccoonStage.Dynamics);
        var flow = CouplingFlow(batch, l, l + c.TimeDim, c.HiddenDim, 2, c.FlowLayers, c.TimeDim);
        var head = Head(batch, l, c.HiddenDim, c.Classes);
        return OperationCount.Of("Original (upstream RaccoonLogClassifier)", embedding, encoder, dynamics, flow, head);
    }

    public static OperationCount Alternative(SimpleRaccoonConfig c, long batch, long time)
    {
        long rows = batch * time;
        var embedding = OperationCount.Of(RaccoonStage.Embedding, Flops.Embedding(rows, c.EmbedDim));
        var parts = new List<OperationCount>();
        long width = c.EmbedDim;
        for (int i = 0; i < c.ConvChannels.Count; i++)
        {
            long ch = c.ConvChannels[i];
            parts.Add(Flops.Conv1d(batch, width, ch, time, 3, padding: 1, name: $"conv {i + 1}"));
            parts.Add(Flops.BatchNorm(batch * ch * time, training: false, name: $"batch norm {i + 1}"));
            parts.Add(Flops.Elementwise(batch * ch * time, 1, "ReLU"));
            width = ch;
        }
        parts.Add(Flops.Elementwise(batch * width * time, 1, "global average pool"));
        parts.Add(Flops.Linear(batch, width, c.LatentDim));
        var encoder = OperationCount.Of(RaccoonStage.Encoder, parts);
        var ouDrift = Flops.Elementwise(batch * c.LatentDim, 1, "-theta z");
        var dynamics = Flops.EulerMaruyamaStep(batch, c.LatentDim, ouDrift, OperationCount.Zero).Times(c.SdeSteps, RaccoonStage.Dynamics);
        var flow = Flops.DiagonalAffine(batch, c.LatentDim).Times(c.FlowLayers, RaccoonStage.Flow);
        var head = Head(batch, c.LatentDim, c.HiddenDim, c.Classes);
        return OperationCount.Of("Alternative (upstream SimpleRaccoon)", embedding, encoder, dynamics, flow, head);
    }

    /// <summary>The document's 11 x (Linear -> LayerNorm -> SiLU) on [z, t], then Linear to the latent.</summary>
    static OperationCount OdeDrift(long batch, long latent, long hidden, int depth)
    {
        var layers = new List<OperationCount>();
        long width = latent + 1;
        for (int i = 0; i < depth; i++)
        {
            layers.Add(OperationCount.Of($"layer {i + 1}", Flops.Linear(batch, width, hidden), Flops.LayerNorm(batch, hidden), Flops.Elementwise(batch * hidden, 1, "SiLU")));
            width = hidden;
        }
        layers.Add(Flops.Linear(batch, hidden, latent, name: "output"));
        return OperationCount.Of("drift net", layers);
    }

    /// <summary>Multi-frequency time embedding, then coupling layers whose conditioner reads <paramref name="conditionerIn"/> inputs.</summary>
    static OperationCount CouplingFlow(long batch, long dim, long conditionerIn, long hidden, int hiddenLayers, int layers, long timeDim)
    {
        var time = Flops.Elementwise(batch * timeDim, 2, "time embedding (t f, sin/cos)");
        var net = new List<OperationCount>();
        long width = conditionerIn;
        for (int i = 0; i < hiddenLayers; i++)
        {
            net.Add(Flops.Linear(batch, width, hidden));
            net.Add(Flops.Elementwise(batch * hidden, 1, "SiLU"));
            width = hidden;
        }
        net.Add(Flops.Linear(batch, width, 2 * dim, name: "scale and shift"));
        net.Add(Flops.Elementwise(batch * dim, 3, "bound scale: range tanh(s / range)"));
        var coupling = Flops.AffineCoupling(batch, dim / 2, OperationCount.Of("conditioner", net));
        return OperationCount.Of(RaccoonStage.Flow, time, coupling.Times(layers, $"{layers} coupling layers"));
    }

    static OperationCount Head(long batch, long latent, long hidden, long classes) => OperationCount.Of(RaccoonStage.Head,
        Flops.Linear(batch, latent, hidden), Flops.Elementwise(batch * hidden, 1, "activation"), Flops.Linear(batch, hidden, classes));
}
