using Raccoon.Research.Blocks;
using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Blocks.Sde;
using Raccoon.Research.Blocks.Statistics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.LatentOde;

/// <summary>The three loss terms of one batch, and their weighted sum.</summary>
public sealed record LatentOdeLoss(Tensor Total, double Reconstruction, double LatentTest, double OdeMatching);

/// <summary>
/// Upstream's DeterministicLatentODE (latent_drift_trajectory.py): a bidirectional transformer encoder
/// gives a latent path z_{0:L-1}; a prior ODE f(z, t) is fitted to its increments (L1); a causal one-block
/// decoder reconstructs the tokens from [z_0, the ODE's one-step predictions]; a sliced Epps-Pulley test
/// pulls z and the predictions towards a standard normal. The predictor and p_init are built, as
/// upstream builds them, and never used. Every switch of the document is in <see cref="LatentOdeConfig"/>.
/// </summary>
public sealed class DeterministicLatentOde : nn.Module<Tensor, Tensor>, IRegisteredModel
{
    public const string Kind = "latent-ode";
    string IRegisteredModel.ModelKind => Kind;
    object IRegisteredModel.ModelConfig => Config;

    readonly LatentOdeEncoder encoder;
    readonly Parameter p_init_m, p_init_log_s; // PriorInitDistribution (1, latent) each: unused upstream
    readonly NeuralOdeDrift p_ode;
    readonly DiscreteObservation p_observe;
    readonly SlicedEppsPulley latent_test;
    readonly LatentPredictor predictor;

    public LatentOdeConfig Config { get; }

    public DeterministicLatentOde(LatentOdeConfig config, string name = "latent_ode") : base(name)
    {
        config.Validate();
        Config = config;
        encoder = new LatentOdeEncoder(config);
        p_init_m = nn.Parameter(zeros(1, config.Latent));
        p_init_log_s = nn.Parameter(zeros(1, config.Latent));
        p_ode = new NeuralOdeDrift(config.Latent, config.Hidden, config.PriorDepth, normBeforeOutput: true, name: "p_ode");
        p_observe = new DiscreteObservation(config);
        latent_test = new SlicedEppsPulley(config.Slices, tMax: 5.0, points: 17);
        predictor = new LatentPredictor(config.Latent, config.Hidden);
        RegisterComponents();
        UpstreamInit();
    }

    public LatentOdeEncoder Encoder => encoder;
    public DiscreteObservation Decoder => p_observe;
    public NeuralOdeDrift PriorOde => p_ode;

    /// <summary>The file's main re-initialises every nn.Linear trunc-normal(0.02) with zero bias and every
    /// LayerNorm to (1, 0); QKVAttention's raw parameters keep randn / sqrt(fan-in).</summary>
    void UpstreamInit()
    {
        using var _ = no_grad();
        foreach (var (name, module) in named_modules())
        {
            if (module is Linear linear)
            {
                if (name.Contains("att_mh")) nn.init.normal_(linear.weight!, 0, 1 / Math.Sqrt(linear.weight!.shape[1]));
                else Initialization.TruncatedNormal(linear.weight!, 0, 0.02); // TorchSharp's trunc_normal_ fills a constant
                if (linear.bias is not null) nn.init.zeros_(linear.bias);
            }
            else if (module is LayerNorm ln) { nn.init.ones_(ln.weight!); nn.init.zeros_(ln.bias!); }
        }
    }

    /// <summary>tokens (B, L) -> latent path z (B, L, latent).</summary>
    public override Tensor forward(Tensor tokens) => encoder.forward(CheckTokens(tokens));

    Tensor CheckTokens(Tensor tokens)
    {
        if (tokens.dim() != 2 || tokens.dtype != ScalarType.Int64)
            throw new ArgumentException($"tokens must be int64 (batch, length), got {tokens.dtype} ({string.Join(", ", tokens.shape)})");
        if (tokens.shape[1] < 2) throw new ArgumentException($"a sequence needs at least 2 tokens for the ODE matching, got {tokens.shape[1]}");
        long min = tokens.min().item<long>(), max = tokens.max().item<long>();
        if (min < 0 || max >= Config.Vocab) throw new ArgumentException($"token id {(min < 0 ? min : max)} is outside the vocabulary [0, {Config.Vocab})");
        return tokens;
    }

