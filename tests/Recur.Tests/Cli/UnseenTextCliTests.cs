using Xunit;

namespace Recur.Tests.Cli;

/// <summary>Text a character model never saw: <c>recur sample --prime</c>, <c>recur eval FILE</c>, <c>cells FILE</c>, <c>gradflow --text</c>.</summary>
[Collection("Console")]
public sealed class UnseenTextCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-unseen-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void ACharacterOutsideTheVocabularyGetsOneLineNamingItAndWhere()
    {
        string text = CliHarness.ShakespeareFile(_dir, 2000);
        string run = Path.Combine(_dir, "run");
        var t = CliHarness.Run("train", text, "--hidden", "8", "--layers", "1", "--embed", "4", "--seq-length", "8", "--batch-size", "2",
            "--max-iters", "1", "--eval-every", "1", "--threads", "1", "--sample-length", "0", "--out", run);
        Assert.True(t.ExitCode == 0, t.ToString());
        int v = Recur.Tasks.CharLm.CharCheckpoint.Read(run).Vocabulary.Count;

        var ok = CliHarness.Run("sample", run, "--prime", "To be", "--length", "5"); // sample writes to the process's stdout, not Console.Out
        Assert.True(ok.ExitCode == 0, ok.ToString());
        var bad = CliHarness.Run("sample", run, "--prime", "To bé🙂", "--length", "5");
        CliHarness.AssertCleanFailure(bad, "sample",
            $"--prime: character 'é' (U+00E9) at position 5 is not in the model's vocabulary of {v} characters", "'🙂' (U+1F642) at position 6");
        Assert.Equal("", bad.Out);

        string unseen = Path.Combine(_dir, "unseen.txt");
        File.WriteAllText(unseen, "First Citizen:\nBefore we proceed any further, hear me spe\u00e4k.\n");
        string where = $"{unseen}: character 'ä' (U+00E4) at line 2, column 43 is not in the model's vocabulary of {v} characters";
        CliHarness.AssertCleanFailure(CliHarness.Run("eval", run, unseen), "eval", where);
        CliHarness.AssertCleanFailure(CliHarness.Run("cells", run, unseen, "--out", Path.Combine(_dir, "cells")), "cells", where);
        CliHarness.AssertCleanFailure(CliHarness.Run("gradflow", "--checkpoint", run, "--text", unseen, "--out", Path.Combine(_dir, "gf")), "gradflow", where);
        var e = CliHarness.Run("eval", run, text);
        Assert.True(e.ExitCode == 0, e.ToString());
    }
}
