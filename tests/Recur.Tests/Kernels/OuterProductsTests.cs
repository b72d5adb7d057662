using Recur.Kernels;
using Recur.Tests.TestUtil;
using Xunit;

namespace Recur.Tests.Kernels;

public sealed class OuterProductsTests
{
    private static float[] Random(int n, ulong seed) => TestData.Uniform(n, seed);

    [Theory]
    [InlineData(25, 65, 100)]  // min-char-rnn's dW_hy
    [InlineData(25, 100, 100)] // and dW_hh
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(7, 4, 32)]
    [InlineData(9, 6, 41)]
    [InlineData(2, 9, 70)]
    public void AddsTheTermsInTimeOrder(int k, int m, int n)
    {
        // strides wider than the rows, so a wrong stride shows
        int lda = m + 3, ldb = n + 2, ldc = n + 5;
        var a = Random(k * lda, 1);
        var b = Random(k * ldb, 2);
        var c = Random(m * ldc, 3);
        var expect = (float[])c.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int t = 0; t < k; t++)
                    expect[i * ldc + j] = MathF.FusedMultiplyAdd(a[t * lda + i], b[t * ldb + j], expect[i * ldc + j]);
        OuterProducts.AddTransposedProduct(k, m, n, a, lda, b, ldb, c, ldc);
        Assert.Equal(expect, c); // bit for bit, padding between rows untouched
    }

    [Fact]
    public void RejectsShortSpansAndNarrowStrides()
    {
        Assert.Throws<ArgumentException>(() => OuterProducts.AddTransposedProduct(2, 3, 4, new float[5], 3, new float[8], 4, new float[12], 4));
        Assert.Throws<ArgumentException>(() => OuterProducts.AddTransposedProduct(2, 3, 4, new float[6], 2, new float[8], 4, new float[12], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => OuterProducts.AddTransposedProduct(-1, 3, 4, new float[6], 3, new float[8], 4, new float[12], 4));
    }
}
