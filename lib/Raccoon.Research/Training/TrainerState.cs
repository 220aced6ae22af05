using Raccoon.Research.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Training;

/// <summary>
/// Everything of a supervised phase in progress besides the weights and the optimizer state: where it is
/// (epoch, batch within the epoch), what it has recorded, the early-stopping bookkeeping and torch's
/// generator. Saved with the weights into one <see cref="PhaseCheckpoint"/> file, so a resumed phase goes on
/// exactly where the stopped one left off.
/// </summary>
internal sealed class TrainerState
{
    /// <summary>The epoch in progress, or the next to start when <see cref="BatchInEpoch"/> is 0.</summary>
    public int Epoch { get; set; } = 1;
    /// <summary>Batches of <see cref="Epoch"/> already attempted.</summary>
    public int BatchInEpoch { get; set; }
    public List<EpochRecord> Epochs { get; set; } = [];
    public List<double> StepLosses { get; set; } = [];
    public List<SkippedStep> Skipped { get; set; } = [];
    public int Applied { get; set; }
    public double EpochLossSum { get; set; }
    public double EpochCorrectSum { get; set; }
    public int EpochSamples { get; set; }
    public int EpochApplied { get; set; }
    public int EpochSkipped { get; set; }
    public double EpochSeconds { get; set; }
    public double BestLoss { get; set; } = double.PositiveInfinity;
    public double EarlyStopBest { get; set; } = double.PositiveInfinity;
    public int? BestEpoch { get; set; }
    public int SinceImprovement { get; set; }
    public bool StoppedEarly { get; set; }
    public bool StoppedAtPlateau { get; set; }
    public bool Restored { get; set; }
    public bool Finished { get; set; }
    public double Seconds { get; set; }
    /// <summary>The file holding the best epoch's weights, beside the resume file; null when none is kept.</summary>
    public string? BestWeightsFile { get; set; }
    /// <summary>The options (without the resume file) and data sizes that wrote this state: a resume under others is refused.</summary>
    public string Phase { get; set; } = "";

    /// <summary>What identifies a phase: its options without the resume file, and the sizes of its data.</summary>
    public static string PhaseOf(TrainingOptions options, int trainCount, int? validationCount) =>
        PhaseCheckpoint.PhaseOf(new { options = options with { Resume = null }, trainCount, validationCount });

    /// <summary>Writes weights, optimizer state and this state into one file, whole or not at all; the best weights
    /// (when kept) go first into their own file named by epoch, so the state never points at a file not yet written.</summary>
    public void Save(ResumeFile resume, nn.Module module, optim.Optimizer optimizer, IReadOnlyDictionary<string, Tensor>? best)
    {
        if (best is not null && BestEpoch is int be)
        {
            string name = $"{Path.GetFileName(resume.Path)}.best-epoch{be}";
            string path = Beside(resume, name);
            if (BestWeightsFile != name || !File.Exists(path)) WriteTensors(path, best);
            BestWeightsFile = name;
        }
        else BestWeightsFile = null;
        PhaseCheckpoint.Save(resume, module, optimizer, Phase, this, StepLosses.Count);
        // Older best-weight files are no longer named by the state just written.
        string dir = Beside(resume, "");
        foreach (var f in Directory.GetFiles(dir, $"{Path.GetFileName(resume.Path)}.best-epoch*"))
            if (Path.GetFileName(f) != BestWeightsFile) File.Delete(f);
    }

    /// <summary>The best epoch's weights saved beside the resume file, as detached tensors shaped like the module's.</summary>
    public Dictionary<string, Tensor>? ReadBest(ResumeFile resume, nn.Module module)
    {
        if (BestWeightsFile is null) return null;
        string path = Beside(resume, BestWeightsFile);
        if (!File.Exists(path))
            throw new InvalidDataException($"resume file '{resume.Path}' names best weights '{BestWeightsFile}', which is missing");
        var tensors = Trainer.Snapshot(module);
        using var r = new BinaryReader(File.OpenRead(path));
        int count = r.ReadInt32();
        if (count != tensors.Count) throw new InvalidDataException($"best weights '{path}' hold {count} tensors, the model {tensors.Count}");
        for (int i = 0; i < count; i++)
        {
            string name = r.ReadString();
            int length = r.ReadInt32();
            if (!tensors.TryGetValue(name, out var t) || t.bytes.Length != length)
                throw new InvalidDataException($"best weights '{path}' do not fit the model at '{name}'");
            t.bytes = r.ReadBytes(length);
        }
        return tensors;
    }

    /// <summary>A file in the resume file's folder (the folder itself for an empty name).</summary>
    static string Beside(ResumeFile resume, string name) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(resume.Path))!, name);

    static void WriteTensors(string path, IReadOnlyDictionary<string, Tensor> tensors) => AtomicFile.Write(path, s =>
    {
        using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(tensors.Count);
        foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var bytes = t.bytes;
            w.Write(name);
            w.Write(bytes.Length);
            w.Write(bytes);
        }
    });
}
