using Raccoon.Research.Experiments;
using Raccoon.Research.Ledger;
using Raccoon.Research.Reporting;
using Raccoon.Research.Views;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Experiments;

/// <summary>A notebook's settings from its first cell, and a stored-only session that never computes (no torch: nothing
/// here loads libtorch or runs an experiment).</summary>
[Collection(nameof(NotebookSessionTests))] // the session's settings are process-wide
public class NotebookSessionTests
{
    [Fact]
    public void Settings_given_in_the_notebook_win_over_the_defaults_and_are_described()
    {
        string dir = Repo.TempDir("nb-session");
        try
        {
            NotebookSession.Use(profile: Profile.Quick, seed: 4, threads: 1, outDir: dir);
            Assert.Equal((Profile.Quick, 4, 1, dir, false), (NotebookSession.Profile, NotebookSession.Seed, NotebookSession.Threads, NotebookSession.OutDir, NotebookSession.StoredOnly));
            Assert.Equal($"profile quick, seed 4, 1 threads, results in {dir}", NotebookSession.Describe());
            NotebookSession.Use(storedOnly: true, outDir: dir);
            Assert.Equal((Profile.Standard, 1), (NotebookSession.Profile, NotebookSession.Seed)); // not given again: the defaults
            Assert.EndsWith("(stored only: nothing is computed)", NotebookSession.Describe());
            Assert.Throws<ArgumentOutOfRangeException>(() => NotebookSession.Use(threads: 0));
        }
        finally
        {
            NotebookSession.Use();
        }
    }

    [Fact]
    public void A_stored_only_session_reuses_a_stored_result_and_refuses_to_compute_a_missing_one()
    {
        string dir = Repo.TempDir("nb-stored-only");
        try
        {
            NotebookSession.Use(profile: Profile.Quick, seed: 5, threads: 2, storedOnly: true, outDir: dir);
            var plan = NotebookSession.Plan("latent-ode-cost", "latent-ode-structure");
            Assert.Equal(["not stored", "not stored"], plan.Rows.Select(r => r[2]));
            Assert.Equal(Sharding.Cost("latent-ode-cost", Profile.Quick).ToString("0", System.Globalization.CultureInfo.InvariantCulture), plan.Rows[0][3]);

            var e = Assert.Throws<InvalidOperationException>(() => NotebookSession.Run("latent-ode-cost"));
            Assert.StartsWith($"latent-ode-cost: no stored result in {Path.Combine(dir, "results")} for profile quick, seed 5, 2 threads, and the session is stored-only", e.Message);

            var stored = new StoredResult("latent-ode-cost", Profile.Quick, 5, ResultStore.LibraryVersion, 2, DateTimeOffset.UnixEpoch, 12,
                [Measurement.Number("T1-09", 45, "45% less memory")], [], []);
            new ResultStore(dir).Save(stored);
            var again = NotebookSession.Run("latent-ode-cost");
            Assert.Equal(45, again.Claim("T1-09").Measured!.Value);
            Assert.Equal(["stored", "not stored"], NotebookSession.Plan("latent-ode-cost", "latent-ode-structure").Rows.Select(r => r[2]));

            // A result of another build is not reused: the session says a rebuild invalidated it.
            new ResultStore(dir).Save(stored with { LibraryVersion = "0123456789ab" });
            var rebuilt = Assert.Throws<InvalidOperationException>(() => NotebookSession.Run("latent-ode-cost"));
            Assert.Contains("the stored result is from another build of the library (0123456789ab", rebuilt.Message);
            Assert.Equal("stored by another build: recomputed", NotebookSession.Plan("latent-ode-cost").Rows[0][2]);
        }
        finally
        {
            NotebookSession.Use();
        }
    }

    [Fact]
    public void A_stored_only_session_takes_a_merged_result_of_any_thread_count_of_this_build()
    {
        // After `reproduce --merge`, each result keeps its shard's thread count (here 7), whatever the session's own.
        string dir = Repo.TempDir("nb-stored-merged");
        try
        {
            var stored = new StoredResult("latent-ode-cost", Profile.Quick, 5, ResultStore.LibraryVersion, 7, DateTimeOffset.UnixEpoch, 12,
                [Measurement.Number("T1-09", 45, "45% less memory")], [], []);
            new ResultStore(dir).Save(stored);
            new ResultStore(dir).Save(stored with { LibraryVersion = "0123456789ab", Threads = 3, FinishedAt = DateTimeOffset.UtcNow });
            NotebookSession.Use(profile: Profile.Quick, seed: 5, threads: 2, storedOnly: true, outDir: dir);
            Assert.Equal(7, NotebookSession.Run("latent-ode-cost").Threads); // another build's result never counts
            Assert.Equal("stored", NotebookSession.Plan("latent-ode-cost").Rows[0][2]);
            // A session that may compute keeps to its own thread count (timings depend on it): it would compute.
            NotebookSession.Use(profile: Profile.Quick, seed: 5, threads: 2, outDir: dir);
            Assert.Equal("not stored", NotebookSession.Plan("latent-ode-cost").Rows[0][2]);
        }
        finally
        {
            NotebookSession.Use();
        }
    }

    const string NotRun = "latent-ode-cost: not run in this reproduction (it selected only G3-06): run `reproduce` without --only, or open the notebook to compute it";

