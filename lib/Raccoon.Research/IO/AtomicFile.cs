using System.Text;

namespace Raccoon.Research.IO;

/// <summary>Writes a file whole or not at all: into a temporary file beside it, then a rename over it.</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text) => Write(path, s =>
    {
        using var w = new StreamWriter(s, new UTF8Encoding(false), leaveOpen: true);
        w.Write(text);
    });

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var s = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                write(s);
                s.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // ENOSPC, EROFS, EACCES: name the file and the folder's free space; the old file, if any, is untouched.
            throw new IOException($"could not write '{full}': {e.Message}{FreeSpaceNote(dir)}", e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The least free space an output folder must have before work starts whose results would be lost.</summary>
    public const long MinimumFreeBytes = 64L << 20;

    /// <summary>
    /// Fails early, with the folder's name, when <paramref name="dir"/> cannot be written: not creatable, read-only,
    /// or with less than <paramref name="minimumFreeBytes"/> free (default <see cref="MinimumFreeBytes"/>),
    /// checked by writing and deleting a probe file of 64 KiB.
    /// </summary>
    public static void EnsureWritableDirectory(string dir, long? minimumFreeBytes = null)
    {
        if (File.Exists(dir)) throw new IOException($"output folder '{dir}' is not writable: it is a file");
        try
        {
            Directory.CreateDirectory(dir);
            string probe = Path.Combine(dir, $".write-probe-{Guid.NewGuid():N}");
            try
            {
                using (var s = new FileStream(probe, FileMode.CreateNew, FileAccess.Write))
                {
                    s.Write(new byte[64 << 10]);
                    s.Flush(flushToDisk: true);
                }
            }
            finally
            {
                if (File.Exists(probe)) File.Delete(probe);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"output folder '{dir}' is not writable: {e.Message}{FreeSpaceNote(dir)}", e);
        }
        long need = minimumFreeBytes ?? MinimumFreeBytes;
        if (FreeBytes(dir) is long free && free < need)
            throw new IOException($"output folder '{dir}' is nearly full: {free >> 20} MiB free, at least {need >> 20} MiB needed before results are computed; free space or choose another --out");
    }

    /// <summary>Free bytes on the file system holding <paramref name="dir"/>, or null where it cannot be told.</summary>
    public static long? FreeBytes(string dir)
    {
        try
        {
            return new DriveInfo(Path.GetFullPath(dir)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    static string FreeSpaceNote(string dir) =>
        FreeBytes(dir) is long free && free < MinimumFreeBytes ? $" (only {free >> 10} KiB free on its file system: the disk is full)" : "";
}
