namespace Raccoon.Research.IO;

/// <summary>Where the repository is: the folder holding Raccoon.Research.sln, found from the working directory (a
/// notebook's folder) or else from this library's location (lib/Raccoon.Research.Cli/bin/). Experiments that read the
/// sources or start the command-line tool, the notebooks and the command line all find it here.</summary>
public static class RepositoryFolder
{
    public static string Root =>
        Find(Environment.CurrentDirectory) ?? Find(Path.GetDirectoryName(typeof(RepositoryFolder).Assembly.Location))
        ?? throw new InvalidOperationException(
            $"no Raccoon.Research.sln above '{Environment.CurrentDirectory}': work from inside the repository, or, in a notebook, set RACCOON_OUT");

    static string? Find(string? start)
    {
        for (var dir = start is null ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Raccoon.Research.sln"))) return dir.FullName;
        return null;
    }
}
