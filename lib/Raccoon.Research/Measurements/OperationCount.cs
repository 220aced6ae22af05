using System.Globalization;
using Raccoon.Research.Blocks.Attention;
using Raccoon.Research.Views;

namespace Raccoon.Research.Measurements;

/// <summary>
/// Arithmetic of one forward pass of a component, per part and in total.
/// <see cref="Macs"/>: multiply-accumulates of contractions (matmul, convolution), the figure most papers
/// call "operations". <see cref="Flops"/>: every floating-point operation, a contraction counting 2 per MAC
/// plus one per element for every elementwise step (bias add, normalisation, activation, exp...).
/// </summary>
public sealed record OperationCount(string Name, long Macs, long Flops, IReadOnlyList<OperationCount> Parts) : IMeasurementView
{
    public static OperationCount Zero { get; } = new("nothing", 0, 0, []);

    public static OperationCount Leaf(string name, long macs, long flops)
    {
        if (macs < 0 || flops < 0) throw new ArgumentOutOfRangeException(nameof(macs), $"{name}: operation counts cannot be negative ({macs} MACs, {flops} FLOPs)");
        return new(name, macs, flops, []);
    }

    /// <summary>A component made of <paramref name="parts"/>: its counts are their sums.</summary>
    public static OperationCount Of(string name, params IEnumerable<OperationCount> parts)
    {
        var list = parts.ToList();
        return new(name, list.Sum(p => p.Macs), list.Sum(p => p.Flops), list);
    }

    /// <summary>This component run <paramref name="times"/> times (layers, time steps, solver steps).</summary>
    public OperationCount Times(long times, string? name = null)
    {
        if (times < 0) throw new ArgumentOutOfRangeException(nameof(times), times, "a repeat count cannot be negative");
        return new(name ?? $"{times} x {Name}", Macs * times, Flops * times, [this]);
    }

    public OperationCount Named(string name) => this with { Name = name };

    /// <summary>This node and every part under it, with its depth, parents first.</summary>
    public IEnumerable<(int Depth, OperationCount Node)> Flatten(int depth = 0)
    {
        yield return (depth, this);
        foreach (var p in Parts)
            foreach (var n in p.Flatten(depth + 1)) yield return n;
    }

    /// <summary>The first part (at any depth) with this name.</summary>
    public OperationCount this[string name] =>
        Flatten().Select(n => n.Node).FirstOrDefault(n => n.Name == name)
        ?? throw new KeyNotFoundException($"no part named '{name}' in {Name}; parts: {string.Join(", ", Flatten().Skip(1).Select(n => n.Node.Name).Distinct().Take(20))}");

    public Table ToTable() => new($"Operations of {Name}", ["component", "depth", "MACs", "FLOPs"],
        Flatten().Select(n => (IReadOnlyList<string>)
            [new string(' ', 2 * n.Depth) + n.Node.Name, n.Depth.ToString(CultureInfo.InvariantCulture), MeasurementViews.Cell(n.Node.Macs), MeasurementViews.Cell(n.Node.Flops)]).ToList());

    /// <summary>FLOPs of the direct parts as bars (the whole when it has none).</summary>
    public Figure ToFigure()
    {
        var bars = Parts.Count > 0 ? Parts : [this];
        return Charts.Bars($"FLOPs of {Name}: {Flops:N0} ({Macs:N0} MACs)", "FLOPs", false, [.. bars.Select(p => p.Name)],
            new BarSeries("FLOPs", [.. bars.Select(p => (double)p.Flops)]));
    }
}

