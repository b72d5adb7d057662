using Recur.Cli;
using Recur.Cli.Commands;
using Recur.Training;
using Xunit;

namespace Recur.Tests.Cli;

/// <summary>The budgets <c>recur train FILE</c> sizes for, and the default encoder's time counted in <c>--minutes</c>.</summary>
public class SizingBudgetTests
{
    [Fact]
    public void CharsInBudgetIsTheTightestLimit()
    {
        var o = new TrainOptions { BatchSize = 32, SeqLength = 64, MaxEpochs = 0, MaxIters = 0, Minutes = 2 };
        // 10,000 characters a second for 120 s, 90 % of it training: 1,080,000.
        Assert.Equal(1_080_000, FileSizing.CharsInBudget(o, 10_000, 5_000_000), 6);
        // 100 iterations of 32 x 64 = 204,800 characters come first.
        Assert.Equal(204_800, FileSizing.CharsInBudget(o with { MaxIters = 100 }, 10_000, 5_000_000), 6);
        // Half an epoch of 1,000,000 characters.
        Assert.Equal(500_000, FileSizing.CharsInBudget(o with { MaxEpochs = 0.5 }, 10_000, 1_000_000), 6);
    }

    [Fact]
    public void TheEncodersMinutesComeOffTheBudget()
    {
        var o = new TrainOptions { Minutes = 45 };
        Assert.Equal(36, SceneCli.LeftAfterEncoder(o, 9 * 60).Minutes, 9);
        Assert.Equal(45, SceneCli.LeftAfterEncoder(o, 0).Minutes);                          // reused: the whole budget
        Assert.Equal(0, SceneCli.LeftAfterEncoder(o with { Minutes = 0 }, 600).Minutes);    // no time budget: nothing to take from
        var e = Assert.Throws<CliException>(() => SceneCli.LeftAfterEncoder(o with { Minutes = 5 }, 4.5 * 60));
        Assert.Contains("less than a minute", e.Message, StringComparison.Ordinal);
    }
}
