using Recur.Kernels;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Kernels;

public sealed class GemvTests
{
    private static float[] Random(int n, ulong seed) => TestData.Uniform(n, seed);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(4, 8)]
    [InlineData(5, 9)]
    [InlineData(9, 37)]
    [InlineData(17, 100)]
    [InlineData(64, 128)]
    [InlineData(8, 100)]
    [InlineData(100, 100)]
    [InlineData(13, 31)]
    [InlineData(65, 100)]
    public void MultiplyAddMatchesADoubleReference(int rows, int cols)
    {
        var a = Random(rows * cols, 1);
        var x = Random(cols, 2);
        var y = Random(rows, 3);
        var expect = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = y[r];
            for (int k = 0; k < cols; k++) s += (double)a[r * cols + k] * x[k];
            expect[r] = s;
        }
        Gemv.MultiplyAdd(a, rows, cols, x, y);
        for (int r = 0; r < rows; r++) Assert.True(Math.Abs(y[r] - expect[r]) <= 1e-5 * (1 + cols), $"row {r}: {y[r]} vs {expect[r]}");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(25, 100)]
    [InlineData(6, 41)]
    [InlineData(9, 64)]
    [InlineData(100, 100)]
    [InlineData(7, 65)]
    [InlineData(5, 127)]
    [InlineData(4, 128)]
    [InlineData(3, 136)]
    [InlineData(2, 15)]
    public void MultiplyAddTransposedMatchesADoubleReference(int rows, int cols)
    {
        var a = Random(rows * cols, 4);
        var x = Random(rows, 5);
        var y = Random(cols, 6);
        var expect = new double[cols];
        for (int k = 0; k < cols; k++)
        {
            double s = y[k];
            for (int r = 0; r < rows; r++) s += (double)a[r * cols + k] * x[r];
            expect[k] = s;
        }
        Gemv.MultiplyAddTransposed(a, rows, cols, x, y);
        for (int k = 0; k < cols; k++) Assert.True(Math.Abs(y[k] - expect[k]) <= 1e-5 * (1 + rows), $"col {k}: {y[k]} vs {expect[k]}");
    }

    [Fact]
    public void ARowsResultDoesNotDependOnHowTheRowsAreSplit()
    {
        const int rows = 29, cols = 45;
        var a = Random(rows * cols, 7);
        var x = Random(cols, 8);
        var whole = new float[rows];
        Gemv.MultiplyAdd(a, rows, cols, x, whole);
        foreach (int cut in new[] { 1, 2, 3, 5, 6, 8, 9, 13, 16 })
        {
            var parts = new float[rows];
            Gemv.MultiplyAdd(a.AsSpan(0, cut * cols), cut, cols, x, parts.AsSpan(0, cut));
            Gemv.MultiplyAdd(a.AsSpan(cut * cols), rows - cut, cols, x, parts.AsSpan(cut));
            Assert.Equal(whole, parts);
        }
    }

    [Theory]
    [InlineData(100, 100)]
    [InlineData(3, 71)]
    [InlineData(17, 200)]
    public void TransposedAddsTheRowsInOrder(int rows, int cols)
    {
        var a = Random(rows * cols, 9);
        var x = Random(rows, 10);
        var y = Random(cols, 11);
        var expect = (float[])y.Clone();
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < cols; k++) expect[k] = MathF.FusedMultiplyAdd(a[r * cols + k], x[r], expect[k]);
        Gemv.MultiplyAddTransposed(a, rows, cols, x, y);
        Assert.Equal(expect, y);
    }

    [Fact]
    public void RejectsShortSpans()
    {
        Assert.Throws<ArgumentException>(() => Gemv.MultiplyAdd(new float[5], 2, 3, new float[3], new float[2]));
        Assert.Throws<ArgumentException>(() => Gemv.MultiplyAdd(new float[6], 2, 3, new float[2], new float[2]));
        Assert.Throws<ArgumentException>(() => Gemv.MultiplyAddTransposed(new float[6], 2, 3, new float[2], new float[2]));
    }
}
