using Raccoon.Research.Blocks.Convolution;
using Raccoon.Research.Measurements;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Models.GlyphCnn;

/// <summary>One component of the model and its parameter count, as the document's breakdown names them.</summary>
public sealed record GlyphCnnComponent(string Name, long Parameters);

/// <summary>
/// Upstream's Phase2CNGlyphClassifier: (B, 16, 16) primitive ids -> logits (B, classes).
/// Embedding (B, 16, 16, E) -> NCHW -> stem ConvBnAct(E -> C0) -> stage 0 blocks at 16 x 16 ->
/// stride-2 ConvBnAct(C0 -> C1) -> stage 1 at 8 x 8 -> stride-2 ConvBnAct(C1 -> C2) -> stage 2 at 4 x 4 ->
/// mean over H, W -> LayerNorm -> Linear(C2 -> H) -> activation -> Dropout -> Linear(H -> classes).
/// </summary>
public sealed class GlyphCnnClassifier : nn.Module<Tensor, Tensor>, IRegisteredModel
{
    string IRegisteredModel.ModelKind => Kind;
    object IRegisteredModel.ModelConfig => Config;

    public const string Kind = "glyph-cnn";

    readonly Embedding embedding;
    readonly ConvBnAct stem;
    readonly ModuleList<Sequential> stages;
    readonly Sequential head;

    public GlyphCnnConfig Config { get; }

    public GlyphCnnClassifier(GlyphCnnConfig config) : base($"glyph_cnn_{config.Variant.ToLowerInvariant()}")
    {
        config.Validate();
        Config = config;
        embedding = nn.Embedding(config.VocabularySize, config.EmbeddingDim);
        stem = new ConvBnAct(config.EmbeddingDim, config.Stages[0], 3, 1, config.Dropout, config.Activation, config.BnEps);
        var list = new List<Sequential>();
        int inChannels = config.Stages[0];
        for (int s = 0; s < config.Stages.Length; s++)
        {
            var layers = new List<nn.Module<Tensor, Tensor>>();
            if (s > 0) // downsample (and widen) before every stage but the first
                layers.Add(new ConvBnAct(inChannels, config.Stages[s], 3, 2, config.Dropout, config.Activation, config.BnEps));
            inChannels = config.Stages[s];
            for (int b = 0; b < config.BlocksPerStage[s]; b++)
                layers.Add(new PostActivationResidualBlock(inChannels, 3, config.Dropout, config.Activation, config.BnEps));
            list.Add(nn.Sequential(layers.ToArray()));
        }
        stages = nn.ModuleList(list.ToArray());
        head = nn.Sequential(
            nn.LayerNorm(inChannels),
            nn.Linear(inChannels, config.HeadHidden),
            ConvBnAct.Activation(config.Activation),
            nn.Dropout(config.HeadDropout),
            nn.Linear(config.HeadHidden, config.Classes));
        RegisterComponents();
        InitialiseLikeUpstream();
    }

    public override Tensor forward(Tensor grids) // (B, 16, 16) int64 -> (B, classes)
    {
        Check(grids, Config.VocabularySize);
        using var scope = NewDisposeScope();
        var x = embedding.forward(grids.to_type(ScalarType.Int64)); // (B, 16, 16, E)
        x = x.permute(0, 3, 1, 2); // (B, E, 16, 16)
        x = stem.forward(x); // (B, C0, 16, 16)
        foreach (var stage in stages) x = stage.forward(x); // (B, C0, 16, 16) -> (B, C1, 8, 8) -> (B, C2, 4, 4)
        x = x.mean([2, 3]); // (B, C2)
        return head.forward(x).MoveToOuterDisposeScope(); // (B, classes)
    }

    /// <summary>A clear error for what the model cannot read: not (B, 16, 16), an empty batch, a float grid, an id outside 0..vocab-1.</summary>
    public static void Check(Tensor grids, int vocabulary = GlyphCnnConfig.Vocabulary)
    {
        if (grids.dim() != 3 || grids.shape[1] != GlyphCnnConfig.GridSize || grids.shape[2] != GlyphCnnConfig.GridSize)
            throw new ArgumentException($"glyph grids must be (B, 16, 16) primitive ids; got ({string.Join(", ", grids.shape)})", nameof(grids));
        if (grids.shape[0] == 0) throw new ArgumentException("the batch of glyph grids is empty", nameof(grids));
        if (grids.is_floating_point() || grids.dtype == ScalarType.Bool)
            throw new ArgumentException($"glyph grids hold integer primitive ids, got {grids.dtype}", nameof(grids));
        long min = grids.min().ToInt64(), max = grids.max().ToInt64();
        if (min < 0 || max >= vocabulary)
            throw new ArgumentException($"primitive ids must lie in 0..{vocabulary - 1}; this batch holds {min}..{max}", nameof(grids));
    }