    /// <summary>Upstream's ode_matching_loss: L1 between f(z_t, t) dt and z_{t+1} - z_t on t in [0, 1]; and z_t.detach() + f dt.</summary>
    public (Tensor Loss, Tensor Predicted) OdeMatching(Tensor z)
    {
        long b = z.shape[0], l = z.shape[1], d = z.shape[2];
        double dt = 1.0 / (l - 1);
        var zt = z.narrow(1, 0, l - 1);                                   // (B, L-1, D)
        var dzTrue = z.narrow(1, 1, l - 1) - zt;
        var t = linspace(0, 1, l, dtype: z.dtype, device: z.device).narrow(0, 0, l - 1).view(1, l - 1, 1).expand(b, l - 1, 1);
        var dzPred = p_ode.forward(zt.reshape(-1, d), t.reshape(-1, 1)) * dt; // (B(L-1), D)
        var loss = (dzPred - dzTrue.reshape(-1, d)).abs().mean();
        var predicted = (zt.reshape(-1, d).detach() + dzPred).reshape(b, l - 1, d);
        return (loss, predicted);
    }

    /// <summary>Upstream's loss_components and forward: recon + epWeight x (EP(z) + EP(z_pred)) + ODE matching.</summary>
    public LatentOdeLoss Loss(Tensor tokens, double epWeight = 0.05)
    {
        CheckTokens(tokens);
        using var scope = NewDisposeScope();
        var z = encoder.forward(tokens);                       // (B, L, D)
        long d = z.shape[2];
        var ep = latent_test.forward(z.reshape(1, -1, d));
        var (ode, predicted) = OdeMatching(z);
        ep = ep + latent_test.forward(predicted.reshape(1, -1, d));
        var logits = p_observe.forward(cat([z.narrow(1, 0, 1), predicted], 1), tokens); // (B, L, V)
        var recon = nn.functional.cross_entropy(logits.reshape(-1, Config.Vocab), tokens.reshape(-1));
        var total = recon + epWeight * ep + ode;
        return new LatentOdeLoss(total.MoveToOuterDisposeScope(), recon.item<float>(), ep.item<float>(), ode.item<float>());
    }

    /// <summary>The ODE rolled out with Euler from z0 (B, latent) over t in [0, 1] in length - 1 steps: (B, length, latent).</summary>
    public Tensor Rollout(Tensor z0, int length) => Euler.Solve((z, t) => p_ode.forward(z, t), z0, 0.0, 1.0, length - 1);

    /// <summary>
    /// Upstream's sampling: roll the prior ODE out from z0 ~ N(0, I), then draw the tokens one by one. Without a
    /// cache every step recomputes the decoder over the whole sequence (upstream's way, placeholders "?" after
    /// the current position, hidden by the causal mask); with one, each step runs one position against the cached
    /// keys and values. The same generator gives the same tokens either way.
    /// </summary>
    public Tensor Sample(int samples, int length, Generator generator, bool kvCache)
    {
        if (samples < 1 || length < 2) throw new ArgumentException($"sampling needs at least one sample of at least 2 tokens, got {samples} x {length}");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var z0 = randn([samples, Config.Latent], generator: generator);
        var zs = Rollout(z0, length);                                         // (B, L, latent)
        var tokens = full(samples, length, (long)TargetLetterTask.Question, dtype: ScalarType.Int64); // (B, L)
        using var cache = kvCache ? new KvCache() : null;
        for (int t = 0; t < length; t++)
        {
            using var step = NewDisposeScope();
            Tensor logits;
            if (cache is null) logits = p_observe.forward(zs, tokens).select(1, t);        // (B, V)
            else
            {
                var previous = t == 0 ? full(samples, (long)TargetLetterTask.Underscore, dtype: ScalarType.Int64) : tokens.select(1, t - 1);
                logits = p_observe.Step(zs.select(1, t), previous, cache);                  // (B, V)
            }
            var next = multinomial(logits.softmax(-1), 1, generator: generator).squeeze(-1); // (B)
            tokens.select(1, t).copy_(next);
        }
        return tokens.MoveToOuterDisposeScope();
    }

    /// <summary>Decoder logits at every position for a given latent path, position by position with the cache (B, L, V).</summary>
    public Tensor CachedLogits(Tensor z, Tensor tokens)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var cache = new KvCache();
        var steps = new List<Tensor>();
        for (int t = 0; t < tokens.shape[1]; t++)
        {
            var previous = t == 0 ? full(tokens.shape[0], (long)TargetLetterTask.Underscore, dtype: ScalarType.Int64) : tokens.select(1, t - 1);
            steps.Add(p_observe.Step(z.select(1, t), previous, cache));
        }
        return stack(steps, 1).MoveToOuterDisposeScope();
    }
}
