using Raccoon.Research.Data.Glyphs;
using Raccoon.Research.Experiments.GlyphCnn;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.GlyphCnn;

public class GlyphDataTests : IClassFixture<TorchFixture>
{
    static readonly GlyphDatasetOptions Small = new(Classes: 6, TrainPerFont: 1, HeldOutPerFont: 1, HeldOutFontRenderings: 1, Seed: 3, KMeansIterations: 4);

    [Fact]
    public void SameSeedGivesTheSameGrids()
    {
        var a = GlyphDataset.Build(Small);
        var b = GlyphDataset.Build(Small);
        Assert.Equal(a.Train.Grids, b.Train.Grids);
        Assert.Equal(a.HeldOutFonts.Grids, b.HeldOutFonts.Grids);
        Assert.Equal(a.Codebook.ToArray(), b.Codebook.ToArray());
        var c = GlyphDataset.Build(Small with { Seed = 4 });
        Assert.NotEqual(a.Train.Grids, c.Train.Grids);
    }

    [Fact]
    public void SplitsHaveTheirCountsAndFaces()
    {
        var d = GlyphDataset.Build(Small);
        Assert.Equal(21, d.Fonts.Count);
        Assert.Equal(18, d.TrainFonts.Count);
        Assert.Equal(6 * 18, d.Train.Count);
        Assert.Equal(6 * 18, d.HeldOutRenderings.Count);
        Assert.Equal(6 * 3, d.HeldOutFonts.Count);
        Assert.DoesNotContain(d.HeldOutFonts.Fonts[0], d.TrainFonts);
        Assert.Equal(["A", "B", "C", "D", "E", "F"], d.Classes.Select(c => c.Text).ToArray());
        Assert.All(d.Train.Grids, g => Assert.InRange(g, 0, 1023));
        Assert.Contains(d.Train.Grids, g => g == 0); // glyphs leave empty cells
    }

    [Fact]
    public void NoHeldOutFaceAppearsInTraining()
    {
        var d = GlyphDataset.Build(Small);
        var heldOut = d.HeldOutFontIds.ToHashSet();
        Assert.Equal(GlyphFonts.HeldOut.Order(), d.HeldOutFontIds.Select(i => d.Fonts[i].Name).Order());
        Assert.Empty(heldOut.Intersect(d.TrainFonts));
        // No training grid and no held-out rendering comes from a held-out face; every held-out-faces grid does, from each of them.
        Assert.DoesNotContain(d.Train.Fonts, heldOut.Contains);
        Assert.DoesNotContain(d.HeldOutRenderings.Fonts, heldOut.Contains);
        Assert.All(d.HeldOutFonts.Fonts, f => Assert.Contains(f, heldOut));
        Assert.Equal(heldOut.Order(), d.HeldOutFonts.Fonts.Distinct().Order());
        Assert.Equal(d.TrainFonts.Order(), d.Train.Fonts.Distinct().Order());
        // Held-out renderings are the training (class, face) pairs again; the held-out faces pair every class with new faces.
        var trainPairs = d.Train.Labels.Zip(d.Train.Fonts).ToHashSet();
        Assert.True(trainPairs.SetEquals(d.HeldOutRenderings.Labels.Zip(d.HeldOutRenderings.Fonts)));
        Assert.DoesNotContain(d.HeldOutFonts.Labels.Zip(d.HeldOutFonts.Fonts), trainPairs.Contains);
        Assert.Equal(Enumerable.Range(0, 6), d.HeldOutFonts.Labels.Distinct().Order());
    }

    [Fact]
    public void EachProfileRunsAtItsStatedSizes()
    {
        var d = GlyphDataset.Build(Small);
        Assert.Equal((d.Train.Count, d.HeldOutRenderings.Count, d.HeldOutFonts.Count), Small.SplitSizes());
        var sizes = GlyphCnnTrainingExperiment.DataSizes(seed: 1).ToDictionary(p => p.Profile, p => p.Data);
        Assert.Equal(["quick", "standard", "full"], sizes.Keys);
        // 18 training faces and 3 held-out faces
        Assert.Equal((8 * 18, 8 * 18, 8 * 3), sizes["quick"].SplitSizes());
        Assert.Equal((16 * 18 * 2, 16 * 18, 16 * 3 * 2), sizes["standard"].SplitSizes());
        Assert.Equal((1144 * 18 * 20, 1144 * 18 * 3, 1144 * 3 * 5), sizes["full"].SplitSizes());
        Assert.Equal("16 classes; 2 training rendering(s) and 1 held-out rendering(s) per class in each training face, 2 rendering(s) per class in each held-out face: " +
                     "576 training / 288 held-out renderings / 96 held-out faces grids", sizes["standard"].Describe());
    }

