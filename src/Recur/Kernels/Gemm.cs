using System.Numerics.Tensors;

namespace Recur.Kernels;

/// <summary>
/// Single-precision general matrix multiply on row-major storage:
/// <c>C(M,N) = alpha * op(A) * op(B) + beta * C</c>, where <c>op(A)</c> is <c>(M,K)</c> and
/// <c>op(B)</c> is <c>(K,N)</c>. With <c>transA</c>, A is stored <c>(K,M)</c> with leading
/// dimension <c>lda</c>; with <c>transB</c>, B is stored <c>(N,K)</c>.
/// Results are bit-identical for every thread count: each element of C is computed by exactly
/// one thread, with the same summation order.
/// </summary>
public static class Gemm
{
    /// <summary>Computes <c>C = alpha * op(A) * op(B) + beta * C</c> (row-major).</summary>
    public static void Sgemm(
        bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, int threads = 1)
    {
        CheckArgs(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;

        // Scale C by beta first (beta == 0 overwrites, so NaNs in C do not propagate).
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) TensorPrimitives.Multiply(row, beta, row);
        }
        if (k == 0 || alpha == 0f) return;

        // Reference path: bring B to (K,N) row-major, then C[i,:] += alpha*A[i,p] * B[p,:].
        float[]? bt = null;
        ReadOnlySpan<float> bn = b;
        int ldbn = ldb;
        if (transB)
        {
            bt = new float[k * n];
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) bt[p * n + j] = b[j * ldb + p];
            bn = bt; ldbn = n;
        }
        for (int i = 0; i < m; i++)
        {
            var crow = c.Slice(i * ldc, n);
            for (int p = 0; p < k; p++)
            {
                float av = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                if (av == 0f) continue;
                TensorPrimitives.MultiplyAdd(bn.Slice(p * ldbn, n), av, crow, crow);
            }
        }
    }

    internal static void CheckArgs(bool transA, bool transB, int m, int n, int k,
        int aLen, int lda, int bLen, int ldb, int cLen, int ldc)
    {
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "m must be non-negative.");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be non-negative.");
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be non-negative.");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        CheckMatrix("a", aRows, aCols, aLen, lda);
        CheckMatrix("b", bRows, bCols, bLen, ldb);
        CheckMatrix("c", m, n, cLen, ldc);
    }

    private static void CheckMatrix(string name, int rows, int cols, int len, int ld)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols)
            throw new ArgumentException($"leading dimension of {name} is {ld}, must be at least {cols} (columns).", "ld" + name);
        long need = (long)(rows - 1) * ld + cols;
        if (len < need)
            throw new ArgumentException($"{name} has {len} elements, a ({rows}, {cols}) matrix with leading dimension {ld} needs {need}.", name);
    }
}
