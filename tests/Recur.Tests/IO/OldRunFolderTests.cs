using Recur.Data;
using Recur.IO;
using Recur.Tasks.CharLm;
using Recur.Training;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.IO;

/// <summary>A run folder from before the redesign (Fixtures/oldrun, written by commit cb84504) loads, evaluates and resumes.</summary>
public sealed class OldRunFolderTests : IDisposable
{
    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "oldrun");

    private readonly string _copy = Path.Combine(Path.GetTempPath(), "recur-oldrun-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_copy)) Directory.Delete(_copy, recursive: true);
    }

    [Fact]
    public void LoadsAsACharacterModelAndScoresWhatItRecorded()
    {
        string run = Path.Combine(Dir, "run");
        Assert.Equal(CharCheckpoint.TaskName, CheckpointFiles.TaskOf(run));
        var ck = CharCheckpoint.Read(run);
        Assert.Equal("lstm", ck.Config.Cell);
        var text = Corpus.Load(Path.Combine(Dir, "text.txt"));
        var tokens = ck.Vocabulary.Encode(text.Text);
        var splits = DataSplits.Create(tokens, ck.Training!.ValFrac, ck.Training.TestFrac);
        double val = CharLmTask.Evaluate(ck.Model, splits.Val, ck.Training.BatchSize, ck.Training.SeqLength);
        Assert.Equal(ck.Progress!.ValLoss!.Value, val, 6);
    }

    [Fact]
    public void ResumesBitForBitAsTheNewCodeRunsStraight()
    {
        // The old run stopped at iteration 6; continued to 10 with today's code it must equal a fresh 10-iteration run.
        CopyDirectory(Path.Combine(Dir, "run"), _copy);
        var ck = CharCheckpoint.Read(_copy, CheckpointKind.Latest);
        var text = Corpus.Load(Path.Combine(Dir, "text.txt"));
        var tokens = ck.Vocabulary.Encode(text.Text);
        var o = ck.Training! with { MaxIters = 10 };
        var resumed = CharRuns.Resume(ck, tokens, o);
        resumed.Run();
        var straight = CharRuns.New(o with { ForgetBias = 1 }, ck.Vocabulary, tokens); // the old default start
        straight.Run();
        Assert.Equal(straight.TrainLosses, resumed.TrainLosses);
        Assert.Equal(straight.Model.Store.Values, resumed.Model.Store.Values);
        // and the resumed run writes the new config with its task
        Assert.Contains("\"task\": \"char-lm\"", File.ReadAllText(Path.Combine(_copy, "latest", CheckpointFiles.ConfigFile)));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, f.Replace(from, to));
    }
}
