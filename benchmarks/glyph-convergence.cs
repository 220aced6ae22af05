// How top-1 on the held-out faces moves with epochs for document 003's glyph CNNs, and whether each trace passes
// G3-04/G3-07's plateau test (read from claims.json: window 3, at most 1% relative gain, at least 6 evaluations). A measuring
// script beside the experiment, for choosing sizes: it trains with the experiment's own trainer and data, at the
// standard profile's data unless told otherwise, and judges nothing. Run under the shared torch lock, e.g.
//   flock /tmp/raccoon-torch.lock dotnet run -c Release benchmarks/glyph-convergence.cs 8 Full,Light,Tiny,KD
// Arguments: epochs, models (Full, Light, Tiny, KD = Tiny distilled from the Full trained before it),
// then optionally classes, training renderings per face, renderings per held-out face, batch, seed.
#:project ../lib/Raccoon.Research/Raccoon.Research.csproj
#:package libtorch-cpu-linux-x64
using System.Globalization;
using Raccoon.Research.Data.Glyphs;
using Raccoon.Research.Experiments;
using Raccoon.Research.Experiments.GlyphCnn;
using Raccoon.Research.Ledger;
using Raccoon.Research.Models.GlyphCnn;
using static TorchSharp.torch;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
set_num_threads(2);
int epochs = int.Parse(args[0]);
var variants = args[1].Split(',');
var opts = GlyphCnnTrainingExperiment.DataOptions(Profile.Standard, args.Length > 6 ? int.Parse(args[6]) : 1);
if (args.Length > 2) opts = opts with { Classes = int.Parse(args[2]) };
if (args.Length > 3) opts = opts with { TrainPerFont = int.Parse(args[3]) };
if (args.Length > 4) opts = opts with { HeldOutFontRenderings = int.Parse(args[4]) };
int batch = args.Length > 5 ? int.Parse(args[5]) : 64;
int seed = opts.Seed;
var clock = System.Diagnostics.Stopwatch.StartNew();
var data = GlyphDataset.Build(opts);
Console.WriteLine($"data {opts}: train {data.Train.Count}, renderings {data.HeldOutRenderings.Count}, faces {data.HeldOutFonts.Count}, built in {data.Seconds:0.0}s; epochs {epochs}, batch {batch}");
var rule = ClaimCatalog.Get("G3-04").Rule.Convergence!; // the same plateau test as G3-07
var configs = GlyphCnnConfig.Variants(data.Classes.Count);
GlyphCnnClassifier? teacher = null;
foreach (var v in variants)
{
    var config = v == "KD" ? configs[2] : configs.Single(c => c.Variant == v);
    manual_seed(seed);
    var model = new GlyphCnnClassifier(config);
    var o = GlyphTrainingOptions.ForVariant(config, epochs, batch, seed);
    if (v == "KD") o = o with { Distillation = new DistillationOptions(teacher!) };
    var run = GlyphCnnTrainer.Train(model, data.Train, data.HeldOutFonts, o);
    var trace = new HeldOutTrace($"{v}", "held-out faces top-1", true, run.Epochs.Select(e => (double)e.Epoch).ToList(), run.Epochs.Select(e => e.HeldOutTop1).ToList(), $"cap {epochs}");
    var r = GlyphCnnTrainer.Evaluate(model, data.HeldOutRenderings);
    var f = GlyphCnnTrainer.Evaluate(model, data.HeldOutFonts);
    Console.WriteLine($"{v}: faces top-1 by epoch [{string.Join(" ", run.Epochs.Select(e => e.HeldOutTop1.ToString("0.0")))}]");
    Console.WriteLine($"{v}: loss by epoch [{string.Join(" ", run.Epochs.Select(e => e.TrainLoss.ToString("0.000")))}]");
    Console.WriteLine($"{v}: final faces top-1 {f.Top1:0.0} top-5 {f.Top5:0.0}; renderings top-1 {r.Top1:0.0} top-5 {r.Top5:0.0}; train {run.Seconds:0.0}s ({run.GlyphsPerSecond:0} glyphs/s)");
    Console.WriteLine($"{v}: rule -> {rule.NotConverged(trace) ?? "CONVERGED"}; plateau at {rule.PlateauAt(trace)?.ToString() ?? "never"}");
    if (v == "Full") teacher = model; else model.Dispose();
}
Console.WriteLine($"total {clock.Elapsed.TotalSeconds:0.0}s");
