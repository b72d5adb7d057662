using Recur.Kernels;
using Xunit;

namespace Recur.Tests.Kernels;

public sealed class GemmTests
{
    public static IEnumerable<object[]> Isas()
    {
        foreach (GemmIsa isa in Enum.GetValues<GemmIsa>())
            if (Gemm.IsSupported(isa)) yield return [(int)isa];
    }

    public static IEnumerable<object[]> ShapeCases()
    {
        int[][] shapes =
        [
            [1, 1, 1], [7, 13, 5], [33, 65, 129], [8, 32, 256], [9, 33, 257], [6, 16, 1],
            [129, 31, 513], [130, 17, 40], [3, 2050, 7], [40, 100, 300], [12, 40, 33], [50, 70, 300],
        ];
        foreach (var isa in Isas())
            foreach (var s in shapes)
                for (int t = 0; t < 4; t++)
                    yield return [isa[0], s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0];
    }

    private static float[] Random(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[count];
        rng.FillUniform(x, -1f, 1f);
        return x;
    }

    /// <summary>Double-precision reference and a rigorous-ish error bound for each element.</summary>
    private static (double[] Value, double[] Bound) Reference(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        var value = new double[m * n];
        var bound = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, sAbs = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA ? a[p * lda + i] : a[i * lda + p];
                    double bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    s += av * bv;
                    sAbs += Math.Abs(av * bv);
                }
                double old = beta == 0f ? 0 : (double)beta * c[i * ldc + j];
                value[i * n + j] = alpha * s + old;
                bound[i * n + j] = 2.0 * (k + 4) * Math.Pow(2, -24) * (Math.Abs(alpha) * sAbs + Math.Abs(old)) + 1e-30;
            }
        return (value, bound);
    }

    private static void Run(GemmIsa isa, bool transA, bool transB, int m, int n, int k, float alpha, float beta,
        int padA, int padB, int padC, int threads, ulong seed, bool nanInC = false)
    {
        int lda = (transA ? m : k) + padA, ldb = (transB ? k : n) + padB, ldc = n + padC;
        int aRows = transA ? k : m, bRows = transB ? n : k;
        var a = Random(Math.Max(1, aRows * lda), seed);
        var b = Random(Math.Max(1, bRows * ldb), seed + 1);
        var c = Random(Math.Max(1, m * ldc), seed + 2);
        if (nanInC) Array.Fill(c, float.NaN);
        var c0 = (float[])c.Clone();
        var (want, bound) = Reference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c0, ldc);

        Gemm.Sgemm(isa, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double got = c[i * ldc + j], err = Math.Abs(got - want[i * n + j]);
                Assert.True(err <= bound[i * n + j],
                    $"{isa} tA={transA} tB={transB} ({m},{n},{k}) C[{i},{j}]={got}, want {want[i * n + j]}, err {err} > {bound[i * n + j]}");
            }
            for (int j = n; j < ldc; j++)
                Assert.Equal(c0[i * ldc + j].ToString("R"), c[i * ldc + j].ToString("R")); // padding untouched
        }
    }

    [Theory]
    [MemberData(nameof(ShapeCases))]
    public void MatchesDoubleReference(int isaId, int m, int n, int k, bool transA, bool transB)
        => Run((GemmIsa)isaId, transA, transB, m, n, k, 1f, 0f, 0, 0, 0, 1, (ulong)(m * 1000 + n * 10 + k));

    [Theory]
    [MemberData(nameof(Isas))]
    public void LeadingDimensionsLargerThanWidth(int isaId)
    {
        var isa = (GemmIsa)isaId;
        for (int t = 0; t < 4; t++)
            Run(isa, (t & 1) != 0, (t & 2) != 0, 19, 37, 41, 1f, 1f, 3, 5, 7, 1, 11);
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void AlphaBetaVariants(int isaId)
    {
        var isa = (GemmIsa)isaId;
        (float Alpha, float Beta)[] cases = [(1f, 1f), (-0.5f, 2f), (2f, 0f), (1f, -1f), (0.25f, 0.5f)];
        foreach (var (alpha, beta) in cases)
            for (int t = 0; t < 4; t++)
                Run(isa, (t & 1) != 0, (t & 2) != 0, 13, 45, 300, alpha, beta, 1, 0, 2, 1, 5);
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void BetaZeroIgnoresNaNInC(int isaId)
    {
        var isa = (GemmIsa)isaId;
        Run(isa, false, true, 10, 40, 20, 1f, 0f, 0, 0, 0, 1, 3, nanInC: true);
        Run(isa, true, false, 10, 40, 600, 0.5f, 0f, 0, 0, 0, 2, 3, nanInC: true); // several K blocks
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void ZeroKOrZeroAlphaOnlyScalesC(int isaId)
    {
        var isa = (GemmIsa)isaId;
        var c = new[] { 1f, 2f, 3f, 4f, 5f, 6f };
        Gemm.Sgemm(isa, false, false, 2, 3, 0, 1f, [], 1, [], 3, 2f, c, 3, 1);
        Assert.Equal(new[] { 2f, 4f, 6f, 8f, 10f, 12f }, c);

        var nan = new[] { float.NaN, float.NaN, float.NaN, float.NaN };
        Gemm.Sgemm(isa, false, false, 2, 2, 0, 1f, [], 1, [], 2, 0f, nan, 2, 1);
        Assert.Equal(new[] { 0f, 0f, 0f, 0f }, nan);

        var a = new[] { float.NaN, 1f, 1f, 1f };
        var d = new[] { 1f, 2f, 3f, 4f };
        Gemm.Sgemm(isa, false, false, 2, 2, 2, 0f, a, 2, a, 2, 3f, d, 2, 1);
        Assert.Equal(new[] { 3f, 6f, 9f, 12f }, d);
    }

    private static float[] Product(GemmIsa isa, bool transA, bool transB, int m, int n, int k, float beta, int threads,
        PackedMatrix? packed = null)
    {
        int lda = transA ? m : k, ldb = transB ? k : n;
        var a = Random(m * k, 21);
        var b = Random(k * n, 22);
        var c = Random(m * n, 23);
        if (packed is null)
        {
            Gemm.Sgemm(isa, transA, transB, m, n, k, 0.75f, a, lda, b, ldb, beta, c, n, threads);
        }
        else
        {
            Gemm.PackB(isa, transB, k, n, b, ldb, packed);
            Gemm.Sgemm(transA, m, 0.75f, a, lda, packed, beta, c, n, threads);
        }
        return c;
    }

    private static void AssertBitIdentical(float[] want, float[] got, string what)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(want[i]) == BitConverter.SingleToInt32Bits(got[i]),
                $"{what}: element {i} differs: {want[i]:R} vs {got[i]:R}");
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void BitIdenticalForEveryThreadCount(int isaId)
    {
        var isa = (GemmIsa)isaId;
        // Wide (split along N) and tall (split along M) products, each large enough to run in parallel;
        // the last is tall with op(B) large enough for the parts to share one packing of it.
        int[][] shapes = [[37, 300, 280], [301, 45, 270], [301, 260, 270]];
        foreach (var s in shapes)
            for (int t = 0; t < 4; t++)
            {
                bool tA = (t & 1) != 0, tB = (t & 2) != 0;
                var one = Product(isa, tA, tB, s[0], s[1], s[2], 0.5f, 1);
                foreach (int threads in new[] { 2, 3, 0 })
                    AssertBitIdentical(one, Product(isa, tA, tB, s[0], s[1], s[2], 0.5f, threads), $"{isa} threads={threads} {tA}/{tB}");
            }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void PackedPathEqualsUnpacked(int isaId)
    {
        var isa = (GemmIsa)isaId;
        var reused = new PackedMatrix();
        int[][] shapes = [[33, 130, 513], [8, 64, 32], [5, 3, 2], [70, 260, 300]];
        foreach (var s in shapes)
            for (int t = 0; t < 4; t++)
            {
                bool tA = (t & 1) != 0, tB = (t & 2) != 0;
                foreach (float beta in new[] { 0f, 1f, 0.5f })
                    foreach (int threads in new[] { 1, 2 })
                    {
                        var want = Product(isa, tA, tB, s[0], s[1], s[2], beta, threads);
                        AssertBitIdentical(want, Product(isa, tA, tB, s[0], s[1], s[2], beta, threads, new PackedMatrix()), $"{isa} fresh pack");
                        AssertBitIdentical(want, Product(isa, tA, tB, s[0], s[1], s[2], beta, threads, reused), $"{isa} reused pack");
                        Assert.Equal(s[2], reused.K);
                        Assert.Equal(s[1], reused.N);
                    }
            }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void ReadingAInPlaceGivesThePackedBits(int isaId)
    {
        // Up to GemmDriver.DirectARows rows, A is read where it lies; above, it is packed. The rows of a
        // small product must equal, bit for bit, the same rows inside a tall one.
        var isa = (GemmIsa)isaId;
        const int tall = 150, n = 70, k = 300;
        foreach (bool tA in new[] { false, true })
            foreach (bool tB in new[] { false, true })
                foreach (int m in new[] { 50, 45, 64, 3, 1 })
                {
                    int ldaTall = tA ? tall : k, lda = tA ? m : k, ldb = tB ? k : n;
                    var aTall = Random(tall * k, 31);
                    var b = Random(k * n, 32);
                    var a = new float[m * k]; // the first m rows of op(A)
                    for (int i = 0; i < m; i++)
                        for (int p = 0; p < k; p++)
                            a[tA ? p * lda + i : i * lda + p] = aTall[tA ? p * ldaTall + i : i * ldaTall + p];
                    var cTall = new float[tall * n];
                    var c = new float[m * n];
                    Gemm.Sgemm(isa, tA, tB, tall, n, k, 1f, aTall, ldaTall, b, ldb, 0f, cTall, n, 1);
                    Gemm.Sgemm(isa, tA, tB, m, n, k, 1f, a, lda, b, ldb, 0f, c, n, 1);
                    AssertBitIdentical(cTall[..(m * n)], c, $"{isa} m={m} {tA}/{tB}");
                }
    }

    [Fact]
    public void PublicPackBMatchesUnpackedSgemm()
    {
        const int m = 32, k = 128, n = 512;
        var h = Random(m * k, 1);
        var w = Random(n * k, 2); // (4H, H) PyTorch layout
        var want = new float[m * n];
        var got = new float[m * n];
        Array.Fill(got, float.NaN);
        Gemm.Sgemm(false, true, m, n, k, 1f, h, k, w, k, 0f, want, n);
        var packed = Gemm.PackB(true, k, n, w, k);
        Gemm.Sgemm(false, m, 1f, h, k, packed, 0f, got, n, threads: 2);
        AssertBitIdentical(want, got, "public packed");
        Assert.True(packed.PackedLength >= k * n);
    }

    [Fact]
    public void BadArgumentsNameTheArgument()
    {
        var x = new float[100];
        Assert.Equal("m", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, -1, 2, 2, 1f, x, 2, x, 2, 0f, x, 2)).ParamName);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 2, -1, 2, 1f, x, 2, x, 2, 0f, x, 2)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 2, 2, -1, 1f, x, 2, x, 2, 0f, x, 2)).ParamName);
        Assert.Equal("lda", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, x, 2, x, 2, 0f, x, 2)).ParamName);
        Assert.Equal("ldb", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, true, 2, 2, 3, 1f, x, 3, x, 2, 0f, x, 2)).ParamName);
        Assert.Equal("ldc", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 5, 3, 1f, x, 3, x, 5, 0f, x, 4)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 20, 2, 10, 1f, x, 10, x, 2, 0f, x, 2)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(true, false, 2, 20, 10, 1f, x, 2, x, 20, 0f, x, 20)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 20, 8, 2, 1f, x, 2, x, 8, 0f, x, 8)).ParamName);

        Assert.Equal("b", Assert.Throws<ArgumentNullException>(() => Gemm.Sgemm(false, 2, 1f, x, 2, null!, 0f, x, 2)).ParamName);
        var packed = Gemm.PackB(false, 4, 6, x, 6);
        Assert.Equal("lda", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, 2, 1f, x, 3, packed, 0f, x, 6)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, 20, 1f, x, 4, packed, 0f, x, 6)).ParamName);
        Assert.Equal("m", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, -2, 1f, x, 4, packed, 0f, x, 6)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Gemm.PackB(true, 10, 20, x, 10)).ParamName);
        Assert.Equal("ldb", Assert.Throws<ArgumentException>(() => Gemm.PackB(false, 10, 8, x, 7)).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentNullException>(() => Gemm.PackB(false, 2, 2, x, 2, null!)).ParamName);
    }
}