    [Fact]
    public void A_run_of_selected_claims_shows_an_experiment_neither_selected_nor_stored_as_not_run_and_computes_nothing()
    {
        // What the notebooks of `reproduce --only G3-06` run with (RACCOON_ONLY=G3-06).
        string dir = Repo.TempDir("nb-only");
        try
        {
            NotebookSession.Use(profile: Profile.Quick, seed: 5, threads: 2, outDir: dir, only: ["G3-06"]);
            Assert.EndsWith("(only G3-06 selected: nothing is computed)", NotebookSession.Describe());
            Assert.Equal(["not selected: not run", "not stored"], NotebookSession.Plan("latent-ode-cost", "glyph-cnn-training").Rows.Select(r => r[2]));

            var cost = NotebookSession.Run("latent-ode-cost");
            Assert.Equal(NotRun, cost.NotRun);
            // Its tables, figures and cards say so in their place: no rows, no chart, no plotly.js.
            var table = cost.Table("qkv-layout");
            Assert.Equal((NotRun, 0, "qkv-layout"), (table.ToNotebookText(), table.Rows.Count, table.Key));
            Assert.Contains(Html.Escape(NotRun), table.ToNotebookHtml());
            var figure = cost.Figure("attention-time");
            Assert.Equal(NotRun, figure.ToNotebookText());
            Assert.DoesNotContain("plotly", ((INotebookView)figure).ToNotebookHtml(), StringComparison.OrdinalIgnoreCase);
            Assert.Contains(Html.Escape(NotRun), ((INotebookView)figure).ToNotebookHtml());
            var card = cost.Claim("T1-05");
            Assert.Equal(Verdict.NotRun, card.Verdict);
            Assert.Contains("measured: " + NotRun, card.ToText());
            Assert.Contains(Html.Escape(NotRun), card.ToHtml());
            // A claim the experiment does not measure is still an error naming what it measures.
            Assert.Contains("measures T1-04, T1-05", Assert.Throws<KeyNotFoundException>(() => cost.Claim("G3-06")).Message);
            // The notebook's closing table: a not-run row for each of the experiment's claims.
            var rows = LedgerView.Of(cost);
            Assert.Equal(ExperimentRegistry.Get("latent-ode-cost").Claims, rows.Rows.Select(r => r.Id));
            Assert.All(rows.Rows, r => Assert.Equal((Verdict.NotRun, NotRun), (r.Verdict, r.Measured)));
            Assert.Equal(rows.Rows.Count, rows.ToDataFrame().OrderBy("factor").Rows.Count);
            Assert.False(Directory.Exists(Path.Combine(dir, "results")) && Directory.EnumerateFiles(Path.Combine(dir, "results")).Any());
        }
        finally
        {
            NotebookSession.Use();
        }
    }

    [Fact]
    public void A_run_of_selected_claims_shows_a_stored_unselected_result_and_fails_on_a_selected_one_missing()
    {
        string dir = Repo.TempDir("nb-only-stored");
        try
        {
            // Stored by an earlier run of this build with another thread count: shown, as a session that does not compute takes any.
            new ResultStore(dir).Save(new StoredResult("latent-ode-cost", Profile.Quick, 5, ResultStore.LibraryVersion, 7, DateTimeOffset.UnixEpoch, 12,
                [Measurement.Number("T1-09", 45, "45% less memory")], [], []));
            NotebookSession.Use(profile: Profile.Quick, seed: 5, threads: 2, outDir: dir, only: ["G3-06"]);
            var cost = NotebookSession.Run("latent-ode-cost");
            Assert.Null(cost.NotRun);
            Assert.Equal(45, cost.Claim("T1-09").Measured!.Value);
            Assert.Equal("stored", NotebookSession.Plan("latent-ode-cost").Rows[0][2]);

            // A selected experiment the run did not store (it crashed) is an error naming it, not a notice.
            var e = Assert.Throws<InvalidOperationException>(() => NotebookSession.Run("glyph-cnn-training"));
            Assert.StartsWith($"glyph-cnn-training: no stored result in {Path.Combine(dir, "results")} for profile quick, seed 5, 2 threads, " +
                "though the run selected it (RACCOON_ONLY: G3-06)", e.Message);
            // A merge of selected claims (stored-only too): a lost shard's result still fails by name.
            NotebookSession.Use(profile: Profile.Quick, seed: 5, threads: 2, outDir: dir, only: ["G3"], storedOnly: true);
            Assert.Contains("the session is stored-only", Assert.Throws<InvalidOperationException>(() => NotebookSession.Run("glyph-cnn-speed")).Message);
            Assert.StartsWith("language-models-cost: not run in this reproduction (it selected only G3)", NotebookSession.Run("language-models-cost").NotRun);
            // Without a selection, stored-only fails on any missing result.
            NotebookSession.Use(profile: Profile.Quick, seed: 5, threads: 2, outDir: dir, storedOnly: true);
            Assert.Contains("the session is stored-only", Assert.Throws<InvalidOperationException>(() => NotebookSession.Run("language-models-cost")).Message);
            Assert.Contains("unknown claim ID or prefix: X9", Assert.Throws<ArgumentException>(() => NotebookSession.Use(only: ["X9"])).Message);
        }
        finally
        {
            NotebookSession.Use();
        }
    }
}
