using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recur.Kernels;

/// <summary>
/// Products of small matrices, a few rows of a few dozen floats each (DRAW's attention: <c>N x N</c> patches, <c>N x A</c>
/// filterbanks and one image), where <see cref="Gemm"/>'s packing and panels would cost more than the arithmetic. Rows are
/// row-major with their own strides; the columns are walked eight at a time with AVX2 and FMA (the last eight masked), or
/// by plain loops on other hardware (<see cref="Vectorised"/> false; the same sums in the same order, rounded differently).
/// </summary>
internal static unsafe class SmallProducts
{
    /// <summary>Whether the AVX2 + FMA paths run (else the plain loops).</summary>
    public static bool Vectorised { get; } = Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Combinations of rows: <c>C[i, :w] (+)= α Σ_k A(i, k) R[k, :w]</c> for <c>i &lt; m</c>, <c>k &lt; kDim</c>, where
    /// <c>A(i, k) = a[i * ars + k * acs]</c> (so a stored <c>(kDim, m)</c> matrix is its transpose with <c>ars = 1</c>),
    /// <c>R (kDim, w)</c> has row stride <paramref name="ldr"/> and <c>C (m, w)</c> row stride <paramref name="ldc"/>;
    /// <paramref name="accumulate"/> adds to C, else C is overwritten; <paramref name="plain"/> takes the plain loops (tests).
    /// </summary>
    public static void Rows(int m, int kDim, int w, float alpha, ReadOnlySpan<float> a, int ars, int acs, ReadOnlySpan<float> r, int ldr,
        bool accumulate, Span<float> c, int ldc, bool plain = false)
    {
        Check(a.Length, (m - 1) * ars + (kDim - 1) * acs + 1, nameof(a));
        Check(r.Length, (kDim - 1) * ldr + w, nameof(r));
        Check(c.Length, (m - 1) * ldc + w, nameof(c));
        if (m == 0 || w == 0) return;
        fixed (float* pa = a)
        fixed (float* pr = r)
        fixed (float* pc = c)
        {
            if (Vectorised && !plain && kDim > 0) RowsAvx2(m, kDim, w, alpha, pa, ars, acs, pr, ldr, accumulate, pc, ldc);
            else RowsPlain(m, kDim, w, alpha, pa, ars, acs, pr, ldr, accumulate, pc, ldc);
        }
    }

    /// <summary>
    /// Dot products of rows: <c>C[i, j] (+)= α Σ_x U[i, x] V[j, x]</c> for <c>i &lt; m</c>, <c>j &lt; n</c>, <c>x &lt; w</c>
    /// (<c>C = α U V^T</c>), with row strides <paramref name="ldu"/>, <paramref name="ldv"/>, <paramref name="ldc"/>;
    /// <paramref name="plain"/> takes the plain loops (tests).
    /// </summary>
    public static void Dots(int m, int n, int w, float alpha, ReadOnlySpan<float> u, int ldu, ReadOnlySpan<float> v, int ldv,
        bool accumulate, Span<float> c, int ldc, bool plain = false)
    {
        Check(u.Length, (m - 1) * ldu + w, nameof(u));
        Check(v.Length, (n - 1) * ldv + w, nameof(v));
        Check(c.Length, (m - 1) * ldc + n, nameof(c));
        if (m == 0 || n == 0) return;
        fixed (float* pu = u)
        fixed (float* pv = v)
        fixed (float* pc = c)
        {
            if (Vectorised && !plain) DotsAvx2(m, n, w, alpha, pu, ldu, pv, ldv, accumulate, pc, ldc);
            else DotsPlain(m, n, w, alpha, pu, ldu, pv, ldv, accumulate, pc, ldc);
        }
    }

    private static void Check(int length, long need, string name)
    {
        if (need > 0 && length < need) throw new ArgumentException($"{name} has {length} floats, the product reads {need}.", name);
    }

