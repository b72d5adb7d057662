using Recur.Tasks.CharLm;
using Xunit;

namespace Recur.Tests.Tasks.CharLm;

/// <summary>
/// <see cref="ModelSizing"/> worked by hand: the widest width that sees at least 20 characters per parameter in the budget
/// and has at most one parameter per training character; dropout from the passes over the text.
/// (20 characters per parameter: <see cref="ModelSizing.CharsPerParameter"/>.)
/// </summary>
public class ModelSizingTests
{
    // Three widths: 100k, 400k and 900k parameters.
    private static SizeCandidate[] Widths(double c128, double c256, double c384) =>
        [new(256, 400_000, c256), new(128, 100_000, c128), new(384, 900_000, c384)];

    [Fact]
    public void TheWidestThatMeetsBothBoundsWins()
    {
        // Budget characters: 128 sees 100 per parameter, 256 sees 25 (>= 20), 384 sees 10 (< 20): 256. Data: 2M characters, all fit.
        var c = ModelSizing.Choose(Widths(10_000_000, 10_000_000, 9_000_000), 2_000_000);
        Assert.Equal(256, c.Hidden);
        Assert.Equal(400_000, c.Parameters);
        Assert.Equal(5.0, c.Epochs, 12);            // 10,000,000 / 2,000,000
        Assert.Equal(0.2, c.Dropout);               // 3 <= 5 < 8
        Assert.Contains(c.Reasons, r => r.Contains("not 384", StringComparison.Ordinal) && r.Contains("10.0 characters per parameter", StringComparison.Ordinal));
    }

    [Fact]
    public void TheDataBoundKeepsAWideModelOffASmallText()
    {
        // Every width has compute to spare (100 characters per parameter), but the text has 500,000 training characters:
        // 400k parameters fit, 900k do not. Epochs: 40M / 500k = 80 passes: dropout 0.4.
        var c = ModelSizing.Choose(Widths(10_000_000, 40_000_000, 90_000_000), 500_000);
        Assert.Equal(256, c.Hidden);
        Assert.Equal(80, c.Epochs, 12);
        Assert.Equal(0.4, c.Dropout);
        Assert.Contains(c.Reasons, r => r.Contains("not 384", StringComparison.Ordinal) && r.Contains("memorise", StringComparison.Ordinal));
    }

    [Fact]
    public void WhenNoWidthFitsTheNarrowestIsChosen()
    {
        // 128 sees 5 characters per parameter: below 20, and so is every other width.
        var c = ModelSizing.Choose(Widths(500_000, 500_000, 500_000), 10_000_000);
        Assert.Equal(128, c.Hidden);
        Assert.Equal(0.05, c.Epochs, 12);
        Assert.Equal(0.0, c.Dropout);
        Assert.Contains("narrowest", c.Reasons[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.5, 0.0)]
    [InlineData(1.0, 0.1)]
    [InlineData(2.99, 0.1)]
    [InlineData(3.0, 0.2)]
    [InlineData(7.9, 0.2)]
    [InlineData(8.0, 0.3)]
    [InlineData(19.9, 0.3)]
    [InlineData(20.0, 0.4)]
    public void DropoutGrowsWithThePasses(double epochs, double dropout) => Assert.Equal(dropout, ModelSizing.DropoutFor(epochs));

    [Fact]
    public void EmptyInputsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => ModelSizing.Choose([], 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelSizing.Choose(Widths(1, 1, 1), 0));
    }
}
