using System.Text;
using System.Text.Json;

namespace Raccoon.Research.Data.Glyphs;

/// <summary>The data card (data/glyphs.md) and a small sample (data/glyphs.sample.jsonl) of the glyph data set, written by code.</summary>
public static class GlyphSamples
{
    public const string CardFile = "glyphs.md", SampleFile = "glyphs.sample.jsonl";

    /// <summary>The sample's data set: the 26 capitals, one rendering per face.</summary>
    public static GlyphDatasetOptions SampleOptions(int seed) => new(Classes: 26, TrainPerFont: 1, HeldOutPerFont: 0, HeldOutFontRenderings: 0, Seed: seed, KMeansIterations: 10);

    /// <summary>The card and the sample; <paramref name="profiles"/> are the sizes each profile of the experiments runs at
    /// (GlyphCnnTrainingExperiment.DataSizes), so the card says what was trained and judged on.</summary>
    public static IReadOnlyList<(string Name, string Content)> Render(IReadOnlyList<(string Profile, GlyphDatasetOptions Data)> profiles, int seed = 1)
    {
        if (profiles.Count == 0) throw new ArgumentException("the data card needs the sizes of at least one profile");
        var data = GlyphDataset.Build(SampleOptions(seed));
        int available = GlyphDataset.AvailableClasses();
        var sample = new StringBuilder();
        for (int i = 0; i < data.Train.Count; i++)
        {
            int font = data.Train.Fonts[i];
            if (font != data.TrainFonts[0] && font != data.TrainFonts[1]) continue;
            var c = data.Classes[data.Train.Labels[i]];
            sample.Append(JsonSerializer.Serialize(new { label = c.Index, character = c.Text, codepoint = c.Code, font = data.Fonts[font].Name, grid = data.Train.Grid(i) })).Append('\n');
        }
        var card = $"""
            # Glyph grids (document 003)

            Upstream (glyph-grid) ships no glyph data, so this project makes its own, the way upstream's pipeline
            does (`Raccoon.Research.Data.Glyphs`). This card and the sample are written by code; do not edit them
            by hand. Regenerate with

            ```
            dotnet run --project lib/Raccoon.Research.Cli -- sample-data --out data
            ```

            ## How a grid is made

            1. A character is drawn from one of {data.Fonts.Count} DejaVu faces (SkiaSharp): the outline is scaled so its
               larger side fills a 128 x 128 canvas (aspect kept) and moved to the top-left corner; each rendering
               draws a scale in [0.8, 1], a shift of up to 12 px and an extra stroke width in [0, 3] px from a seed
               of its own (splitmix64 of the data set seed, codepoint, face and index). Anti-aliased coverage is
               thresholded at one half to a binary raster.
            2. The raster is cut into 16 x 16 cells of 8 x 8 pixels.
            3. 1023 centroids are learned by seeded k-means (Lloyd, distinct cell patterns weighted by their count,
               initial centroids drawn in proportion to count) on the non-empty cells of the training renderings.
            4. Every cell maps to 1 + its nearest centroid; an empty cell is 0.

            ## Faces

            From the Debian packages fonts-dejavu-core and fonts-dejavu-extra (a missing face is an error that
            names its package). Training faces: {string.Join(", ", data.TrainFonts.Select(i => data.Fonts[i].Name))}.
            Held-out faces (never trained on): {string.Join(", ", data.HeldOutFontIds.Select(i => data.Fonts[i].Name))}.

            ## Classes

            Characters every face has an outline for, in a fixed order (Latin letters, digits, ASCII punctuation,
            Latin-1, Latin Extended, Greek, Cyrillic, symbol blocks), keeping the first of characters that render
            identically in DejaVu Sans. The faces cover {available} such characters, so a data set has at most
            {Math.Min(available, GlyphDatasetOptions.MaxClasses)} classes (upstream's 1197 is the cap); a data set takes the first C of them.

            ## Splits

            - **train**: N renderings of every class in each of the {data.TrainFonts.Count} training faces. K-means learns
              its centroids from these grids' cells only.
            - **held-out faces** (`HeldOutFonts`, split "held-out fonts"): K renderings of every class in each of the
              {data.HeldOutFontIds.Count} held-out faces, from which no training grid and no k-means cell comes. G3-04 and G3-07
              are judged on this split, and its top-1 after each epoch is the trace the ledger's plateau test reads: it
              is the closest this data comes to upstream's unseen glyph instances. The held-out faces are new faces of
              families trained on (for example DejaVuSansMono-Bold is held out, DejaVuSansMono-BoldOblique is trained on).
            - **held-out renderings** (`HeldOutRenderings`): M more renderings of every class in each training face, the
              same (character, face) pairs as training drawn again with new jitter (scale, shift, stroke width), so
              near-duplicates of training grids. Reported beside the judged split, never judged: its accuracy is
              inflated by the near-duplicates.

            ## Sizes per profile

            {string.Join("\n", profiles.Select(p => $"- {p.Profile}: {p.Data.Describe()}."))}

            ## {SampleFile}

            Seed {seed}: the 26 capitals, one rendering in each of the first two training faces
            ({data.Fonts[data.TrainFonts[0]].Name}, {data.Fonts[data.TrainFonts[1]].Name}), with centroids learned from one
            rendering per training face. Each line: `label`, `character`, `codepoint`, `font` and `grid`, the 256
            primitive ids row by row. K-means here saw {data.Codebook.DistinctPatterns:N0} distinct non-empty cells.
            """;
        return [(CardFile, card + "\n"), (SampleFile, sample.ToString())];
    }

    public static IReadOnlyList<string> Write(string dir, IReadOnlyList<(string Profile, GlyphDatasetOptions Data)> profiles, int seed = 1)
    {
        Directory.CreateDirectory(dir);
        var paths = new List<string>();
        foreach (var (name, content) in Render(profiles, seed))
        {
            var path = Path.Combine(dir, name);
            IO.AtomicFile.WriteAllText(path, content);
            paths.Add(path);
        }
        return paths;
    }
}
