using static TorchSharp.torch;

namespace Raccoon.Research.Data.Glyphs;

/// <summary>
/// The primitive vocabulary: 1023 centroids of 8 x 8 cells learned by k-means (id 1..1023) and id 0 for
/// the empty cell. Cells are binary, so k-means runs on the distinct patterns weighted by how often each
/// occurs (the same objective as over every cell, far cheaper), and assignment is cached per pattern.
/// </summary>
public sealed class PrimitiveCodebook
{
    public const int Centroids = 1023, Dim = GlyphRenderer.Cell * GlyphRenderer.Cell;

    readonly float[] centroids; // (Centroids, 64) row-major
    readonly Dictionary<ulong, ushort> cache = new();

    /// <summary>Lloyd iterations run and the weighted mean squared distance at the end (pixels per cell).</summary>
    public int Iterations { get; }
    public double Inertia { get; }
    /// <summary>Distinct non-empty patterns the centroids were learned from.</summary>
    public int DistinctPatterns { get; }

    public PrimitiveCodebook(float[] centroids, int iterations = 0, double inertia = double.NaN, int distinctPatterns = 0)
    {
        if (centroids.Length != Centroids * Dim)
            throw new ArgumentException($"a codebook holds {Centroids} centroids of {Dim} pixels ({Centroids * Dim} values), got {centroids.Length}");
        this.centroids = centroids;
        Iterations = iterations;
        Inertia = inertia;
        DistinctPatterns = distinctPatterns;
    }

    /// <summary>The centroid of primitive <paramref name="id"/> (1..1023).</summary>
    public float[] Centroid(int id)
    {
        if (id < 1 || id > Centroids) throw new ArgumentOutOfRangeException(nameof(id), id, "centroid ids are 1..1023 (0 is the empty cell)");
        return centroids.AsSpan((id - 1) * Dim, Dim).ToArray();
    }

    /// <summary>
    /// Seeded weighted k-means: the initial centroids are distinct patterns drawn with probability
    /// proportional to their count; a cluster left empty keeps its centroid. Fewer distinct patterns than
    /// 1023 fill the rest with copies (never the nearest: ties go to the lower id).
    /// </summary>
    public static PrimitiveCodebook Fit(IReadOnlyDictionary<ulong, long> patternCounts, int seed, int iterations = 15)
    {
        var patterns = patternCounts.Where(kv => kv.Key != 0 && kv.Value > 0).OrderBy(kv => kv.Key).ToArray();
        if (patterns.Length == 0) throw new ArgumentException("k-means needs at least one non-empty cell");
        int n = patterns.Length;
        var rng = new Random(seed);
        // weighted draw without replacement (Efraimidis-Spirakis keys), seeded
        var keys = patterns.Select(p => Math.Log(rng.NextDouble() + 1e-300) / p.Value).ToArray();
        var order = Enumerable.Range(0, n).OrderByDescending(i => keys[i]).ToArray();
        var init = new float[Centroids * Dim];
        for (int k = 0; k < Centroids; k++)
            GlyphRenderer.Unpack(patterns[order[k % n]].Key).CopyTo(init, k * Dim);

        using var scope = NewDisposeScope();
        var x = tensor(patterns.SelectMany(p => GlyphRenderer.Unpack(p.Key)).ToArray(), [n, Dim]); // (N, 64)
        var w = tensor(patterns.Select(p => (float)p.Value).ToArray()); // (N)
        var c = tensor(init, [Centroids, Dim]); // (K, 64)
        var xx = x.pow(2).sum(1, keepdim: true); // (N, 1)
        Tensor assign = zeros(n, dtype: ScalarType.Int64);
        double inertia = double.NaN;
        int it = 0;
        for (; it < iterations; it++)
        {
            var d = xx - 2 * x.matmul(c.t()) + c.pow(2).sum(1).unsqueeze(0); // (N, K)
            var (minD, arg) = d.min(1);
            inertia = (minD.clamp_min(0) * w).sum().item<float>() / w.sum().item<float>();
            bool same = it > 0 && arg.eq(assign).all().item<bool>();
            assign = arg;
            if (same) break;
            var sums = zeros(Centroids, Dim).index_add_(0, assign, x * w.unsqueeze(1), 1); // (K, 64)
            var mass = zeros(Centroids).index_add_(0, assign, w, 1); // (K)
            var filled = (mass > 0).unsqueeze(1);
            c = where(filled, sums / mass.clamp_min(1e-12).unsqueeze(1), c);
        }
        return new PrimitiveCodebook(c.contiguous().data<float>().ToArray(), it, inertia, n);
    }

    /// <summary>The primitive id of one packed cell: 0 when empty, else 1 + the nearest centroid (ties to the lower id).</summary>
    public ushort Assign(ulong pattern)
    {
        if (pattern == 0) return 0;
        lock (cache)
            if (cache.TryGetValue(pattern, out var id)) return id;
        var v = GlyphRenderer.Unpack(pattern);
        int best = 0;
        double bestD = double.MaxValue;
        for (int k = 0; k < Centroids; k++)
        {
            double d = 0;
            int o = k * Dim;
            for (int i = 0; i < Dim; i++) { double e = v[i] - centroids[o + i]; d += e * e; }
            if (d < bestD) { bestD = d; best = k; }
        }
        var result = (ushort)(best + 1);
        lock (cache) cache[pattern] = result;
        return result;
    }

    /// <summary>Assigns many patterns at once (torch, in chunks) and caches them, so later <see cref="Assign"/> calls are lookups.</summary>
    public void Prime(IEnumerable<ulong> patterns)
    {
        ulong[] todo;
        lock (cache) todo = patterns.Where(p => p != 0 && !cache.ContainsKey(p)).Distinct().ToArray();
        if (todo.Length == 0) return;
        using var scope = NewDisposeScope();
        var c = tensor(centroids, [Centroids, Dim]); // (K, 64)
        var cc = c.pow(2).sum(1).unsqueeze(0); // (1, K)
        const int chunk = 8192;
        for (int start = 0; start < todo.Length; start += chunk)
        {
            var part = todo.AsSpan(start, Math.Min(chunk, todo.Length - start)).ToArray();
            using var inner = NewDisposeScope();
            var x = tensor(part.SelectMany(GlyphRenderer.Unpack).ToArray(), [part.Length, Dim]); // (n, 64)
            var d = x.pow(2).sum(1, keepdim: true) - 2 * x.matmul(c.t()) + cc; // (n, K)
            var ids = d.argmin(1).data<long>().ToArray();
            lock (cache)
                for (int i = 0; i < part.Length; i++) cache[part[i]] = (ushort)(ids[i] + 1);
        }
    }

    /// <summary>The 16 x 16 grid of primitive ids of a raster, row-major.</summary>
    public ushort[] Grid(byte[] raster) => GlyphRenderer.CellPatterns(raster).Select(Assign).ToArray();

    public float[] ToArray() => (float[])centroids.Clone();
}
