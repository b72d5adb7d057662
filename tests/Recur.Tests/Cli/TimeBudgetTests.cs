using Xunit;
using Recur.Cli;
using Recur.Training;

namespace Recur.Tests.Cli;

/// <summary><c>--minutes M</c> trains for M minutes: a default epoch or iteration cap never stops the run first.</summary>
public class TimeBudgetTests
{
    private static readonly TrainOptions Capped = new() { MaxEpochs = 10, MaxIters = 500 };

    private static TrainOptions Read(params string[] argv) => TrainingOptionsCli.Read(new Args(argv), Capped, TrainOptionSpecs.All);

    [Fact]
    public void MinutesAloneLiftsTheDefaultCaps()
    {
        var o = Read("--minutes", "20");
        Assert.Equal(20, o.Minutes);
        Assert.Equal(0, o.MaxEpochs);
        Assert.Equal(0, o.MaxIters);
    }

    [Fact]
    public void CapsGivenBesideMinutesStay()
    {
        var o = Read("--minutes", "20", "--max-epochs", "3");
        Assert.Equal(3, o.MaxEpochs);
        Assert.Equal(500, o.MaxIters);
        o = Read("--minutes", "20", "--max-iters", "40");
        Assert.Equal(10, o.MaxEpochs);
        Assert.Equal(40, o.MaxIters);
    }

    [Fact]
    public void WithoutMinutesTheDefaultCapsStay()
    {
        var o = Read("--hidden", "32");
        Assert.Equal(10, o.MaxEpochs);
        Assert.Equal(500, o.MaxIters);
        o = Read("--minutes", "0");
        Assert.Equal(10, o.MaxEpochs);
    }

    [Fact]
    public void OnResumeMinutesLiftsTheRecordedCaps()
    {
        var o = TrainingOptionsCli.Merge(Capped with { Minutes = 5 }, new Args(["--minutes", "30"]), TrainOptionSpecs.All);
        Assert.Equal((30.0, 0.0, 0L), (o.Minutes, o.MaxEpochs, o.MaxIters));
    }
}
