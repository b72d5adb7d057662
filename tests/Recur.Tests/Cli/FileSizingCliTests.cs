using Xunit;

namespace Recur.Tests.Cli;

/// <summary><c>recur train FILE</c> sizes the model when no size flag is given, says why, and leaves a given size alone.</summary>
[Collection("Console")]
public sealed class FileSizingCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-sizing-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void AFileWithoutSizeFlagsIsSizedAndTheChoiceExplained()
    {
        string text = CliHarness.ShakespeareFile(_dir, 40_000);
        // Two iterations of 32 x 64 characters: 4,096 characters, far below 20 per parameter for any width, and under
        // one pass over the 36,000 training characters: the narrowest width, no dropout. No timing (the budget is iterations).
        var r = CliHarness.Run("train", text, "--max-iters", "2", "--threads", "1", "--sample-length", "0", "--out", Path.Combine(_dir, "sized"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("sizing the model to", r.Out);
        Assert.DoesNotContain("timing each width", r.Out);
        Assert.Contains("narrowest width, 128", r.Out);
        Assert.Contains("model: 2 x 128 lstm, dropout 0.0, evaluating every 50 iterations", r.Out);
        Assert.Contains("lstm hidden 128 x 2 layer(s)", r.Out);

        var given = CliHarness.Run("train", text, "--max-iters", "2", "--hidden", "16", "--threads", "1", "--sample-length", "0",
            "--out", Path.Combine(_dir, "given"));
        Assert.True(given.ExitCode == 0, given.ToString());
        Assert.DoesNotContain("sizing the model", given.Out);
        Assert.Contains("lstm hidden 16 x 2 layer(s)", given.Out);
    }

    [Fact]
    public void WithoutAnyLimitAFileTrainsForTheDefaultMinutes()
    {
        string text = CliHarness.ShakespeareFile(_dir, 3000);
        // Too small a text to size (fewer than two batches of training characters); the budget is still made explicit.
        var r = CliHarness.Run("train", text, "--hidden", "8", "--layers", "1", "--seq-length", "8", "--batch-size", "2", "--max-iters", "1",
            "--threads", "1", "--sample-length", "0", "--out", Path.Combine(_dir, "limited"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain("budget: 10 minutes", r.Out);
        var options = Recur.Cli.TrainingOptionsCli.Read(new Recur.Cli.Args([]), new Recur.Training.TrainOptions(), Recur.Training.TrainOptionSpecs.All);
        var applied = Recur.Cli.Commands.FileSizing.Apply(options with { MaxEpochs = 50 }, new Recur.Cli.Args(["--hidden", "8"]), text);
        Assert.Equal((10.0, 0.0, 0L), (applied.Minutes, applied.MaxEpochs, applied.MaxIters));
    }
}
