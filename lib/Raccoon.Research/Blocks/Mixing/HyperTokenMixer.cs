using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Mixing;

/// <summary>
/// Shape of a hypernetwork token mixer. MixHidden is the width of the token-mixing MLP (RustGPT:
/// ModelDim / 2), HyperHidden the hypernetwork's hidden width (RustGPT: ModelDim / 4), MaxLength the
/// number of positions the generated weights cover. Causal masks the mixing so that position j only
/// sees positions up to j.
/// </summary>
public sealed record HyperTokenMixerConfig(int ModelDim = 128, int MixHidden = 64, int MaxLength = 80, int HyperHidden = 32, bool Causal = false)
{
    /// <summary>Numbers the hypernetwork generates: W1 (L x H), b1 (H), W2 (H x L), b2 (L).</summary>
    public int GeneratedSize => MaxLength * MixHidden + MixHidden + MixHidden * MaxLength + MaxLength;

    /// <summary>Parameters of one (unshared) hypernetwork: Linear(D -> Hh) and Linear(Hh -> generated), with biases.</summary>
    public long HypernetworkParameters => (long)ModelDim * HyperHidden + HyperHidden + (long)HyperHidden * GeneratedSize + GeneratedSize;
}

/// <summary>
/// HyperMixer token mixing as RustGPT (commit 69aa104) defines it: a hypernetwork reads the mean of
/// the input over positions and generates the weights of a per-channel MLP over positions,
/// mix[:, c] = ReLU(x[:, c]^T W1 + b1) W2 + b2, with W1, W2, b2 cut to the first T positions.
/// Returns the mixing alone (no residual).
/// <para>The upstream mixing is not causal: every output position reads every input position, and the
/// mean that drives the hypernetwork covers the whole sequence. With <c>Causal</c> the mixer keeps the
/// same parameters but (1) feeds the hypernetwork, for output position j, the running mean of
/// positions 0..j, and (2) masks the generated weights MADE-style: hidden unit k gets a position
/// degree m(k) = floor(k L / H); it reads inputs i &lt;= m(k) and feeds outputs j &gt;= m(k). With a
/// hidden layer narrower than the sequence a plain triangular mask has no meaning; this is its
/// generalisation, and the degrees depend on MaxLength only, so the output at j does not depend on T.</para>
/// </summary>
public sealed class HyperTokenMixer : nn.Module<Tensor, Tensor>
{
    readonly FeedForward.FeedForward hypernetwork;
    readonly Tensor inputMask;  // (L, H): input position i may reach hidden unit k
    readonly Tensor outputMask; // (H, L): hidden unit k may reach output position j

    public HyperTokenMixerConfig Config { get; }

    /// <summary>The hypernetwork (D -> HyperHidden -> generated size); pass one to several mixers to share it.</summary>
    public FeedForward.FeedForward Hypernetwork => hypernetwork;

