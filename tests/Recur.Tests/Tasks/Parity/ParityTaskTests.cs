using System.Text.Json;
using Recur.Cli.Commands;
using Recur.IO;
using Recur.Tests.Cli;
using Xunit;

namespace Recur.Tests.Tasks.Parity;

/// <summary>
/// A task added as one folder (this one) and no command-line code: <see cref="TaskCommand"/> gives it train (new and
/// resumed, its own option declared once), eval on validation or test (refused where the data has no test split) and
/// usage; the generic definition gives it exact resume and checkpoints that load.
/// </summary>
public sealed class ParityTaskTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recur-parity-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static CliHarness.Result Recur(params string[] argv) => CliHarness.RunWith([new TaskCommand(ParityDefinition.Instance)], argv);

    [Fact]
    public void TrainsEvaluatesAndResumesThroughTheGenericCommand()
    {
        string run = Path.Combine(_dir, "run");
        var help = Recur("parity", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--window W", help.Out);
        Assert.Contains("(default 3)", help.Out);
        Assert.DoesNotContain("--embed", help.Out);

        var train = Recur("parity", "train", "300", "--window", "2", "--max-iters", "12", "--eval-every", "6", "--out", run);
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("validation: loss", train.Out);
        Assert.Contains("accuracy", train.Out);
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))))
        {
            Assert.Equal("validation", doc.RootElement.GetProperty("split").GetString());
            double accuracy = doc.RootElement.GetProperty("accuracy").GetDouble();
            Assert.InRange(accuracy, 0, 1);
        }
        var saved = ParityCheckpoint.Instance.Load(run, CheckpointKind.Latest);
        Assert.Equal(2, saved.Window);
        Assert.Equal("parity", CheckpointFiles.TaskOf(run));

        var eval = Recur("parity", "eval", run);
        Assert.True(eval.ExitCode == 0, eval.ToString());
        Assert.Contains("validation: loss", eval.Out);

        var refused = Recur("parity", "train", "--resume", run, "--window", "3");
        CliHarness.AssertCleanFailure(refused, "parity", "--window was fixed");

        var resumed = Recur("parity", "train", "--resume", run, "--max-iters", "16");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(16, ParityCheckpoint.Instance.Load(run, CheckpointKind.Latest).Progress!.Iteration);
        Assert.Equal(2, ParityCheckpoint.Instance.Load(run, CheckpointKind.Latest).Window);
    }

    [Fact]
    public void EvalScoresTheSplitItIsGivenAndATaskWithoutATestSplitSaysSo()
    {
        string run = Path.Combine(_dir, "run");
        var train = Recur("parity", "train", "300", "--max-iters", "6", "--eval-every", "6", "--out", run);
        Assert.True(train.ExitCode == 0, train.ToString());
        string evalJson = Path.Combine(run, "eval.json");
        (string Split, double Loss) Recorded()
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(evalJson));
            return (doc.RootElement.GetProperty("split").GetString()!, doc.RootElement.GetProperty("loss").GetDouble());
        }

        var validation = Recur("parity", "eval", run, "--split", "validation");
        Assert.True(validation.ExitCode == 0, validation.ToString());
        Assert.StartsWith("validation: loss", validation.Out);
        var (split, validationLoss) = Recorded();
        Assert.Equal("validation", split);

        var test = Recur("parity", "eval", run, "--split", "test");
        Assert.True(test.ExitCode == 0, test.ToString());
        Assert.StartsWith("test: loss", test.Out);
        Assert.Contains("accuracy", test.Out);
        var (testSplit, testLoss) = Recorded();
        Assert.Equal("test", testSplit);
        Assert.NotEqual(validationLoss, testLoss); // other strings were scored

        // The same run through a definition whose data has no test split: one line, a non-zero exit, eval.json untouched.
        var none = CliHarness.RunWith([new TaskCommand(ParityDefinition.WithoutTestSplit)], ["parity", "eval", run, "--split", "test"]);
        CliHarness.AssertCleanFailure(none, "parity", "the parity task's data has no test split");
        Assert.Equal(("test", testLoss), Recorded());
        var noneValidation = CliHarness.RunWith([new TaskCommand(ParityDefinition.WithoutTestSplit)], ["parity", "eval", run]);
        Assert.True(noneValidation.ExitCode == 0, noneValidation.ToString());
        Assert.StartsWith("validation: loss", noneValidation.Out);

        CliHarness.AssertCleanFailure(Recur("parity", "eval", run, "--split", "train"), "parity", "--split must be one of validation, test");
    }

    [Fact]
    public void AResumedRunIsBitIdenticalToAStraightOne()
    {
        var data = ParityDefinition.Instance.LoadData("200");
        var o = ParityDefinition.Instance.Defaults with { MaxIters = 14, EvalEvery = 5 };
        var settings = new ParitySettings { Window = 2 };
        var straight = ParityDefinition.Instance.Create(o, settings, data, "200");
        straight.Run();
        string run = Path.Combine(_dir, "split");
        var first = ParityDefinition.Instance.Create(o with { MaxIters = 6 }, settings, data, "200");
        first.OutputDirectory = run;
        first.Run();
        var second = ParityDefinition.Instance.Resume(ParityCheckpoint.Instance.Load(run, CheckpointKind.Latest), data, o);
        second.Run();
        Assert.Equal(straight.TrainLosses, second.TrainLosses);
        Assert.Equal(straight.Task.Store.Values, second.Task.Store.Values);
        var other = ParityDefinition.Instance.LoadData("201");
        var e = Assert.Throws<ArgumentException>(() => ParityDefinition.Instance.Resume(ParityCheckpoint.Instance.Load(run, CheckpointKind.Latest), other, o));
        Assert.Contains("not the one this run was trained on", e.Message);
    }
}
