using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Flows;
using Raccoon.Research.Blocks.Sde;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.PathFlow;

/// <summary>
/// Upstream 002's FlowPriorMatchingCond (variational_path_flows_friendly.py), ported:
/// prior = time-conditioned RealNVP z = f_tau(y) over an OU base process y (exact transitions), with
/// tau = (t - t_min) / (t_max - t_min) clamped to [0, 1]; z0 prior N(m, e^{log s}); observation flow
/// x = g(u; z), u ~ N(0, I) (a RealNVP conditioned on z); posterior = GRU over x, then PosteriorAffine
/// (time attention over the GRU states + MLP -> mean, log-std). ELBO = log p(x|z) + log p(z0) +
/// log p(z_1.. | z0) - log q(z|x) with one reparameterised z per path.
/// </summary>
public sealed class PathFlowModel : nn.Module, IPathElboModel, IRegisteredModel
{
    public const string Kind = "path-flow";
    string IRegisteredModel.ModelKind => Kind;
    object IRegisteredModel.ModelConfig => Config;

    /// <summary>Upstream's PyTorch code spells the C# camelCase fields (timeEmbedding, ...) in snake_case.</summary>
    public static IO.ParameterNames PyTorchNames => IO.ParameterNames.SnakeCase;

    public PathFlowConfig Config { get; }

    readonly TimeConditionedCouplingFlow priorFlow;
    readonly nn.Module ou;
    readonly FlowSequence observationFlow;
    readonly GRU encoder;
    readonly Sequential posteriorNet;
    readonly WindowedTimeAttention attention;
    readonly Parameter z0Mean, z0LogStd;

    /// <summary>Passes through a coupling stack (prior or observation flow, either direction) since the last reset.</summary>
    public int FlowPasses { get; private set; }
    public void ResetCounters() => FlowPasses = 0;

    public PathFlowModel(PathFlowConfig? config = null, string name = "path_flow") : base(name)
    {
        Config = config ?? PathFlowConfig.Upstream;
        Config.Validate();
        var c = Config;
        priorFlow = new TimeConditionedCouplingFlow(c.LatentDim, c.Hidden, c.Couplings, c.TimeDim, hiddenLayers: 2,
            scaleRange: c.ScaleClamp, maxFrequency: c.TimeMaxFrequency, bound: ScaleBound.Tanh, name: "prior_flow");
        ou = c.OuGroupSize == 0 ? new DiagonalOrnsteinUhlenbeck(c.LatentDim) : new GroupedOrnsteinUhlenbeck(c.LatentDim, c.OuGroupSize);
        observationFlow = new FlowSequence(Enumerable.Range(0, c.Couplings).Select(i => (Flow)new AffineCoupling(
            c.DataDim, c.Hidden, AffineCoupling.AlternatingMask(c.DataDim, i % 2), c.LatentDim, 2, c.ScaleClamp, bound: ScaleBound.Tanh)), "observation_flow");
        encoder = nn.GRU(c.DataDim, c.Hidden, batchFirst: true);
        posteriorNet = nn.Sequential(nn.Linear(c.Hidden + 1, c.Hidden), nn.SiLU(), nn.Linear(c.Hidden, c.Hidden), nn.SiLU(), nn.Linear(c.Hidden, 2L * c.LatentDim));
        attention = new WindowedTimeAttention(c.Attention == PosteriorAttention.Windowed ? c.Window : null);
        z0Mean = new Parameter(zeros(1, c.LatentDim));
        z0LogStd = new Parameter(full(1, c.LatentDim, -0.2));
        RegisterComponents();
        InitialiseAsUpstream();
    }

    /// <summary>Upstream's initialisation: every MLP Linear xavier-uniform with zero bias; each coupling's last
    /// layer all zeros (identity flows at start); the posterior's log-std bias -0.5.</summary>
    void InitialiseAsUpstream()
    {
        using var noGrad = no_grad();
        var couplings = priorFlow.Couplings.Layers.Concat(observationFlow.Layers).Cast<AffineCoupling>();
        foreach (var coupling in couplings)
        {
            var linears = coupling.Conditioner.children().OfType<Linear>().ToList();
            foreach (var l in linears) { nn.init.xavier_uniform_(l.weight); nn.init.zeros_(l.bias!); }
            nn.init.zeros_(linears[^1].weight); nn.init.zeros_(linears[^1].bias!);
        }
        var post = posteriorNet.children().OfType<Linear>().ToList();
        foreach (var l in post) { nn.init.xavier_uniform_(l.weight); nn.init.zeros_(l.bias!); }
        post[^1].bias![Config.LatentDim..].fill_(-0.5);
    }