    public HyperTokenMixer(HyperTokenMixerConfig config, FeedForward.FeedForward? sharedHypernetwork = null, string name = "token_mixing") : base(name)
    {
        if (config.ModelDim < 1 || config.MixHidden < 1 || config.MaxLength < 1 || config.HyperHidden < 1)
            throw new ArgumentException($"hyper token mixer dimensions must be positive: {config}");
        Config = config;
        if (sharedHypernetwork is not null
            && (sharedHypernetwork.InDim != config.ModelDim || sharedHypernetwork.HiddenDim != config.HyperHidden || sharedHypernetwork.OutDim != config.GeneratedSize))
            throw new ArgumentException(
                $"shared hypernetwork is {sharedHypernetwork.InDim} -> {sharedHypernetwork.HiddenDim} -> {sharedHypernetwork.OutDim}, " +
                $"this mixer needs {config.ModelDim} -> {config.HyperHidden} -> {config.GeneratedSize}");
        hypernetwork = sharedHypernetwork ?? new FeedForward.FeedForward(config.ModelDim, config.HyperHidden, config.GeneratedSize, name: "hypernetwork");
        var degree = Enumerable.Range(0, config.MixHidden).Select(k => (long)k * config.MaxLength / config.MixHidden).ToArray(); // floor(k L / H)
        var inMask = new float[config.MaxLength * config.MixHidden];
        var outMask = new float[config.MixHidden * config.MaxLength];
        for (int i = 0; i < config.MaxLength; i++)
            for (int k = 0; k < config.MixHidden; k++)
            {
                inMask[i * config.MixHidden + k] = i <= degree[k] ? 1f : 0f;
                outMask[k * config.MaxLength + i] = degree[k] <= i ? 1f : 0f;
            }
        // Constant masks are buffers, not parameters: counts and optimisers never see them.
        inputMask = tensor(inMask, [config.MaxLength, config.MixHidden]).DetachFromDisposeScope();
        outputMask = tensor(outMask, [config.MixHidden, config.MaxLength]).DetachFromDisposeScope();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // (B, T, D) -> (B, T, D)
    {
        if (x.dim() != 3 || x.shape[2] != Config.ModelDim)
            throw new ArgumentException($"token mixer expects (batch, time, {Config.ModelDim}), got ({string.Join(", ", x.shape)})");
        if (x.shape[1] > Config.MaxLength)
            throw new ArgumentException($"sequence of {x.shape[1]} positions exceeds the token mixer's maximum length {Config.MaxLength}");
        if (x.shape[0] == 0 || x.shape[1] == 0)
            throw new ArgumentException($"token mixer got an empty batch ({string.Join(", ", x.shape)})");
        return Config.Causal ? CausalMix(x) : UpstreamMix(x);
    }

    /// <summary>
    /// The reference kernel: the same mixing as <see cref="forward"/> written as the loop the batched kernels
    /// replace, one hypernetwork evaluation and a few 2-D matmuls per sequence (upstream) or per sequence and
    /// output position (causal: each position's hypernetwork reads its own running mean). Slow by design; a test
    /// checks that outputs and gradients agree with the batched path.
    /// </summary>
    public Tensor ReferenceForward(Tensor x) // (B, T, D) -> (B, T, D)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], t = x.shape[1];
        var sequences = new List<Tensor>();
        for (long b = 0; b < batch; b++)
        {
            var xb = x[b];                                                   // (T, D)
            if (!Config.Causal)
            {
                var (w1, b1, w2, b2) = Split(hypernetwork.forward(xb.mean([0L])), t); // (T, H), (H), (H, T), (T)
                var hidden = nn.functional.relu(xb.t().matmul(w1) + b1);    // (D, H)
                sequences.Add((hidden.matmul(w2) + b2).t());                 // (T, D)
                continue;
            }
            var positions = new List<Tensor>();
            for (long j = 0; j < t; j++)
            {
                var (w1, b1, w2, b2) = Split(hypernetwork.forward(xb.narrow(0, 0, j + 1).mean([0L])), t);
                var hidden = nn.functional.relu(xb.t().matmul(w1 * inputMask.narrow(0, 0, t)) + b1); // (D, H)
                var w2j = w2.select(1, j) * outputMask.select(1, j);          // (H): column j of W2, masked
                positions.Add(hidden.matmul(w2j) + b2[j]);                    // (D)
            }
            sequences.Add(stack(positions));                                  // (T, D)
        }
        return stack(sequences).MoveToOuterDisposeScope();                  // (B, T, D)
    }

    /// <summary>The generated numbers split into (W1, b1, W2, b2), positions cut to the first t; leading dims kept.</summary>
    (Tensor W1, Tensor B1, Tensor W2, Tensor B2) Split(Tensor generated, long t)
    {
        int l = Config.MaxLength, h = Config.MixHidden;
        long[] lead = generated.shape[..^1];
        var parts = generated.split([l * h, h, h * l, l], -1);
        var w1 = parts[0].view([.. lead, l, h]).narrow(-2, 0, t); // (..., T, H)
        var w2 = parts[2].view([.. lead, h, l]).narrow(-1, 0, t); // (..., H, T)
        var b2 = parts[3].narrow(-1, 0, t);                        // (..., T)
        return (w1, parts[1], w2, b2);
    }

