using Raccoon.Research.Experiments.Parity;
using Raccoon.Research.Models.PathFlow;
using Raccoon.Research.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Experiments.PathFlow;

/// <summary>
/// Document 002's parity cases: the variational path flow (PathFlowModel) against its PyTorch definition in
/// benchmarks/pytorch/path_flow.py. Sizes are path-flow-training's at the standard profile (hidden 64; 64 paths of
/// T = 121 for upstream and the windowed posterior, 64 coupled paths of T = 61 for the grouped OU); the loss is
/// PathFlowTraining's -mean ELBO; inference is what path-flow-inference times, sample_paths_cond (SamplePaths)
/// for 6 paths from fixed z0 draws, here at T = 1,001 (its standard profile times 121 to 30,001).
/// The library has no FLOP count for this model, and no single kernel holds its FLOPs, so Flops and Bound are null.
/// The step is upstream's (<see cref="Recipe"/>): zero_grad, the loss, backward, Adam (1e-3) step, no clipping, the loss
/// read; inference is sample_paths_cond under no_grad with nothing after it.
/// </summary>
public static class PathFlowParity
{
    const int Hidden = 64, Paths = 64, SamplePaths = 6, SamplePoints = 1001;
    /// <summary>The function check: the same model on 2 paths of 12 points, sampling 2 paths of 12 points.</summary>
    public const int CheckPaths = 2, CheckPoints = 12;

    /// <summary>The training loop of variational_path_flows_friendly.py, which every case takes.</summary>
    public static readonly StepRecipe Recipe = new(ParityOptimizer.Adam, 1e-3,
        Source: "variational_path_flows_friendly.py:1167-1181 (Adam 1167, zero_grad 1175, forward 1176, backward 1179, step 1180, loss read 1183; no clipping); sample_paths_cond 902-928, called under no_grad at 1187-1197");

    public static IReadOnlyList<ParityCase> Cases { get; } =
    [
        Case("path-flow/upstream", "upstream (global attention, raw time)",
            new PathFlowConfig(Hidden: Hidden), points: 121,
            "train: 64 paths x 121 points, -ELBO (upstream's B T^2 H repeat per query); inference: sample_paths_cond, 6 paths x 1,001 points; hidden 64 as path-flow-training at standard (upstream's own 128 has 353,392 parameters and a step over 1 s)"),
        Case("path-flow/windowed", "windowed attention w = 10",
            new PathFlowConfig(Hidden: Hidden, Attention: PosteriorAttention.Windowed, Window: 10), points: 121,
            "train: 64 paths x 121 points, -ELBO (posterior reads the 10 nearest GRU states); inference: sample_paths_cond, 6 paths x 1,001 points; hidden 64"),
        Case("path-flow/grouped-ou", "grouped OU (G = 2)",
            new PathFlowConfig(DataDim: 4, LatentDim: 4, Hidden: Hidden, NormalisedPosteriorTime: true, OuGroupSize: 2), points: 61,
            "train: 64 coupled 4-D paths x 61 points, -ELBO with the grouped OU's Van Loan transitions; inference: sample_paths_cond, 6 paths x 1,001 points; hidden 64 as the V2-03 comparison at standard"),
    ];

    static string AttentionName(PosteriorAttention a) => a switch
    {
        PosteriorAttention.Upstream => "upstream",
        PosteriorAttention.Global => "global",
        PosteriorAttention.Windowed => "windowed",
        _ => throw new ArgumentException($"unknown posterior attention {a}"),
    };

    /// <summary>One case: the PyTorch side builds the same model from these arguments (every PathFlowConfig field it
    /// needs), the same random observations (paths, points, data dim) on the same linspace time grid, and the same
    /// sampling grid and number of z0 draws.</summary>
    static ParityCase Case(string key, string model, PathFlowConfig cfg, int points, string size) =>
        new(key, "002", model, size, Arguments(cfg, Paths, points, SamplePaths, SamplePoints), () => Build(cfg, Paths, points, SamplePaths, SamplePoints), Recipe,
            Check: new ParityCheck($"{CheckPaths} paths x {CheckPoints} points; sampling {CheckPaths} paths x {CheckPoints} points; hidden {Hidden}",
                Arguments(cfg, CheckPaths, CheckPoints, CheckPaths, CheckPoints), () => Build(cfg, CheckPaths, CheckPoints, CheckPaths, CheckPoints)),
            Names: PathFlowModel.PyTorchNames);

    static Dictionary<string, object> Arguments(PathFlowConfig cfg, int paths, int points, int samplePaths, int samplePoints)
    {
        cfg.Validate();
        return new Dictionary<string, object>
        {
            ["data_dim"] = cfg.DataDim, ["latent_dim"] = cfg.LatentDim, ["hidden"] = cfg.Hidden, ["couplings"] = cfg.Couplings,
            ["time_dim"] = cfg.TimeDim, ["t_min"] = cfg.TMin, ["t_max"] = cfg.TMax,
            ["attention"] = AttentionName(cfg.Attention), ["window"] = cfg.Window, ["ou_group_size"] = cfg.OuGroupSize,
            ["normalised_posterior_time"] = cfg.NormalisedPosteriorTime ? 1 : 0,
            ["scale_clamp"] = cfg.ScaleClamp, ["time_max_frequency"] = cfg.TimeMaxFrequency,
            ["paths"] = paths, ["points"] = points, ["sample_paths"] = samplePaths, ["sample_points"] = samplePoints,
        };
    }

    static ParityModel Build(PathFlowConfig cfg, int paths, int points, int samplePaths, int samplePoints)
    {
        var net = new PathFlowModel(cfg);
        var xs = randn(paths, points, cfg.DataDim);                                           // standardised-scale observations
        var ts = linspace(cfg.TMin, cfg.TMax, points).view(1, points, 1).repeat(paths, 1, 1);  // (B, T, 1), as LorenzPaths / CoupledOuPaths
        var grid = linspace(cfg.TMin, cfg.TMax, samplePoints);
        var z0 = net.SampleZ0(samplePaths);
        return new ParityModel(net,
            inference: () =>
            {
                using var generator = new Generator(2); // path-flow-inference samples with a fresh Generator(2) per call
                return net.SamplePaths(grid, z0, generator).X;
            },
            loss: () => net.Loss(xs, ts),
            new Dictionary<string, Tensor> { ["xs"] = xs, ["ts"] = ts, ["grid"] = grid, ["z0"] = z0 });
    }
}
