using Raccoon.Research.Experiments;
using Raccoon.Research.IO;
using Raccoon.Research.Ledger;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.IO;

/// <summary>An output folder that cannot take the results says so before the work that would be lost, naming the folder.</summary>
public class OutputFolderTests : IClassFixture<TorchFixture>
{
    sealed class Counting : IExperiment
    {
        public int Runs;
        public string Name => "test-output-folder";
        public string Title => "counts its runs";
        public IReadOnlyList<string> Claims => ["H4-01"];
        public ExperimentResult Run(ExperimentContext context)
        {
            Runs++;
            return new ExperimentResult([Measurement.Number("H4-01", 493973, "493,973 parameters")]);
        }
    }

    [Fact]
    public void A_results_folder_that_cannot_be_made_stops_the_experiment_before_it_runs()
    {
        string dir = Repo.TempDir("out-folder");
        File.WriteAllText(Path.Combine(dir, "results"), "a file where the results folder goes");
        var experiment = new Counting();
        var e = Assert.Throws<IOException>(() => ExperimentRunner.Run(experiment, new ExperimentContext(Profile.Quick, 1, 2, dir)));
        Assert.Equal(0, experiment.Runs);
        Assert.Contains(Path.Combine(dir, "results"), e.Message);
        Assert.Contains("not writable", e.Message);
    }

    [Fact]
    public void A_nearly_full_disk_is_named_with_its_free_space()
    {
        string dir = Repo.TempDir("out-folder");
        var e = Assert.Throws<IOException>(() => AtomicFile.EnsureWritableDirectory(dir, minimumFreeBytes: long.MaxValue));
        Assert.Contains(dir, e.Message);
        Assert.Contains("nearly full", e.Message);
        Assert.Contains("MiB free", e.Message);
        Assert.NotNull(AtomicFile.FreeBytes(dir));
        AtomicFile.EnsureWritableDirectory(dir); // an ordinary temp folder passes
        Assert.Empty(Directory.GetFileSystemEntries(dir)); // and the probe is gone
    }

    [Fact]
    public void A_read_only_folder_is_named()
    {
        string dir = Repo.TempDir("out-folder");
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            string probe = Path.Combine(dir, "probe");
            bool writable;
            try { File.WriteAllText(probe, ""); File.Delete(probe); writable = true; }
            catch (UnauthorizedAccessException) { writable = false; }
            if (writable) Assert.Skip("permissions do not stop this user's writes (root): nothing to check");
            var e = Assert.Throws<IOException>(() => AtomicFile.EnsureWritableDirectory(dir));
            Assert.Contains(dir, e.Message);
            Assert.Contains("not writable", e.Message);
        }
        finally
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void A_write_that_fails_names_the_file_and_leaves_the_old_one()
    {
        string dir = Repo.TempDir("out-folder");
        string path = Path.Combine(dir, "claims.json");
        File.WriteAllText(path, "old");
        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, _ => throw new IOException("No space left on device")));
        Assert.Contains(path, e.Message);
        Assert.Contains("No space left on device", e.Message);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["claims.json"], Directory.GetFiles(dir).Select(Path.GetFileName)); // no temporary file left
    }
}