/// <summary>
/// Analytic operation counts of the layers this project uses, for given input shapes. Conventions, the
/// same everywhere: a MAC is one multiply-accumulate of a contraction; FLOPs = 2 x MACs + 1 per element per
/// elementwise step; an activation or transcendental (exp, tanh, sigmoid, GELU) counts 1; lookups, copies,
/// reshapes, masking and random sampling count 0; per-row scalar work (1/sqrt(var + eps)) is left out.
/// Dense attention kernels compute every score, masked or not, so causal attention counts as full
/// attention, and the fused kernel (one QKV matmul + scaled_dot_product_attention) does the same arithmetic
/// as the reference one.
/// </summary>
public static class Flops
{
    /// <summary>y = x W^T + b over <paramref name="rows"/> rows (batch x time): rows*in*out MACs, plus rows*out adds for a bias.</summary>
    public static OperationCount Linear(long rows, long inFeatures, long outFeatures, bool bias = true, string name = "linear")
    {
        Positive(name, (rows, "rows"), (inFeatures, "in features"), (outFeatures, "out features"));
        long macs = rows * inFeatures * outFeatures;
        return OperationCount.Leaf(name, macs, 2 * macs + (bias ? rows * outFeatures : 0));
    }

    /// <summary>A table lookup: no arithmetic.</summary>
    public static OperationCount Embedding(long tokens, long dim, string name = "embedding")
    {
        Positive(name, (tokens, "tokens"), (dim, "dim"));
        return OperationCount.Leaf(name, 0, 0);
    }