    Tensor UpstreamMix(Tensor x)
    {
        using var scope = NewDisposeScope();
        long t = x.shape[1];
        var pooled = x.mean([1L]);                       // (B, D) mean over every position, future ones included
        var generated = hypernetwork.forward(pooled);    // (B, G)
        var (w1, b1, w2, b2) = Split(generated, t);      // (B, T, H), (B, H), (B, H, T), (B, T)
        // mix[:, c] = ReLU(x[:, c]^T W1 + b1) W2 + b2, computed transposed so that the output comes out (B, T, D)
        // contiguous: no transposed copy for the residual and the norm after it. (Tensor.baddbmm through TorchSharp
        // 0.107 raised a shape error on these operands, so the biases are in-place adds after each bmm.)
        var hidden = w1.transpose(1, 2).bmm(x).add_(b1.unsqueeze(-1)).relu_(); // (B, H, D) = W1^T x + b1
        var mixed = w2.transpose(1, 2).bmm(hidden).add_(b2.unsqueeze(-1));     // (B, T, D) = W2^T hidden + b2
        return mixed.MoveToOuterDisposeScope();
    }

    /// <remarks>Each output position j has its own generated weights, but it uses only W1's first T rows,
    /// b1, column j of W2 and entry j of b2: the hypernetwork's last layer is evaluated for those rows alone
    /// (the same numbers as generating everything and slicing, without the (B, T, G) tensor).</remarks>
    Tensor CausalMix(Tensor x)
    {
        using var scope = NewDisposeScope();
        long t = x.shape[1];
        int l = Config.MaxLength, h = Config.MixHidden;
        var counts = arange(1, t + 1, dtype: x.dtype, device: x.device).view(1, t, 1);
        var runningMean = x.cumsum(1) / counts;                 // (B, T, D): mean of positions 0..j
        var z = hypernetwork.Hidden(runningMean);               // (B, T, Hh)
        var weight = hypernetwork.Output.weight!;               // (G, Hh)
        var bias = hypernetwork.Output.bias!;                   // (G)
        long b = x.shape[0];
        var w1 = nn.functional.linear(z, weight.narrow(0, 0, t * h), bias.narrow(0, 0, t * h)).view(b, t, t, h); // (B, Tj, Ti, H)
        var b1 = nn.functional.linear(z, weight.narrow(0, l * h, h), bias.narrow(0, l * h, h));                   // (B, Tj, H)
        var position = arange(t, dtype: ScalarType.Int64, device: x.device);
        var w2Rows = (l * h + h) + arange(h, dtype: ScalarType.Int64, device: x.device).unsqueeze(0) * l + position.unsqueeze(1); // (T, H): row of W2[k, j]
        var w2Own = einsum("bjz,jkz->bjk", z, weight.index_select(0, w2Rows.flatten()).view(t, h, -1))
                    + bias.index_select(0, w2Rows.flatten()).view(t, h);                                         // (B, Tj, H): column j of W2
        var b2Rows = (l * h + h + h * l) + position;                                                              // (T)
        var b2Own = einsum("bjz,jz->bj", z, weight.index_select(0, b2Rows)) + bias.index_select(0, b2Rows);      // (B, T)
        var w1Masked = w1 * inputMask.narrow(0, 0, t);                                  // (B, Tj, Ti, H)
        var w2Masked = w2Own * outputMask.narrow(1, 0, t).t();                          // (B, Tj, H)
        var hidden = nn.functional.relu(einsum("bic,bjik->bjkc", x, w1Masked) + b1.unsqueeze(-1)); // (B, Tj, H, D)
        var mixed = einsum("bjkc,bjk->bjc", hidden, w2Masked) + b2Own.unsqueeze(-1);               // (B, T, D)
        return mixed.MoveToOuterDisposeScope();
    }
}