    private static void RowsPlain(int m, int kDim, int w, float alpha, float* a, nint ars, nint acs, float* r, nint ldr, bool accumulate,
        float* c, nint ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int x = 0; x < w; x++)
            {
                float s = 0f;
                for (int k = 0; k < kDim; k++) s += a[i * ars + k * acs] * r[k * ldr + x];
                c[i * ldc + x] = accumulate ? c[i * ldc + x] + alpha * s : alpha * s;
            }
        }
    }

    private static void DotsPlain(int m, int n, int w, float alpha, float* u, nint ldu, float* v, nint ldv, bool accumulate, float* c, nint ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float s = 0f;
                for (int x = 0; x < w; x++) s += u[i * ldu + x] * v[j * ldv + x];
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + alpha * s : alpha * s;
            }
        }
    }

    /// <summary>Lanes <c>[0, count)</c> set: the mask of the last, partial eight columns.</summary>
    private static Vector256<float> Mask(int count)
        => Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(float* p, bool part, Vector256<float> mask) => part ? Avx.MaskLoad(p, mask) : Avx.LoadVector256(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* p, Vector256<float> acc, Vector256<float> alpha, bool accumulate, bool part, Vector256<float> mask)
    {
        var y = accumulate ? Fma.MultiplyAdd(acc, alpha, Load(p, part, mask)) : Avx.Multiply(acc, alpha);
        if (part) Avx.MaskStore(p, mask, y);
        else Avx.Store(p, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsAvx2(int m, int kDim, int w, float alpha, float* a, nint ars, nint acs, float* r, nint ldr, bool accumulate,
        float* c, nint ldc)
    {
        var al = Vector256.Create(alpha);
        for (int x = 0; x < w; x += 8)
        {
            bool part = w - x < 8;
            var mask = part ? Mask(w - x) : default;
            int i = 0;
            for (; i + 4 <= m; i += 4)
            {
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                float* ai = a + i * ars;
                for (int k = 0; k < kDim; k++)
                {
                    var rv = Load(r + k * ldr + x, part, mask);
                    float* ak = ai + k * acs;
                    s0 = Fma.MultiplyAdd(Vector256.Create(ak[0]), rv, s0);
                    s1 = Fma.MultiplyAdd(Vector256.Create(ak[ars]), rv, s1);
                    s2 = Fma.MultiplyAdd(Vector256.Create(ak[2 * ars]), rv, s2);
                    s3 = Fma.MultiplyAdd(Vector256.Create(ak[3 * ars]), rv, s3);
                }
                float* ci = c + i * ldc + x;
                Store(ci, s0, al, accumulate, part, mask);
                Store(ci + ldc, s1, al, accumulate, part, mask);
                Store(ci + 2 * ldc, s2, al, accumulate, part, mask);
                Store(ci + 3 * ldc, s3, al, accumulate, part, mask);
            }
            for (; i < m; i++)
            {
                Vector256<float> s0 = default;
                for (int k = 0; k < kDim; k++) s0 = Fma.MultiplyAdd(Vector256.Create(a[i * ars + k * acs]), Load(r + k * ldr + x, part, mask), s0);
                Store(c + i * ldc + x, s0, al, accumulate, part, mask);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotsAvx2(int m, int n, int w, float alpha, float* u, nint ldu, float* v, nint ldv, bool accumulate, float* c, nint ldc)
    {
        int tail = w & 7, full = w - tail;
        var mask = Mask(tail);
        for (int i = 0; i < m; i++)
        {
            float* ui = u + i * ldu;
            int j = 0;
            for (; j + 2 <= n; j += 2)
            {
                float* v0 = v + j * ldv, v1 = v0 + ldv;
                Vector256<float> s0 = default, s1 = default;
                for (int x = 0; x < full; x += 8)
                {
                    var uv = Avx.LoadVector256(ui + x);
                    s0 = Fma.MultiplyAdd(uv, Avx.LoadVector256(v0 + x), s0);
                    s1 = Fma.MultiplyAdd(uv, Avx.LoadVector256(v1 + x), s1);
                }
                if (tail > 0)
                {
                    var uv = Avx.MaskLoad(ui + full, mask);
                    s0 = Fma.MultiplyAdd(uv, Avx.MaskLoad(v0 + full, mask), s0);
                    s1 = Fma.MultiplyAdd(uv, Avx.MaskLoad(v1 + full, mask), s1);
                }
                Put(c + i * ldc + j, Vector256.Sum(s0), alpha, accumulate);
                Put(c + i * ldc + j + 1, Vector256.Sum(s1), alpha, accumulate);
            }
            for (; j < n; j++)
            {
                float* v0 = v + j * ldv;
                Vector256<float> s0 = default;
                for (int x = 0; x < full; x += 8) s0 = Fma.MultiplyAdd(Avx.LoadVector256(ui + x), Avx.LoadVector256(v0 + x), s0);
                if (tail > 0) s0 = Fma.MultiplyAdd(Avx.MaskLoad(ui + full, mask), Avx.MaskLoad(v0 + full, mask), s0);
                Put(c + i * ldc + j, Vector256.Sum(s0), alpha, accumulate);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* p, float s, float alpha, bool accumulate) => *p = accumulate ? *p + alpha * s : alpha * s;
}
