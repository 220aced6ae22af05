using System.Globalization;
using SkiaSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Data.Glyphs;

/// <summary>How big a glyph data set is. Each class is rendered <see cref="TrainPerFont"/> + <see cref="HeldOutPerFont"/>
/// times in every training face (the first for training, the rest held out) and <see cref="HeldOutFontRenderings"/>
/// times in every held-out face.</summary>
public sealed record GlyphDatasetOptions(int Classes, int TrainPerFont, int HeldOutPerFont, int HeldOutFontRenderings, int Seed = 1, int KMeansIterations = 15)
{
    public const int MaxClasses = 1197;

    public void Validate()
    {
        if (Classes is < 2 or > MaxClasses) throw new ArgumentException($"the glyph data set has 2..{MaxClasses} classes, asked for {Classes}");
        if (TrainPerFont < 1 || HeldOutPerFont < 0 || HeldOutFontRenderings < 0)
            throw new ArgumentException($"renderings per face must be positive for training and non-negative held out: {TrainPerFont}, {HeldOutPerFont}, {HeldOutFontRenderings}");
    }

    /// <summary>The sizes in words: classes, renderings per face in each split and the grids they make.</summary>
    public string Describe()
    {
        var (train, renderings, fonts) = SplitSizes();
        return string.Create(CultureInfo.InvariantCulture,
            $"{Classes} classes; {TrainPerFont} training rendering(s) and {HeldOutPerFont} held-out rendering(s) per class in each training face, " +
            $"{HeldOutFontRenderings} rendering(s) per class in each held-out face: {train:N0} training / {renderings:N0} held-out renderings / {fonts:N0} held-out faces grids");
    }

    /// <summary>Grids in each split, from the face counts of <see cref="GlyphFonts"/>, without rendering anything.</summary>
    public (int Train, int HeldOutRenderings, int HeldOutFonts) SplitSizes()
    {
        int heldOut = GlyphFonts.HeldOut.Count, training = GlyphFonts.All().Count - heldOut;
        return (Classes * training * TrainPerFont, Classes * training * HeldOutPerFont, Classes * heldOut * HeldOutFontRenderings);
    }
}

/// <summary>One split: grids (N, 16, 16) of primitive ids, their class labels and the face each came from.</summary>
public sealed record GlyphSplit(string Name, ushort[] Grids, int[] Labels, int[] Fonts)
{
    public int Count => Labels.Length;

    public ushort[] Grid(int i) => Grids.AsSpan(i * 256, 256).ToArray();

    /// <summary>(N, 16, 16) int64 primitive ids.</summary>
    public Tensor GridTensor() => tensor(Grids.Select(g => (long)g).ToArray(), [Count, 16, 16]);

    /// <summary>(N) int64 labels.</summary>
    public Tensor LabelTensor() => tensor(Labels.Select(l => (long)l).ToArray());
}

/// <summary>One class: a character, its codepoint and its index.</summary>
public sealed record GlyphClass(int Index, int Codepoint)
{
    public string Text => char.ConvertFromUtf32(Codepoint);
    public string Code => $"U+{Codepoint:X4}";
}

/// <summary>
/// The project's glyph data set (upstream ships none): characters rendered from the DejaVu faces
/// (<see cref="GlyphFonts"/>) with small augmentations to 128 x 128 binary rasters, cut into 16 x 16
/// cells of 8 x 8, every cell mapped to the nearest of 1023 k-means centroids learned on the training
/// cells (0 = empty). Seeded and deterministic: the same options give the same grids.
/// Splits: train and held-out renderings come from the same 18 faces (held-out renderings are the training (character,
/// face) pairs drawn again with new jitter, near-duplicates of training grids); held-out fonts from 3 faces that no
/// training grid and no k-means cell comes from.
/// </summary>
public sealed class GlyphDataset
{
    public GlyphDatasetOptions Options { get; }
    public IReadOnlyList<GlyphClass> Classes { get; }
    public IReadOnlyList<GlyphFont> Fonts { get; }
    public IReadOnlyList<int> TrainFonts { get; }
    public IReadOnlyList<int> HeldOutFontIds { get; }
    public PrimitiveCodebook Codebook { get; }
    public GlyphSplit Train { get; }
    public GlyphSplit HeldOutRenderings { get; }
    public GlyphSplit HeldOutFonts { get; }
    /// <summary>The unaugmented rasters of the first few classes in the first face, for galleries.</summary>
    public IReadOnlyList<(GlyphClass Class, byte[] Raster, ushort[] Grid)> Gallery { get; }
    public double Seconds { get; }

    GlyphDataset(GlyphDatasetOptions options, IReadOnlyList<GlyphClass> classes, IReadOnlyList<GlyphFont> fonts, IReadOnlyList<int> trainFonts,
        IReadOnlyList<int> heldOutFonts, PrimitiveCodebook codebook, GlyphSplit train, GlyphSplit heldR, GlyphSplit heldF,
        IReadOnlyList<(GlyphClass, byte[], ushort[])> gallery, double seconds)
    {
        Options = options; Classes = classes; Fonts = fonts; TrainFonts = trainFonts; HeldOutFontIds = heldOutFonts;
        Codebook = codebook; Train = train; HeldOutRenderings = heldR; HeldOutFonts = heldF; Gallery = gallery; Seconds = seconds;
    }