    [Fact]
    public void HomoglyphsAreOneClass()
    {
        var faces = GlyphFonts.All().Select(GlyphFonts.Load).ToArray();
        var classes = GlyphDataset.Candidates(faces, 400);
        Assert.Contains(classes, c => c.Text == "A");
        Assert.DoesNotContain(classes, c => c.Codepoint == 0x391); // Greek capital Alpha draws as Latin A
        Assert.DoesNotContain(classes, c => c.Codepoint == 0x410); // so does Cyrillic A
        Assert.Equal(classes.Count, classes.Select(c => c.Codepoint).Distinct().Count());
    }

    [Fact]
    public void ACellEqualToACentroidMapsToItAndAnEmptyCellToZero()
    {
        var rng = new Random(5);
        var patterns = Enumerable.Range(0, PrimitiveCodebook.Centroids).Select(_ => (ulong)rng.NextInt64() | 1).Distinct().ToArray();
        Assert.Equal(PrimitiveCodebook.Centroids, patterns.Length);
        var book = new PrimitiveCodebook(patterns.SelectMany(GlyphRenderer.Unpack).ToArray());
        Assert.Equal(1, book.Assign(patterns[0]));
        Assert.Equal(500, book.Assign(patterns[499]));
        Assert.Equal(1023, book.Assign(patterns[1022]));
        Assert.Equal(0, book.Assign(0));
        book.Prime([patterns[7], patterns[8]]); // the batched path agrees
        Assert.Equal(8, book.Assign(patterns[7]));
        Assert.Equal(1, book.Grid(new byte[128 * 128]).Distinct().Count());
        Assert.Equal(0, book.Grid(new byte[128 * 128])[0]);
    }

    [Fact]
    public void KMeansRecoversSeparatedPatterns()
    {
        var counts = Enumerable.Range(1, 1500).ToDictionary(i => (ulong)i * 0x9E3779B97F4A7C15UL, i => (long)(i % 3 + 1));
        var book = PrimitiveCodebook.Fit(counts, seed: 2, iterations: 5);
        Assert.True(book.Inertia >= 0);
        Assert.Equal(1500, book.DistinctPatterns);
        var ids = counts.Keys.Select(book.Assign).ToArray();
        Assert.All(ids, id => Assert.InRange(id, 1, 1023));
    }

    [Fact]
    public void TheShippedCardAndSampleRegenerateByteForByte()
    {
        string dir = Repo.TempDir("glyph-samples");
        GlyphSamples.Write(dir, GlyphCnnTrainingExperiment.DataSizes(seed: 1));
        foreach (var name in new[] { GlyphSamples.CardFile, GlyphSamples.SampleFile })
        {
            string shipped = Path.Combine(Repo.Root, "data", name);
            Assert.True(File.Exists(shipped), $"{shipped} is missing: run `sample-data --out data`");
            Assert.True(File.ReadAllBytes(shipped).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, name))), $"data/{name} differs from what `sample-data` writes");
        }
    }

    [Fact]
    public void BadInputGetsClearErrors()
    {
        var e = Assert.Throws<FileNotFoundException>(() => GlyphDataset.Build(Small, fontDirectory: "/nonexistent/fonts"));
        Assert.Contains("fonts-dejavu-core", e.Message);
        Assert.Throws<ArgumentException>(() => GlyphDataset.Build(Small with { Classes = 1 }));
        Assert.Throws<ArgumentException>(() => GlyphDataset.Build(Small with { Classes = 5000 }));
        Assert.Throws<ArgumentException>(() => GlyphRenderer.CellPatterns(new byte[10]));
        Assert.Throws<ArgumentException>(() => new PrimitiveCodebook(new float[10]));
    }
}
