using Recur.Models.Glimpse;
using Xunit;

namespace Recur.Tests.Models.Glimpse;

/// <summary>The retina against cases worked by hand, on a 4x4 image holding 1..16 row by row (g = 2, k = 2).</summary>
public sealed class GlimpseSensorTests
{
    //  1  2  3  4
    //  5  6  7  8
    //  9 10 11 12
    // 13 14 15 16
    private static readonly float[] Image = Enumerable.Range(1, 16).Select(v => (float)v).ToArray();

    private static float[] Read(float lx, float ly, int width = 4)
    {
        var glimpse = new float[2 * 2 * 2];
        GlimpseSensor.Read(Image, 16 / width, width, lx, ly, patch: 2, scales: 2, glimpse);
        return glimpse;
    }

    /// <summary>
    /// l = (0, 0): centre pixel (row, column) = (⌊0.5·4⌋, ⌊0.5·4⌋) = (2, 2). Scale 0, 2 wide from 2 - 1 = 1: rows and
    /// columns 1..2, [6 7; 10 11]. Scale 1, 4 wide from 2 - 2 = 0: the whole image in 2x2 blocks, (1+2+5+6)/4 = 3.5,
    /// (3+4+7+8)/4 = 5.5, (9+10+13+14)/4 = 11.5, (11+12+15+16)/4 = 13.5.
    /// </summary>
    [Fact]
    public void TheCentreReadsTheMiddleAndTheWholeImagePooled()
        => Assert.Equal([6f, 7f, 10f, 11f, 3.5f, 5.5f, 11.5f, 13.5f], Read(0f, 0f));

    /// <summary>
    /// l = (0.5, -0.5): l_x picks the column ⌊0.75·4⌋ = 3, l_y the row ⌊0.25·4⌋ = 1. Scale 0: rows 0..1, columns 2..3,
    /// [3 4; 7 8]. Scale 1: rows -1..2, columns 1..4, zero outside: block (rows -1..0, cols 1..2) = (0+0+2+3)/4 = 1.25,
    /// (rows -1..0, cols 3..4) = (0+0+4+0)/4 = 1, (rows 1..2, cols 1..2) = (6+7+10+11)/4 = 8.5,
    /// (rows 1..2, cols 3..4) = (8+0+12+0)/4 = 5.
    /// </summary>
    [Fact]
    public void AnOffCentreLocationPadsWithZerosAndKeepsTheAxesApart()
        => Assert.Equal([3f, 4f, 7f, 8f, 1.25f, 1f, 8.5f, 5f], Read(0.5f, -0.5f));

    /// <summary>
    /// l = (-1, -1): the top-left pixel (0, 0). Scale 0: rows and columns -1..0, [0 0; 0 1]. Scale 1: rows and columns
    /// -2..1: three blocks wholly outside (0) and (1+2+5+6)/4 = 3.5.
    /// </summary>
    [Fact]
    public void TheTopLeftCornerIsMinusOneMinusOne()
        => Assert.Equal([0f, 0f, 0f, 1f, 0f, 0f, 0f, 3.5f], Read(-1f, -1f));

    /// <summary>
    /// l = (1, 1) maps to pixel (4, 4), just outside: scale 0 reads rows and columns 3..4, [16 0; 0 0]; scale 1 rows and
    /// columns 2..5: (11+12+15+16)/4 = 13.5 and zeros.
    /// </summary>
    [Fact]
    public void TheBottomRightBorderIsHalfOutside()
        => Assert.Equal([16f, 0f, 0f, 0f, 13.5f, 0f, 0f, 0f], Read(1f, 1f));

    /// <summary>
    /// A non-square image: the same 16 values as 2 rows of 8. l = (-0.5, 0.5): column ⌊0.25·8⌋ = 2, row ⌊0.75·2⌋ = 1.
    /// Scale 0: rows 0..1, columns 1..2, [2 3; 10 11]. Scale 1: rows -1..2, columns 0..3: (0+0+1+2)/4 = 0.75,
    /// (0+0+3+4)/4 = 1.75, (9+10+0+0)/4 = 4.75, (11+12+0+0)/4 = 5.75.
    /// </summary>
    [Fact]
    public void ANonSquareImageMapsEachAxisToItsOwnSize()
        => Assert.Equal([2f, 3f, 10f, 11f, 0.75f, 1.75f, 4.75f, 5.75f], Read(-0.5f, 0.5f, width: 8));

    [Fact]
    public void CentreIsTheFloorOfTheScaledLocation()
    {
        Assert.Equal(0, GlimpseSensor.Centre(-1f, 10));
        Assert.Equal(5, GlimpseSensor.Centre(0f, 10));
        Assert.Equal(6, GlimpseSensor.Centre(0f, 13));
        Assert.Equal(2, GlimpseSensor.Centre(-0.5f, 10));   // 2.5
        Assert.Equal(9, GlimpseSensor.Centre(0.999f, 10));  // 9.995
        Assert.Throws<ArgumentException>(() => GlimpseSensor.Centre(float.NaN, 10));
    }

    [Fact]
    public void WrongLengthsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => GlimpseSensor.Read(Image, 4, 4, 0f, 0f, 2, 2, new float[7]));
        Assert.Throws<ArgumentException>(() => GlimpseSensor.Read(Image, 3, 4, 0f, 0f, 2, 2, new float[8]));
    }
}