    public static GlyphDataset Build(GlyphDatasetOptions options, string? fontDirectory = null)
    {
        options.Validate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var fonts = GlyphFonts.All(fontDirectory);
        var faces = fonts.Select(GlyphFonts.Load).ToArray();
        try
        {
            var classes = Candidates(faces, options.Classes);
            if (classes.Count < options.Classes)
                throw new ArgumentException($"the DejaVu faces cover only {classes.Count} distinct characters; asked for {options.Classes}");
            var heldOut = fonts.Select((f, i) => (f, i)).Where(p => GlyphFonts.HeldOut.Contains(p.f.Name)).Select(p => p.i).ToArray();
            var trainFonts = Enumerable.Range(0, fonts.Count).Except(heldOut).ToArray();

            // every rendering: (class, face, index within the face, split)
            var jobs = new List<(int Class, int Font, int Index, int Split)>();
            foreach (var c in classes)
            {
                foreach (var f in trainFonts)
                    for (int r = 0; r < options.TrainPerFont + options.HeldOutPerFont; r++)
                        jobs.Add((c.Index, f, r, r < options.TrainPerFont ? 0 : 1));
                foreach (var f in heldOut)
                    for (int r = 0; r < options.HeldOutFontRenderings; r++) jobs.Add((c.Index, f, r, 2));
            }
            var cells = new ulong[jobs.Count][];
            Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, j =>
            {
                var (c, f, r, _) = jobs[j];
                int cp = classes[c].Codepoint;
                var rng = new Random(Mix(options.Seed, cp, f, r));
                var raster = GlyphRenderer.Render(faces[f], cp, GlyphAugmentation.Draw(rng))
                    ?? throw new InvalidOperationException($"face {fonts[f].Name} lost its outline for U+{cp:X4}");
                cells[j] = GlyphRenderer.CellPatterns(raster);
            });

            var counts = new Dictionary<ulong, long>();
            for (int j = 0; j < jobs.Count; j++)
                if (jobs[j].Split == 0)
                    foreach (var p in cells[j]) if (p != 0) counts[p] = counts.GetValueOrDefault(p) + 1;
            var codebook = PrimitiveCodebook.Fit(counts, options.Seed, options.KMeansIterations);
            codebook.Prime(cells.SelectMany(c => c));

            GlyphSplit Split(int split, string name)
            {
                var idx = Enumerable.Range(0, jobs.Count).Where(j => jobs[j].Split == split).ToArray();
                var grids = new ushort[idx.Length * 256];
                for (int k = 0; k < idx.Length; k++)
                    for (int i = 0; i < 256; i++) grids[k * 256 + i] = codebook.Assign(cells[idx[k]][i]);
                return new GlyphSplit(name, grids, idx.Select(j => jobs[j].Class).ToArray(), idx.Select(j => jobs[j].Font).ToArray());
            }

            var gallery = classes.Take(12).Select(c =>
            {
                var raster = GlyphRenderer.Render(faces[0], c.Codepoint)!;
                return (c, raster, codebook.Grid(raster));
            }).ToList();
            return new GlyphDataset(options, classes, fonts, trainFonts, heldOut, codebook,
                Split(0, "train"), Split(1, "held-out renderings"), Split(2, "held-out fonts"), gallery, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var f in faces) f.Dispose();
        }
    }

    /// <summary>
    /// Classes in a fixed order (Latin letters, digits, ASCII punctuation, then Latin-1, Latin Extended,
    /// Greek, Cyrillic and symbol blocks): characters every face has an outline for, keeping the first of
    /// any that render identically in DejaVu Sans (Latin A, Greek Alpha and Cyrillic A are one shape).
    /// </summary>
    public static IReadOnlyList<GlyphClass> Candidates(IReadOnlyList<SKTypeface> faces, int max)
    {
        var seen = new HashSet<string>();
        var classes = new List<GlyphClass>();
        foreach (int cp in CandidateCodepoints())
        {
            if (classes.Count >= max) break;
            if (!faces.All(f => f.ContainsGlyph(cp))) continue;
            var raster = GlyphRenderer.Render(faces[0], cp);
            if (raster is null || !raster.Contains((byte)1)) continue;
            if (!seen.Add(Convert.ToBase64String(raster))) continue;
            classes.Add(new GlyphClass(classes.Count, cp));
        }
        return classes;
    }

    /// <summary>How many distinct characters every face covers (the most classes a data set can have, before the cap of 1197).</summary>
    public static int AvailableClasses(string? fontDirectory = null)
    {
        var faces = GlyphFonts.All(fontDirectory).Select(GlyphFonts.Load).ToArray();
        try { return Candidates(faces, int.MaxValue).Count; }
        finally { foreach (var f in faces) f.Dispose(); }
    }

    static IEnumerable<int> CandidateCodepoints()
    {
        IEnumerable<int> R(int a, int b) => Enumerable.Range(a, b - a + 1);
        var first = R('A', 'Z').Concat(R('a', 'z')).Concat(R('0', '9')).ToList();
        var blocks = new[]
        {
            R(0x21, 0x7E), R(0xA1, 0x17F), R(0x370, 0x3FF), R(0x400, 0x4FF), R(0x180, 0x24F), R(0x250, 0x2AF),
            R(0x1E00, 0x1EFF), R(0x1F00, 0x1FFF), R(0x2000, 0x206F), R(0x20A0, 0x20CF), R(0x2100, 0x214F),
            R(0x2190, 0x21FF), R(0x2200, 0x22FF), R(0x2300, 0x23FF), R(0x2500, 0x257F), R(0x25A0, 0x25FF), R(0x2600, 0x26FF),
        };
        var done = new HashSet<int>(first);
        foreach (var cp in first) yield return cp;
        foreach (var block in blocks)
            foreach (var cp in block)
                if (done.Add(cp)) yield return cp;
    }

    /// <summary>A platform-independent seed for one rendering (splitmix64 over its coordinates).</summary>
    static int Mix(params int[] parts)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (var p in parts)
        {
            h ^= (ulong)(uint)p + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2);
            h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
            h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
            h ^= h >> 31;
        }
        return (int)(h & 0x7FFFFFFF);
    }
}
