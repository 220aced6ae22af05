namespace Raccoon.Research.Tests.Support;

/// <summary>Files' last write times and lengths, to show a later step wrote none of them again (a resumed unit, a reused result).</summary>
public static class FileStamps
{
    public static (DateTime Written, long Length) Of(string file) => (File.GetLastWriteTimeUtc(file), new FileInfo(file).Length);

    /// <summary>The stamps of every file in <paramref name="folder"/>, by path.</summary>
    public static Dictionary<string, (DateTime Written, long Length)> In(string folder) => Directory.GetFiles(folder).ToDictionary(f => f, Of);

    /// <summary>Each file still has the stamp it had.</summary>
    public static void AssertUnchanged(IReadOnlyDictionary<string, (DateTime Written, long Length)> stamps)
    {
        foreach (var (file, stamp) in stamps) Assert.Equal(stamp, Of(file));
    }
}
