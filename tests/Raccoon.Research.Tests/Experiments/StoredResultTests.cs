using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Experiments;

/// <summary>A stored result that does not read whole is recomputed, and the run says which file it was.</summary>
public class StoredResultTests : IClassFixture<TorchFixture>
{
    /// <summary>An experiment that counts its runs and answers H4-01 with a fixed number.</summary>
    sealed class Counting : IExperiment
    {
        public int Runs;
        public string Name => "test-counting";
        public string Title => "counts its runs";
        public IReadOnlyList<string> Claims => ["H4-01"];
        public ExperimentResult Run(ExperimentContext context)
        {
            Runs++;
            return new ExperimentResult([Measurement.Number("H4-01", 493973, "493,973 parameters")]);
        }
    }

    /// <summary>An experiment that finds what its training phase's resume file held, then writes it as a phase in progress would.</summary>
    sealed class Resuming : IExperiment
    {
        public List<string?> Found = [];
        public string Name => "test-resuming";
        public string Title => "looks for its resume file";
        public IReadOnlyList<string> Claims => ["H4-01"];
        public ExperimentResult Run(ExperimentContext context)
        {
            string path = context.TrainingResume(Name, "unit").Path;
            Found.Add(File.Exists(path) ? File.ReadAllText(path) : null);
            return new ExperimentResult([Measurement.Number("H4-01", 493973, "493,973 parameters")]);
        }
    }

    [Fact]
    public void Training_checkpoints_are_kept_for_a_resume_cleared_by_fresh_and_removed_once_the_result_is_stored()
    {
        string dir = Repo.TempDir("resume-files");
        var experiment = new Resuming();
        var context = new ExperimentContext(Profile.Quick, 1, 2, dir);
        string path = context.TrainingResume(experiment.Name, "unit").Path;
        Assert.StartsWith(Path.Combine(Path.GetFullPath(dir), "training", ResultStore.LibraryVersion, experiment.Name), Path.GetFullPath(path));

        // A stopped run left its phase's file: the next run finds it, and once its result is stored the training folder is gone.
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "phase in progress");
        ExperimentRunner.Run(experiment, context);
        Assert.Equal("phase in progress", experiment.Found[^1]);
        Assert.False(Directory.Exists(Path.Combine(dir, "training")));

        // --fresh (reuse: false) starts every phase from the beginning.
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "phase in progress");
        ExperimentRunner.Run(experiment, context, reuse: false);
        Assert.Null(experiment.Found[^1]);
    }

    [Fact]
    public void With_keep_training_the_phases_checkpoints_stay_after_the_result_is_stored_to_export_the_trained_models()
    {
        string dir = Repo.TempDir("resume-files-kept");
        var experiment = new Resuming();
        var context = new ExperimentContext(Profile.Quick, 1, 2, dir, KeepTraining: true);
        string path = context.TrainingResume(experiment.Name, "unit").Path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "the trained phase");
        ExperimentRunner.Run(experiment, context);
        Assert.Equal("the trained phase", File.ReadAllText(path));
        Assert.True(File.Exists(new ResultStore(dir).PathFor(experiment.Name, Profile.Quick, 1, 2)));
    }

    public static TheoryData<string, string, string> Damaged => new()
    {
        { "truncated", "{\"experiment\": \"test-counting\", \"profile\": \"quick\", \"measure", "is truncated" },
        { "empty", "", "is empty" },
        { "not JSON", "garbage\u0000\u0001", "not valid result JSON" },
        { "no fields", "{}", "lacks the experiment" },
        { "another experiment's", "{\"experiment\": \"other\", \"profile\": \"quick\", \"seed\": 1, \"libraryVersion\": \"x\", \"measurements\": [], \"figures\": [], \"tables\": []}", "holds the result of other" },
    };

    [Theory]
    [MemberData(nameof(Damaged))]
    public void A_damaged_result_is_recomputed_naming_the_file(string what, string content, string problem)
    {
        _ = what;
        string dir = Repo.TempDir("stored");
        var experiment = new Counting();
        var messages = new List<string>();
        var context = new ExperimentContext(Profile.Quick, 1, 2, dir, new SyncProgress(p => messages.Add(p.Status)));
        ExperimentRunner.Run(experiment, context);
        Assert.Equal(1, experiment.Runs);
        string path = new ResultStore(dir).PathFor(experiment.Name, Profile.Quick, 1, 2);
        ExperimentRunner.Run(experiment, context);
        Assert.Equal(1, experiment.Runs); // reused whole
        Assert.Empty(messages);

        File.WriteAllText(path, content);
        var again = ExperimentRunner.Run(experiment, context);
        Assert.Equal(2, experiment.Runs);
        Assert.Equal(493973, again.Measurements.Single().Value);
        var said = Assert.Single(messages);
        Assert.Contains(path, said);
        Assert.Contains(problem, said);
        Assert.Contains("recomputing", said);
        Assert.NotNull(new ResultStore(dir).TryLoad(experiment.Name, Profile.Quick, 1, 2)); // rewritten whole
    }

    [Fact]
    public void A_result_cut_anywhere_reads_as_truncated_and_a_whole_one_does_not()
    {
        // CI once cut a result where the JSON reader's message did not say "end of data" and the run called it
        // corrupt: whether it ends early is decided by reading the text as a block more data could follow.
        string dir = Repo.TempDir("stored");
        var experiment = new Counting();
        ExperimentRunner.Run(experiment, new ExperimentContext(Profile.Quick, 1, 2, dir, new SyncProgress(_ => { })));
        string path = new ResultStore(dir).PathFor(experiment.Name, Profile.Quick, 1, 2);
        string whole = File.ReadAllText(path);
        Assert.False(StoredResultCheck.EndsEarly(whole));
        Assert.Null(StoredResultCheck.Problem(path, experiment.Name, Profile.Quick, 1, out _));
        for (int cut = 1; cut < whole.TrimEnd().Length; cut++)
        {
            File.WriteAllText(path, whole[..cut]);
            string? problem = StoredResultCheck.Problem(path, experiment.Name, Profile.Quick, 1, out var result);
            Assert.Null(result);
            Assert.True(problem?.StartsWith("is truncated") == true || (problem?.StartsWith("is empty") == true && whole[..cut].Trim().Length == 0),
                $"cut at {cut} of {whole.Length} ('{whole[Math.Max(0, cut - 20)..cut]}'): {problem}");
        }
        Assert.False(StoredResultCheck.EndsEarly(whole.TrimEnd() + " x"));
        Assert.False(StoredResultCheck.EndsEarly("{\"a\": tru e}"));
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    sealed class SyncProgress(Action<ExperimentProgress> report) : IProgress<ExperimentProgress>
    {
        public void Report(ExperimentProgress value) => report(value);
    }
}
