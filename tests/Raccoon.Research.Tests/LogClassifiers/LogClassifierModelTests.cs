using Raccoon.Research.Blocks.Memory;
using Raccoon.Research.Data;
using Raccoon.Research.Models;
using Raccoon.Research.Models.LogClassifiers;
using Raccoon.Research.Tests.Support;
using Raccoon.Research.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Tests.LogClassifiers;

public class LogClassifierModelTests : IClassFixture<TorchFixture>
{
    const int Batch = 8, SeqLen = 50;

    static Dictionary<string, long> Counts(IRaccoonModel m) => m.Components.ToDictionary(c => c.Name, c => c.Parameters);
    static long Total(IRaccoonModel m) => m.Module.parameters().Sum(p => p.numel());

    static (Tensor Tokens, Tensor Labels) Batch_(IRaccoonModel m, int b = Batch, int t = SeqLen) =>
        (randint(0, m.VocabularySize, [b, t], dtype: ScalarType.Int64), randint(0, m.Classes, [b], dtype: ScalarType.Int64));

    public static TheoryData<string> Builds() => new("upstream", "simple", "documented");

    static IRaccoonModel Build(string which) => which switch
    {
        "upstream" => new RaccoonLogClassifier(RaccoonLogClassifierConfig.Upstream),
        "simple" => new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream),
        "documented" => new DocumentedOriginalRaccoon(DocumentedOriginalConfig.Documented),
        _ => throw new ArgumentException(which),
    };

    [Fact]
    public void Raccoon_log_classifier_has_upstreams_exact_parameter_counts()
    {
        using var scope = NewDisposeScope();
        var model = new RaccoonLogClassifier(RaccoonLogClassifierConfig.Upstream);
        // Upstream main: vocab 40 (_, A-Z, !, >, ?, 0-9), 4 classes, latent 32, hidden 64, embed 32. Linear(i, o) = i*o + o.
        // embedding: 40*32 = 1280
        // encoder: Linear(32,64) 2112 + Linear(64,64) 4160 + enc_mean Linear(64,32) 2080 + enc_logvar Linear(64,32) 2080 = 10432
        // dynamics: drift Linear(33,64) 2176 + Linear(64,64) 4160 + Linear(64,32) 2080; log-diffusion Linear(33,64) 2176 + Linear(64,32) 2080 = 12672
        // flow: 4 couplings x [Linear(32 masked + 32 time, 64) 4160 + Linear(64,64) 4160 + Linear(64, 2*32) 4160] = 4 x 12480 = 49920
        // head: Linear(32,64) 2112 + Linear(64,4) 260 = 2372
        // prior: z0_mean 32 + z0_logvar 32 = 64
        var expected = new Dictionary<string, long>
        {
            ["embedding"] = 1280, ["encoder"] = 10432, ["dynamics"] = 12672, ["flow"] = 49920, ["head"] = 2372, ["prior"] = 64,
        };
        Assert.Equal(expected, Counts(model));
        Assert.Equal(76_740, Total(model));
    }

    [Fact]
    public void Simple_raccoon_has_upstreams_exact_parameter_counts()
    {
        using var scope = NewDisposeScope();
        var model = new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream);
        // Upstream main: vocab 43 (_, A-Z, 0-9, !, >, ?, :, -, .), 4 classes, latent 32, hidden 64, embed 32.
        // embedding: 43*32 = 1376 (padding row 0 is still a parameter)
        // encoder: Conv1d(32,32,k3) 32*32*3+32 = 3104 + BatchNorm(32) 64; Conv1d(32,32,k3) 3104 + 64;
        //          Conv1d(32,16,k3) 32*16*3+16 = 1552 + BatchNorm(16) 32; Linear(16,32) 544 = 8464
        // dynamics: theta, sigma = 2
        // flow: 4 x (scale 32 + shift 32) = 256
        // head: Linear(32,64) 2112 + Linear(64,4) 260 = 2372 (dropout has none)
        var expected = new Dictionary<string, long>
        {
            ["embedding"] = 1376, ["encoder"] = 8464, ["dynamics"] = 2, ["flow"] = 256, ["head"] = 2372,
        };
        Assert.Equal(expected, Counts(model));
        Assert.Equal(12_470, Total(model));
        Assert.Equal(0f, model.Embedding.weight![0].abs().sum().item<float>()); // padding id 0 starts at zero, as in PyTorch
    }

    [Fact]
    public void Documented_original_counts_follow_from_the_recorded_choices()
    {
        using var scope = NewDisposeScope();
        var model = new DocumentedOriginalRaccoon(DocumentedOriginalConfig.Documented);
        // embedding 40*64 = 2560; transformer 4 x (2 LayerNorms 256 + Wq,Wk,Wv,Wo 4*64*64 + FFN 64*256+256 + 256*64+64) = 4 x 49728
        // projection Linear(64,32) 2080; drift Linear(33,64) 2176 + LN 128 + 10 x (4160 + 128) + Linear(64,32) 2080 = 47264
        // flow 4 x [Linear(16 kept + 32 time, 64) 3136 + 2 x Linear(64,64) 8320 + Linear(64,64) 4160] = 4 x 15616; head 2372
        var expected = new Dictionary<string, long>
        {
            ["embedding"] = 2560, ["encoder"] = 198_912, ["projection"] = 2080, ["dynamics"] = 47_264, ["flow"] = 62_464, ["head"] = 2372,
        };
        Assert.Equal(expected, Counts(model));
        Assert.Equal(315_652, Total(model));
    }

    [Theory, MemberData(nameof(Builds))]
    public void Components_cover_every_parameter(string which)
    {
        using var scope = NewDisposeScope();
        var model = Build(which);
        Assert.Equal(Total(model), model.Components.Sum(c => c.Parameters));
    }

    [Theory, MemberData(nameof(Builds))]
    public void Logits_and_objective_have_the_right_shapes_and_every_parameter_learns(string which)
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        var model = Build(which);
        model.Module.train();
        var (tokens, labels) = Batch_(model);
        var (loss, logits) = model.Objective(tokens, labels);
        Assert.Equal(new long[] { Batch, 4 }, logits.shape);
        Assert.Equal(0, loss.dim());
        Assert.True(float.IsFinite(loss.item<float>()));
        loss.backward();
        var silent = model.Module.named_parameters().Where(p => p.parameter.grad is null || p.parameter.grad.abs().sum().item<float>() == 0)
            .Select(p => p.name).Where(n => !n.StartsWith("embedding")).ToList(); // unseen token rows may get no gradient
        Assert.Empty(silent);
        model.Module.eval();
        using var _ = no_grad();
        Assert.Equal(new long[] { 3, 4 }, model.Logits(tokens[..3]).shape);
    }

    [Theory, MemberData(nameof(Builds))]
    public void Stages_are_reported_in_forward_order(string which)
    {
        using var scope = NewDisposeScope();
        var model = Build(which);
        var (tokens, labels) = Batch_(model);
        var seen = new List<string>();
        model.Objective(tokens, labels, seen.Add);
        var expected = which == "documented"
            ? new[] { "embedding", "encoder", "projection", "dynamics", "flow", "head", "loss" }
            : new[] { "embedding", "encoder", "dynamics", "flow", "head", "loss" };
        Assert.Equal(expected, seen);
    }

    [Fact]
    public void Raccoon_objective_weights_its_terms_as_upstream()
    {
        using var scope = NewDisposeScope();
        manual_seed(22);
        var model = new RaccoonLogClassifier(RaccoonLogClassifierConfig.Upstream);
        var (tokens, labels) = Batch_(model);
        var t = model.Terms(tokens, labels);
        Assert.Equal(t.Classification.item<float>() + 0.1f * t.Kl.item<float>() + 0.01f * t.EppsPulley.item<float>(), t.Loss.item<float>(), 5);
        Assert.True(t.Kl.item<float>() >= 0);
        Assert.Equal(1L, model.LatentTest.Step); // one Epps-Pulley call per objective
    }

    [Fact]
    public void Simple_raccoon_uses_the_sde_only_in_training_mode_and_its_inference_skips_the_flow()
    {
        using var scope = NewDisposeScope();
        manual_seed(23);
        var model = new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream);
        var (tokens, labels) = Batch_(model);
        model.train();
        model.Objective(tokens, labels); // one step of BatchNorm statistics
        model.eval();
        using var _ = no_grad();
        var a = model.Objective(tokens, labels).Loss.item<float>();
        var b = model.Objective(tokens, labels).Loss.item<float>();
        Assert.Equal(a, b); // eval: no SDE noise, no dropout

        var encoded = model.Encoder.forward(model.Embedding.forward(tokens));
        var upstream = model.Head.forward(encoded);
        Assert.Equal(upstream.data<float>().ToArray(), model.Logits(tokens).data<float>().ToArray());
        var full = new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream with { Inference = InferencePath.Full });
        full.load_state_dict(model.state_dict());
        full.eval();
        var throughFlow = full.Head.forward(full.Flow.Forward(encoded).Z);
        Assert.True((throughFlow - full.Logits(tokens)).abs().max().item<float>() < 1e-6f);
    }

    [Fact]
    public void Documented_original_inference_is_deterministic_and_the_kernels_agree()
    {
        using var scope = NewDisposeScope();
        manual_seed(24);
        var model = new DocumentedOriginalRaccoon(DocumentedOriginalConfig.Documented);
        model.eval();
        var (tokens, _) = Batch_(model);
        using var _ = no_grad();
        var fused = model.Logits(tokens);
        Assert.Equal(fused.data<float>().ToArray(), model.Logits(tokens).data<float>().ToArray());
        model.Encoder.Kernel = Research.Blocks.Attention.AttentionKernel.Reference;
        Assert.True((fused - model.Logits(tokens)).abs().max().item<float>() < 1e-4f);
    }

    [Theory, MemberData(nameof(Builds))]
    public void Bad_input_is_named(string which)
    {
        using var scope = NewDisposeScope();
        var model = Build(which);
        var (tokens, labels) = Batch_(model, 2, 10);
        var bad = tokens.clone();
        bad[1, 3] = model.VocabularySize + 5;
        var e = Assert.Throws<ArgumentException>(() => model.Logits(bad));
        Assert.Contains($"token id {model.VocabularySize + 5} is outside the vocabulary [0, {model.VocabularySize})", e.Message);
        bad[1, 3] = -1;
        Assert.Contains("token id -1", Assert.Throws<ArgumentException>(() => model.Objective(bad, labels)).Message);
        Assert.Contains("empty batch", Assert.Throws<ArgumentException>(() => model.Logits(zeros(0, 10, dtype: ScalarType.Int64))).Message);
        Assert.Contains("(batch, time)", Assert.Throws<ArgumentException>(() => model.Logits(tokens[0])).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => model.Logits(tokens.to_type(ScalarType.Int32))).Message);
        Assert.Contains("labels of shape (2)", Assert.Throws<ArgumentException>(() => model.Objective(tokens, labels[..1])).Message);
        Assert.Contains("label 9", Assert.Throws<ArgumentException>(() => model.Objective(tokens, full(2, 9L))).Message);
    }

    [Theory, MemberData(nameof(Builds))]
    public void Each_build_brings_its_own_replay_memory_and_adapts_in_the_continual_phase(string which)
    {
        using var scope = NewDisposeScope();
        manual_seed(25);
        IRaccoonModel model = which switch
        {
            "upstream" => new RaccoonLogClassifier(RaccoonLogClassifierConfig.Upstream with { MemorySize = 40 }),
            "simple" => new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream with { MemorySize = 40 }),
            _ => new DocumentedOriginalRaccoon(DocumentedOriginalConfig.Documented with { MemorySize = 40 }),
        };
        Assert.IsType(which == "simple" ? typeof(CircularReplay) : typeof(PriorityReplay), model.Replay);
        Assert.Equal(1e-4, model.AdaptationRate);
        var rng = new Random(3);
        LabelledSequence Sample() => new(Enumerable.Range(0, 20).Select(_ => (long)rng.Next(model.VocabularySize)).ToArray(), rng.Next(4));
        var stream = new SequenceDataset(Enumerable.Range(0, 60).Select(_ => Sample()).ToList(), model.VocabularySize, 4);
        var test = new SequenceDataset(Enumerable.Range(0, 16).Select(_ => Sample()).ToList(), model.VocabularySize, 4);
        var before = model.Module.parameters().Select(p => p.detach().clone()).ToList();
        var result = ContinualLearning.Run(model, model.Replay, stream, test, null, new ContinualOptions { LearningRate = model.AdaptationRate });
        Assert.Equal(60 - 31, result.Updates + result.SkippedUpdates); // updates start once 32 samples are stored
        Assert.Equal(0, result.SkippedUpdates);
        Assert.Equal(40, model.Replay.Count); // capacity holds
        Assert.Contains(model.Module.parameters().Zip(before), pb => !pb.First.detach().equal(pb.Second).all().item<bool>());
    }

    [Theory, MemberData(nameof(Builds))]
    public void Each_build_is_rebuilt_from_its_registered_kind_and_config(string which)
    {
        using var scope = NewDisposeScope();
        var (kind, config) = which switch
        {
            "upstream" => (RaccoonLogClassifier.Kind, ModelRegistry.ConfigJson(RaccoonLogClassifierConfig.Upstream)),
            "simple" => (SimpleRaccoonModel.Kind, ModelRegistry.ConfigJson(SimpleRaccoonConfig.Upstream with { ConvChannels = [8, 4] })),
            _ => (DocumentedOriginalRaccoon.Kind, ModelRegistry.ConfigJson(DocumentedOriginalConfig.Documented)),
        };
        var rebuilt = (IRaccoonModel)ModelRegistry.Create(kind, config);
        var original = which == "simple" ? new SimpleRaccoonModel(SimpleRaccoonConfig.Upstream with { ConvChannels = [8, 4] }) : Build(which);
        Assert.Equal(Counts(original), Counts(rebuilt));
    }
}
