using System.Globalization;
using System.Text.Json;
using Recur.Data;
using Recur.Tasks.CharLm;
using Recur.Tests.Cli;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Export.PyTorch;

/// <summary>
/// A tiny character-LM run continued in PyTorch: the exported train.py's iterations equal Recur's own continuation
/// within 1e-4 (one worker, and two under torchrun with gloo, which agree); the result imported back scores, under
/// <c>recur eval</c>'s computation, what the package's eval.py scores, and resumes in Recur as Recur's own run does.
/// </summary>
[Collection("Console")]
public sealed class PyTorchTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-pytorch-train-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [SkippableFact]
    public void TrainingContinuesInPyTorchAndComesBack()
    {
        TorchPython.RequireTorch();
        string text = CliHarness.ShakespeareFile(_dir, 6000);
        string run = Path.Combine(_dir, "run"), own = Path.Combine(_dir, "own"), package = Path.Combine(_dir, "pkg");
        Ok(CliHarness.Run("train", text, "--hidden", "16", "--layers", "2", "--embed", "8", "--seq-length", "8", "--batch-size", "4", "--max-iters", "4",
            "--eval-every", "4", "--dropout", "0", "--threads", "1", "--sample-length", "0", "--out", run));
        Ok(CliHarness.Run("export", run, "--pytorch", package, "--latest"));
        CopyFolder(run, own);
        Ok(CliHarness.Run("train", "--resume", own, "--max-iters", "7", "--threads", "1", "--sample-length", "0"));
        var recur = Losses(File.ReadAllLines(Path.Combine(own, "metrics.jsonl")), "\"type\":\"train\"").Skip(4).ToArray();

        var one = Losses(TorchPython.Check(package, "train.py", "--iters", "3", "--max-iters", "7", "--out", Path.Combine(_dir, "one"), "--threads", "1")
            .Split('\n'), "\"type\": \"train\"");
        string two = Path.Combine(_dir, "two");
        string twoOut = TorchPython.Check(package, TorchPython.Torchrun(2, "train.py", "--iters", "3", "--max-iters", "7", "--out", two, "--eval"));
        var both = Losses(twoOut.Split('\n'), "\"type\": \"train\"");
        Assert.Equal(3, recur.Length);
        Assert.Equal(3, one.Length);
        Assert.Equal(3, both.Length);
        Assert.InRange(Math.Abs(one[0] - recur[0]), 0, 1e-4);
        for (int i = 0; i < 3; i++)
        {
            Assert.InRange(Math.Abs(one[i] - recur[i]), 0, 1e-4);
            Assert.InRange(Math.Abs(both[i] - one[i]), 0, 1e-4);
        }

        // Back: import the two-worker result, score it as recur eval does, and against the package's eval.py.
        string back = Path.Combine(_dir, "back");
        Ok(CliHarness.Run("import", two, "--into", back));
        var evalPy = JsonDocument.Parse(TorchPython.Check(two, "eval.py").Trim()).RootElement.GetProperty("loss").GetDouble();
        var ck = CharCheckpoint.Read(back);
        var tokens = ck.Vocabulary.Encode(Corpus.Load(text).Text);
        var splits = DataSplits.Create(tokens, 0.05, 0.05);
        double recurEval = CharLmTask.Evaluate(ck.Model, splits.Val, 4, 8);
        Assert.InRange(Math.Abs(recurEval - evalPy), 0, 1e-4);
        Assert.Contains(evalPy.ToString("F4", CultureInfo.InvariantCulture), CliHarness.Run("eval", back).Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(back, "latest", "state.safetensors")));

        // ... and it resumes in Recur as Recur's own continuation does.
        Ok(CliHarness.Run("train", "--resume", own, "--max-iters", "8", "--threads", "1", "--sample-length", "0"));
        Ok(CliHarness.Run("train", "--resume", back, "--max-iters", "8", "--threads", "1", "--sample-length", "0"));
        double ownEight = Losses(File.ReadAllLines(Path.Combine(own, "metrics.jsonl")), "\"type\":\"train\"")[^1];
        double backEight = Losses(File.ReadAllLines(Path.Combine(back, "metrics.jsonl")), "\"type\":\"train\"")[^1];
        Assert.InRange(Math.Abs(ownEight - backEight), 0, 1e-4);
        Assert.True(CliHarness.Run("import", two, "--into", back).ExitCode != 0, "importing over a run with checkpoints needs --force");
    }

    private static void Ok(CliHarness.Result r) => Assert.True(r.ExitCode == 0, r.ToString());

    private static double[] Losses(IEnumerable<string> lines, string kind) => lines.Where(l => l.Contains(kind, StringComparison.Ordinal))
        .Select(l => JsonDocument.Parse(l[l.IndexOf('{')..]).RootElement.GetProperty("loss").GetDouble()).ToArray();

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (string d in Directory.GetDirectories(from)) CopyFolder(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