    /// <summary>Output length of a 1-D convolution (PyTorch's formula).</summary>
    public static long ConvOutputLength(long length, long kernel, long stride = 1, long padding = 0, long dilation = 1)
    {
        long outLength = (length + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
        if (outLength < 1) throw new ArgumentException($"convolution of length {length} with kernel {kernel}, stride {stride}, padding {padding}, dilation {dilation} leaves no output");
        return outLength;
    }

    /// <summary>Conv1d on (batch, inChannels, length): every output element sums (inChannels/groups) x kernel products.</summary>
    public static OperationCount Conv1d(long batch, long inChannels, long outChannels, long length, long kernel,
        long stride = 1, long padding = 0, long dilation = 1, long groups = 1, bool bias = true, string name = "conv1d")
    {
        Positive(name, (batch, "batch"), (inChannels, "in channels"), (outChannels, "out channels"), (kernel, "kernel"), (stride, "stride"), (groups, "groups"));
        Groups(name, inChannels, outChannels, groups);
        long outputs = batch * outChannels * ConvOutputLength(length, kernel, stride, padding, dilation);
        long macs = outputs * (inChannels / groups) * kernel;
        return OperationCount.Leaf(name, macs, 2 * macs + (bias ? outputs : 0));
    }

    /// <summary>Conv2d on (batch, inChannels, height, width) with a square or rectangular kernel.</summary>
    public static OperationCount Conv2d(long batch, long inChannels, long outChannels, long height, long width, (long H, long W) kernel,
        (long H, long W)? stride = null, (long H, long W)? padding = null, (long H, long W)? dilation = null, long groups = 1, bool bias = true, string name = "conv2d")
    {
        var s = stride ?? (1, 1);
        var p = padding ?? (0, 0);
        var d = dilation ?? (1, 1);
        Positive(name, (batch, "batch"), (inChannels, "in channels"), (outChannels, "out channels"), (kernel.H, "kernel height"), (kernel.W, "kernel width"), (groups, "groups"));
        Groups(name, inChannels, outChannels, groups);
        long outputs = batch * outChannels * ConvOutputLength(height, kernel.H, s.H, p.H, d.H) * ConvOutputLength(width, kernel.W, s.W, p.W, d.W);
        long macs = outputs * (inChannels / groups) * kernel.H * kernel.W;
        return OperationCount.Leaf(name, macs, 2 * macs + (bias ? outputs : 0));
    }

    /// <summary>Conv2d with one kernel size, stride, padding for both axes.</summary>
    public static OperationCount Conv2d(long batch, long inChannels, long outChannels, long height, long width, long kernel,
        long stride = 1, long padding = 0, long groups = 1, bool bias = true, string name = "conv2d") =>
        Conv2d(batch, inChannels, outChannels, height, width, (kernel, kernel), (stride, stride), (padding, padding), null, groups, bias, name);

    /// <summary>LayerNorm of <paramref name="rows"/> rows of <paramref name="dim"/>: mean (1), centre (1), square (1),
    /// variance sum (1), normalise (1) per element, and scale + shift (2) when affine.</summary>
    public static OperationCount LayerNorm(long rows, long dim, bool affine = true, string name = "layer_norm")
    {
        Positive(name, (rows, "rows"), (dim, "dim"));
        return OperationCount.Leaf(name, 0, rows * dim * (5 + (affine ? 2 : 0)));
    }

    /// <summary>BatchNorm over <paramref name="elements"/> (batch x channels x spatial). Training computes batch
    /// statistics as LayerNorm does (5 per element); evaluation uses running ones (centre, normalise: 2); affine adds 2.</summary>
    public static OperationCount BatchNorm(long elements, bool training, bool affine = true, string name = "batch_norm")
    {
        Positive(name, (elements, "elements"));
        return OperationCount.Leaf(name, 0, elements * ((training ? 5 : 2) + (affine ? 2 : 0)));
    }

    /// <summary>An elementwise step over <paramref name="elements"/> (residual add, activation, scaling).</summary>
    public static OperationCount Elementwise(long elements, long flopsPerElement = 1, string name = "elementwise")
    {
        if (elements < 0 || flopsPerElement < 0) throw new ArgumentOutOfRangeException(nameof(elements), $"{name}: elements and FLOPs per element cannot be negative");
        return OperationCount.Leaf(name, 0, elements * flopsPerElement);
    }

    /// <summary>Softmax over rows: max, subtract, exp, sum, divide: 5 per element.</summary>
    public static OperationCount Softmax(long elements, string name = "softmax") => Elementwise(elements, 5, name);

    /// <summary>
    /// Multi-head self-attention on (batch, time, modelDim): Q, K, V projections; scores QK^T (batch x heads
    /// x T x T x headDim MACs); scaling by 1/sqrt(headDim); softmax; weights x V; optional output projection.
    /// Causal and non-causal, reference and fused kernels count the same (see <see cref="Flops"/>).
    /// </summary>
    public static OperationCount Attention(long batch, long time, long modelDim, long heads = 1, bool outputProjection = true,
        bool qkvBias = true, bool outputBias = true, string name = "attention")
    {
        Positive(name, (batch, "batch"), (time, "time"), (modelDim, "model dim"), (heads, "heads"));
        if (modelDim % heads != 0) throw new ArgumentException($"{name}: model dim {modelDim} is not divisible by {heads} heads");
        long rows = batch * time, scoreElements = batch * heads * time * time;
        long contraction = batch * heads * time * time * (modelDim / heads);
        var parts = new List<OperationCount>
        {
            Linear(rows, modelDim, 3 * modelDim, qkvBias, "qkv projections"),
            OperationCount.Leaf("scores q k^T", contraction, 2 * contraction),
            Elementwise(scoreElements, 1, "scale 1/sqrt(d)"),
            Softmax(scoreElements),
            OperationCount.Leaf("weights x v", contraction, 2 * contraction),
        };
        if (outputProjection) parts.Add(Linear(rows, modelDim, modelDim, outputBias, "output projection"));
        return OperationCount.Of(name, parts);
    }

    /// <summary>The arithmetic of the shared <see cref="SelfAttention"/> block with this configuration.</summary>
    public static OperationCount Attention(SelfAttentionConfig config, long batch, long time, string name = "attention") =>
        Attention(batch, time, config.ModelDim, config.Heads, config.OutputProjection, config.QkvBias, config.OutputBias, name);

    /// <summary>
    /// One GRU cell step (PyTorch's equations) for <paramref name="batch"/> rows: 3H(I+H) MACs; per hidden unit
    /// 2 x 3 bias adds, 2 input+hidden sums (r, z), r*h_n and its add (2), 2 sigmoids, 1 tanh, and
    /// h' = (1-z)n + z h (4): 17 (11 without biases).
    /// </summary>
    public static OperationCount GruCell(long batch, long inputSize, long hiddenSize, bool bias = true, string name = "gru_cell")
    {
        Positive(name, (batch, "batch"), (inputSize, "input size"), (hiddenSize, "hidden size"));
        long macs = batch * 3 * hiddenSize * (inputSize + hiddenSize);
        return OperationCount.Leaf(name, macs, 2 * macs + batch * hiddenSize * (bias ? 17 : 11));
    }

    /// <summary>
    /// One LSTM cell step for <paramref name="batch"/> rows: 4H(I+H) MACs; per hidden unit 2 x 4 bias adds,
    /// 4 input+hidden sums, 3 sigmoids + 1 tanh on the gates, c' = f c + i g (3), tanh(c') (1), h' = o tanh(c') (1):
    /// 21 (13 without biases).
    /// </summary>
    public static OperationCount LstmCell(long batch, long inputSize, long hiddenSize, bool bias = true, string name = "lstm_cell")
    {
        Positive(name, (batch, "batch"), (inputSize, "input size"), (hiddenSize, "hidden size"));
        long macs = batch * 4 * hiddenSize * (inputSize + hiddenSize);
        return OperationCount.Leaf(name, macs, 2 * macs + batch * hiddenSize * (bias ? 21 : 13));
    }

    /// <summary>
    /// An affine coupling layer: the conditioner network (given) reads the kept half and gives log-scale s and
    /// shift t for the <paramref name="transformedDims"/> other dims; y = x exp(s) + t (exp, multiply, add: 3)
    /// and the log-determinant sums s (1): 4 per transformed element.
    /// </summary>
    public static OperationCount AffineCoupling(long batch, long transformedDims, OperationCount conditioner, string name = "affine_coupling")
    {
        Positive(name, (batch, "batch"), (transformedDims, "transformed dims"));
        return OperationCount.Of(name, conditioner.Named("conditioner"), Elementwise(batch * transformedDims, 4, "y = x exp(s) + t, log det"));
    }

    /// <summary>
    /// An elementwise (diagonal) affine flow layer y = scale x + shift (2 per element), with the log-determinant
    /// sum(log(|scale| + eps)) computed once per forward (abs, add, log, sum: 4 per dim), as
    /// <see cref="Blocks.Flows.DiagonalAffine"/> computes it.
    /// </summary>
    public static OperationCount DiagonalAffine(long batch, long dim, string name = "diagonal_affine")
    {
        Positive(name, (batch, "batch"), (dim, "dim"));
        return OperationCount.Of(name, Elementwise(dim, 4, "log det"), Elementwise(batch * dim, 2, "y = scale x + shift"));
    }

    /// <summary>One explicit Euler step x' = x + f(x, t) dt of an ODE on (batch, dim): the drift network plus 2 per element.</summary>
    public static OperationCount EulerStep(long batch, long dim, OperationCount drift, string name = "euler_step")
    {
        Positive(name, (batch, "batch"), (dim, "dim"));
        return OperationCount.Of(name, drift.Named("drift"), Elementwise(batch * dim, 2, "x + f dt"));
    }

    /// <summary>
    /// One Euler-Maruyama step x' = x + f dt + g sqrt(dt) eps with diagonal noise on (batch, dim): drift and
    /// diffusion networks (give <see cref="OperationCount.Zero"/> for a constant g), then f dt (1), g eps (1),
    /// times sqrt(dt) (1) and two adds (2): 5 per element. Drawing eps counts 0.
    /// </summary>
    public static OperationCount EulerMaruyamaStep(long batch, long dim, OperationCount drift, OperationCount diffusion, string name = "euler_maruyama_step")
    {
        Positive(name, (batch, "batch"), (dim, "dim"));
        return OperationCount.Of(name, drift.Named("drift"), diffusion.Named("diffusion"), Elementwise(batch * dim, 5, "x + f dt + g sqrt(dt) eps"));
    }

    static void Positive(string name, params (long Value, string What)[] values)
    {
        foreach (var (value, what) in values)
            if (value < 1) throw new ArgumentOutOfRangeException(what, value, $"{name}: {what} must be at least 1, got {value}");
    }

    static void Groups(string name, long inChannels, long outChannels, long groups)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{name}: {groups} groups must divide in channels {inChannels} and out channels {outChannels}");
    }
}