    public TimeConditionedCouplingFlow PriorFlow => priorFlow;
    public IOuTransitions Ou => (IOuTransitions)ou;
    public nn.Module OuModule => ou;
    public FlowSequence ObservationFlow => observationFlow;
    public GRU Encoder => encoder;
    public Sequential PosteriorNet => posteriorNet;

    /// <summary>Parameters per upstream module: prior (flow + OU), observation flow, encoder, posterior affine, z0 prior.</summary>
    public IReadOnlyList<(string Module, long Parameters)> ParameterBreakdown() =>
    [
        ("prior flow (time-conditioned RealNVP)", Count(priorFlow)),
        ("prior OU", Count(ou)),
        ("observation flow (conditional RealNVP)", Count(observationFlow)),
        ("posterior encoder (GRU)", Count(encoder)),
        ("posterior affine", Count(posteriorNet)),
        ("z0 prior", z0Mean.numel() + z0LogStd.numel()),
    ];

    public long ParameterCount => parameters().Sum(p => p.numel());

    static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());

    // ---- flows (counted) ----
    Tensor PriorTime(Tensor t) => ((t - Config.TMin) / Math.Max(Config.TMax - Config.TMin, 1e-8)).clamp(0, 1);

    public (Tensor Y, Tensor LogDet) PriorInverse(Tensor z, Tensor t) { FlowPasses++; return priorFlow.Inverse(z, PriorTime(t)); }
    public Tensor PriorForward(Tensor y, Tensor t) { FlowPasses++; return priorFlow.Forward(y, PriorTime(t)).Z; }
    public (Tensor U, Tensor LogDet) ObservationInverse(Tensor x, Tensor z) { FlowPasses++; return observationFlow.Inverse(x, z); }
    public Tensor ObservationForward(Tensor u, Tensor z) { FlowPasses++; return observationFlow.Forward(u, z).Z; }

    /// <summary>log p(x | z) = log N(u; 0, I) + log|det du/dx|, x (N, Dx), z (N, Dz) -> (N).</summary>
    public Tensor ObservationLogProb(Tensor x, Tensor z)
    {
        var (u, logDet) = ObservationInverse(x, z);
        return OuGrid.DiagonalGaussianLogProb(u, zeros_like(u), ones_like(u)) + logDet;
    }

    // ---- posterior ----
    /// <summary>GRU over x (B, T, Dx) -> context (B, 1 + T, H): the final state, then every step's output.</summary>
    public Tensor Encode(Tensor xs)
    {
        var (output, hidden) = encoder.forward(xs);
        return cat([hidden[0].unsqueeze(1), output], 1);
    }

    /// <summary>Query time the posterior sees: raw t (upstream's quirk) or t normalised to [0, 1].</summary>
    public Tensor PosteriorQueryTime(Tensor ts) =>
        Config.NormalisedPosteriorTime ? (ts - Config.TMin) / (Config.TMax - Config.TMin) : ts;

    /// <summary>The posterior's time attention alone, in the configured form: ctx (B, 1 + T, H), query times (B, Q) ->
    /// what each query reads from the per-step states (B, Q, H). Upstream repeats the states per query (B Q T H floats);
    /// global uses one (B, Q, T) weight matrix; windowed only the w nearest states.</summary>
    public Tensor PosteriorAttend(Tensor ctx, Tensor queries)
    {
        var outs = ctx[.., 1..];                                                          // (B, L, H)
        return Config.Attention == PosteriorAttention.Upstream
            ? WindowedTimeAttention.RepeatPerQuery(outs, queries)
            : attention.Attend(outs, queries);
    }

    /// <summary>Posterior mean and std at every time point: ctx (B, 1 + T, H), query times (B, T) -> 2 x (B, T, Dz).</summary>
    public (Tensor Mean, Tensor Std) PosteriorCoefficients(Tensor ctx, Tensor queries)
    {
        var h = ctx[.., 0];                                                               // (B, H)
        var hq = h.unsqueeze(1) + PosteriorAttend(ctx, queries);                          // (B, Q, H)
        var coeffs = posteriorNet.forward(cat([hq, queries.unsqueeze(2)], 2));           // (B, Q, 2 Dz)
        var parts = coeffs.chunk(2, -1);
        return (parts[0], parts[1].exp());
    }

    // ---- prior ----
    /// <summary>log p(z_1.. | z0) = OU log-density of y = f^{-1}(z) + sum_{k >= 1} log|det dy/dz| (upstream log_prob_paths_cond).</summary>
    public Tensor PriorPathLogProb(Tensor z, Tensor ts, Tensor z0)
    {
        long B = z.shape[0], T = z.shape[1], D = z.shape[2];
        var (yf, logDet) = PriorInverse(z.reshape(B * T, D), ts.reshape(B * T, 1));
        var y = yf.view(B, T, D);
        var logDetSeq = logDet.view(B, T)[.., 1..].sum(1);
        var (y0, _) = PriorInverse(z0, ts[.., 0]);                                        // a second pass for z0, as upstream
        return Ou.PathLogProb(y, ts[0, .., 0], y0) + logDetSeq;
    }

    public Tensor Z0LogProb(Tensor z0)
    {
        var s = z0LogStd.exp();
        return OuGrid.DiagonalGaussianLogProb(z0, z0Mean.expand_as(z0), s.square().expand_as(z0));
    }

    /// <summary>Per-path ELBO (B) for observations xs (B, T, Dx) at times ts (B, T, 1).</summary>
    public Tensor Elbo(Tensor xs, Tensor ts, Generator? generator = null)
    {
        LorenzPaths.Validate(xs, ts, Config.DataDim);
        var (m, s) = Posterior(xs, ts);
        return ElboFromPosterior(xs, ts, m, s, generator);
    }

    /// <summary>The posterior's mean and std at every time point of xs: encoder, then PosteriorAffine (B, T, Dz) each.
    /// This is what the document's cache would store as the "base trajectory".</summary>
    public (Tensor Mean, Tensor Std) Posterior(Tensor xs, Tensor ts) =>
        PosteriorCoefficients(Encode(xs), PosteriorQueryTime(ts[.., .., 0]));

    /// <summary>The ELBO given posterior coefficients (m, s) of shape (B, T, Dz).</summary>
    public Tensor ElboFromPosterior(Tensor xs, Tensor ts, Tensor m, Tensor s, Generator? generator = null)
    {
        long B = xs.shape[0], T = xs.shape[1];
        int dz = Config.LatentDim, dx = Config.DataDim;
        var z = m + s * randn(m.shape, dtype: m.dtype, generator: generator);
        var logPx = ObservationLogProb(xs.reshape(B * T, dx), z.reshape(B * T, dz)).view(B, T).sum(1);
        var z0 = z[.., 0];
        var logPz = Z0LogProb(z0) + PriorPathLogProb(z, ts, z0);
        var logQ = OuGrid.DiagonalGaussianLogProb(z, m, s.square()).sum(1);
        return logPx + logPz - logQ;
    }

    /// <summary>Upstream's training loss: -mean ELBO.</summary>
    public Tensor Loss(Tensor xs, Tensor ts, Generator? generator = null) => -Elbo(xs, ts, generator).mean();

    /// <summary>Upstream sample_paths_cond, then the observation flow at u = 0 as its visualisation does:
    /// one inverse prior pass (z0 -> y0), T - 1 exact OU transitions, one batched forward prior pass, one
    /// observation pass. grid (T), z0 (n, Dz) -> z (n, T, Dz), x (n, T, Dx).</summary>
    public (Tensor Z, Tensor X) SamplePaths(Tensor grid, Tensor z0, Generator? generator = null)
    {
        using var noGrad = no_grad();
        long n = z0.shape[0], T = grid.shape[0];
        int D = Config.LatentDim;
        var t0 = grid[0].expand(n, 1);
        var (y0, _) = PriorInverse(z0, t0);
        var y = Ou.SamplePath(grid, y0, generator);                                     // (n, T, D): the loop over time
        var tf = grid.view(1, T, 1).expand(n, T, 1).reshape(n * T, 1);
        var z = PriorForward(y.reshape(n * T, D), tf).view(n, T, D);
        var x = ObservationForward(zeros(n * T, Config.DataDim, dtype: z0.dtype), z.reshape(n * T, D)).view(n, T, Config.DataDim);
        return (z, x);
    }

    /// <summary>z0 draws from the learned initial prior (n, Dz).</summary>
    public Tensor SampleZ0(int n, Generator? generator = null)
    {
        using var noGrad = no_grad();
        return z0Mean + z0LogStd.exp() * randn(new long[] { n, Config.LatentDim }, generator: generator);
    }
}
