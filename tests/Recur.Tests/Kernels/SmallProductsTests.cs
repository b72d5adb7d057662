using Recur.Kernels;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Kernels;

/// <summary>
/// <see cref="SmallProducts"/> against double-precision sums, on both paths (AVX2 where the machine has it, and the plain
/// loops), for row widths on and off multiples of eight, transposed coefficients, strides wider than the rows, and both
/// overwriting and accumulating; the floats between the rows must stay untouched.
/// </summary>
public sealed class SmallProductsTests
{
    private static float[] Random(int n, ulong seed) => TestData.Uniform(n, seed);

    [Theory]
    [InlineData(5, 28, 28, false, false)] // DRAW's F_Y img
    [InlineData(28, 5, 28, true, true)]   // F_Y^T Q, added to a canvas
    [InlineData(5, 5, 28, true, false)]
    [InlineData(1, 1, 1, false, true)]
    [InlineData(7, 3, 8, false, false)]
    [InlineData(6, 9, 17, true, true)]
    [InlineData(4, 2, 33, false, true)]
    public void RowsMatchDoubleSums(int m, int k, int w, bool transposed, bool accumulate)
    {
        int ars = transposed ? 1 : k + 2, acs = transposed ? m + 1 : 1, ldr = w + 3, ldc = w + 5;
        var a = Random(Math.Max((m - 1) * ars + (k - 1) * acs + 1, 1), 1);
        var r = Random(k * ldr, 2);
        foreach (bool plain in new[] { false, true })
        {
            var c = Random(m * ldc, 3);
            var expect = (float[])c.Clone();
            for (int i = 0; i < m; i++)
                for (int x = 0; x < w; x++)
                {
                    double s = 0;
                    for (int q = 0; q < k; q++) s += (double)a[i * ars + q * acs] * r[q * ldr + x];
                    expect[i * ldc + x] = (float)((accumulate ? c[i * ldc + x] : 0) + 0.75 * s);
                }
            SmallProducts.Rows(m, k, w, 0.75f, a, ars, acs, r, ldr, accumulate, c, ldc, plain);
            for (int i = 0; i < c.Length; i++) Assert.Equal(expect[i], c[i], 1e-5f * (1 + Math.Abs(expect[i])));
        }
    }

    [Theory]
    [InlineData(5, 5, 28, false)] // DRAW's glimpse
    [InlineData(5, 28, 28, true)] // dF_Y
    [InlineData(1, 1, 1, false)]
    [InlineData(3, 4, 8, true)]
    [InlineData(2, 3, 19, false)]
    [InlineData(4, 5, 40, true)]
    public void DotsMatchDoubleSums(int m, int n, int w, bool accumulate)
    {
        int ldu = w + 1, ldv = w + 4, ldc = n + 2;
        var u = Random(m * ldu, 4);
        var v = Random(n * ldv, 5);
        foreach (bool plain in new[] { false, true })
        {
            var c = Random(m * ldc, 6);
            var expect = (float[])c.Clone();
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int x = 0; x < w; x++) s += (double)u[i * ldu + x] * v[j * ldv + x];
                    expect[i * ldc + j] = (float)((accumulate ? c[i * ldc + j] : 0) - 1.5 * s);
                }
            SmallProducts.Dots(m, n, w, -1.5f, u, ldu, v, ldv, accumulate, c, ldc, plain);
            for (int i = 0; i < c.Length; i++) Assert.Equal(expect[i], c[i], 1e-5f * (1 + Math.Abs(expect[i])));
        }
    }

    [Fact]
    public void RejectsShortSpans()
    {
        Assert.Throws<ArgumentException>(() => SmallProducts.Rows(2, 3, 4, 1f, new float[5], 3, 1, new float[12], 4, false, new float[8], 4));
        Assert.Throws<ArgumentException>(() => SmallProducts.Dots(2, 3, 4, 1f, new float[8], 4, new float[11], 4, false, new float[6], 3));
    }
}