    /// <summary>Embedding, stem, each stage (with the downsampling conv before it) and head, as the document breaks them down.</summary>
    public IReadOnlyList<GlyphCnnComponent> Components()
    {
        var list = new List<GlyphCnnComponent> { new("embedding", Count(embedding)), new("stem", Count(stem)) };
        for (int s = 0; s < stages.Count; s++) list.Add(new($"stage {s}", Count(stages[s])));
        list.Add(new("head", Count(head)));
        return list;
    }

    /// <summary>Stem and stages: what the document calls the conv trunk.</summary>
    public long TrunkParameters => Count(stem) + stages.Sum(s => Count(s));
    public long EmbeddingParameters => Count(embedding);
    public long HeadParameters => Count(head);
    public long ParameterCount => Count(this);

    static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());

    /// <summary>Multiply-accumulates and FLOPs of one forward pass over <paramref name="batch"/> glyphs (inference: BatchNorm folded to a scale and shift).</summary>
    public OperationCount Operations(long batch = 1)
    {
        var c = Config;
        var parts = new List<OperationCount> { Flops.Embedding(batch * 256, c.EmbeddingDim) };
        OperationCount Cba(int cin, int cout, int size, int stride, string name)
        {
            long outSize = size / stride, elements = batch * cout * outSize * outSize;
            return OperationCount.Of(name,
                Flops.Conv2d(batch, cin, cout, size, size, 3, stride, 1, bias: false),
                Flops.BatchNorm(elements, training: false),
                Flops.Elementwise(elements, 8, c.Activation));
        }
        parts.Add(Cba(c.EmbeddingDim, c.Stages[0], 16, 1, "stem"));
        int size = 16, ch = c.Stages[0];
        for (int s = 0; s < c.Stages.Length; s++)
        {
            var stage = new List<OperationCount>();
            if (s > 0) { stage.Add(Cba(ch, c.Stages[s], size, 2, "downsample")); size /= 2; ch = c.Stages[s]; }
            for (int b = 0; b < c.BlocksPerStage[s]; b++)
                stage.Add(OperationCount.Of($"block {b}", Cba(ch, ch, size, 1, "conv1"), Cba(ch, ch, size, 1, "conv2"),
                    Flops.Elementwise(batch * ch * size * size, 1, "residual add")));
            parts.Add(OperationCount.Of($"stage {s}", stage));
        }
        parts.Add(OperationCount.Of("head",
            Flops.Elementwise(batch * ch * size * size, 1, "average pool"),
            Flops.LayerNorm(batch, ch),
            Flops.Linear(batch, ch, c.HeadHidden),
            Flops.Elementwise(batch * c.HeadHidden, 8, c.Activation),
            Flops.Linear(batch, c.HeadHidden, c.Classes)));
        return OperationCount.Of($"GlyphCnn {c.Variant}", parts);
    }

    /// <summary>Upstream's xavier_uniform: conv and linear weights Xavier-uniform, biases 0, BatchNorm 1 / 0; the embedding N(0, 1) as torch's default.</summary>
    /// <summary>Floats a training step keeps per glyph, counted from the sizes (an estimate for planning, not a measurement):
    /// the embedding and its permuted copy, five tensors per ConvBnAct (convolution, batch norm, activation, dropout and
    /// its mask) and the residual sums, at each stage's resolution, and the head's few vectors.</summary>
    public static long TrainingFloatsPerGlyph(GlyphCnnConfig c)
    {
        const int PerConvBnAct = 5;
        long cells = GlyphCnnConfig.GridSize * GlyphCnnConfig.GridSize;
        long floats = 2 * cells * c.EmbeddingDim + PerConvBnAct * cells * c.Stages[0];   // embedding, permuted; stem
        long size = GlyphCnnConfig.GridSize;
        for (int s = 0; s < c.Stages.Length; s++)
        {
            if (s > 0) { size /= 2; floats += PerConvBnAct * size * size * c.Stages[s]; } // downsample
            floats += c.BlocksPerStage[s] * (2L * PerConvBnAct + 1) * size * size * c.Stages[s]; // two ConvBnAct and the sum per block
        }
        return floats + 3L * c.Stages[^1] + 4L * c.HeadHidden + 2L * c.Classes;             // pool, LayerNorm; head; logits and softmax
    }

    void InitialiseLikeUpstream()
    {
        using var noGrad = torch.no_grad();
        nn.init.normal_(embedding.weight!, 0, 1);
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    nn.init.xavier_uniform_(conv.weight!);
                    if (conv.bias is not null) nn.init.zeros_(conv.bias);
                    break;
                case Linear linear:
                    nn.init.xavier_uniform_(linear.weight!);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight!);
                    nn.init.zeros_(bn.bias!);
                    break;
            }
        }
    }
}
