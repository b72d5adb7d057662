using System.Numerics.Tensors;

namespace Recur.Kernels;

/// <summary>
/// The exact GELU of Hendrycks &amp; Gimpel (2016), <c>gelu(x) = x Φ(x)</c> with the standard normal CDF
/// <c>Φ(x) = erfc(-x/√2) / 2</c> (PyTorch's <c>F.gelu</c> default, not the tanh approximation), and its
/// derivative <c>gelu'(x) = Φ(x) + x φ(x)</c>, <c>φ(x) = exp(-x²/2) / √(2π)</c>.
/// <para>
/// .NET has no <c>erfc</c>; <see cref="Erfc"/> evaluates, in double, <c>erfc(z) = t exp(-z² + P(t))</c> for
/// <c>z ≥ 0</c> with <c>t = 1/(1 + z/2)</c> and <c>P</c> a degree-12 Chebyshev series in <c>t</c> on
/// <c>[2/11, 1]</c> (<c>z</c> in <c>[0, 9]</c>) fitted for this library by least squares at 4000 Chebyshev
/// nodes against Python's <c>math.erfc</c>: relative error below 2e-10 on <c>[0, 9]</c>; beyond 9,
/// <c>erfc(z) &lt; 5e-37</c> is returned as 0. The array forms run tiles of 256 elements, each tile's
/// exponentials as one vectorised double <c>exp</c>; the tiles do not depend on the thread count, so neither
/// does any bit.
/// </para>
/// </summary>
public static class Gelu
{
    // P(t) = sum_k C_k T_k(u), u = t * 22/9 - 13/9 maps t in [2/11, 1] to [-1, 1].
    private const double C0 = -0.5417232316751572, C1 = 0.5413754183852398, C2 = 0.006383936236912278,
        C3 = -0.006075135741183077, C4 = -0.00011832965221675865, C5 = 0.00016600582603164033,
        C6 = -3.7923247421701726e-06, C7 = -5.561605005781043e-06, C8 = 5.612506553816715e-07,
        C9 = 1.6976041786383505e-07, C10 = -3.940963427180914e-08, C11 = -2.8734438366781755e-09,
        C12 = 1.998054942386748e-09;

    private const double InvSqrt2 = 0.70710678118654752440;
    private const double InvSqrt2Pi = 0.39894228040143267794;

    /// <summary>Below this many elements a call stays on the calling thread.</summary>
    private const int MinParallelLength = 1 << 14;

    /// <summary>The complementary error function <c>erfc(z)</c> (relative error below 2e-10 where it is above 5e-37).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Erfc(double z) => z < 0 ? 2.0 - ErfcNonNegative(-z) : ErfcNonNegative(z);

    /// <summary><c>erfc(z)</c> for <c>z ≥ 0</c> (NaN gives NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ErfcNonNegative(double z)
    {
        if (!(z <= 9.0)) return z > 9.0 ? 0.0 : double.NaN;
        double t = 1.0 / (1.0 + 0.5 * z);
        return t * Math.Exp(Exponent(z, t));
    }

    /// <summary>The exponent <c>-z² + P(t)</c> of <c>erfc(z) = t exp(-z² + P(t))</c>, <c>t = 1/(1 + z/2)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Exponent(double z, double t)
    {
        double u = t * (22.0 / 9.0) - 13.0 / 9.0, u2 = 2.0 * u;
        // Clenshaw: b_k = 2u b_{k+1} - b_{k+2} + C_k, P = u b_1 - b_2 + C_0.
        double b2 = 0, b1 = C12, b0;
        b0 = u2 * b1 - b2 + C11; b2 = b1; b1 = b0;
        b0 = u2 * b1 - b2 + C10; b2 = b1; b1 = b0;
        b0 = u2 * b1 - b2 + C9; b2 = b1; b1 = b0;
        b0 = u2 * b1 - b2 + C8; b2 = b1; b1 = b0;
        b0 = u2 * b1 - b2 + C7; b2 = b1; b1 = b0;
        b0 = u2 * b1 - b2 + C6; b2 = b1; b1 = b0;
        b0 = u2 * b1 - b2 + C5; b2 = b1; b1 = b0;
        b0 = u2 * b1 - b2 + C4; b2 = b1; b1 = b0;
        b0 = u2 * b1 - b2 + C3; b2 = b1; b1 = b0;
        b0 = u2 * b1 - b2 + C2; b2 = b1; b1 = b0;
        b0 = u2 * b1 - b2 + C1; b2 = b1; b1 = b0;
        return -z * z + (u * b1 - b2 + C0);
    }

    /// <summary>The standard normal CDF <c>Φ(x) = erfc(-x/√2) / 2</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Cdf(double x) => 0.5 * Erfc(-x * InvSqrt2);

    /// <summary><c>gelu(x) = x Φ(x)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Value(float x) => (float)(x * Cdf(x));

    /// <summary><c>gelu'(x) = Φ(x) + x φ(x)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x)
    {
        double xd = x;
        return (float)(Cdf(xd) + xd * InvSqrt2Pi * Math.Exp(-0.5 * xd * xd));
    }

    /// <summary><c>y[i] = gelu(x[i])</c> for the first <paramref name="n"/> elements, split over <paramref name="threads"/>.</summary>
    public static void Forward(float[] x, float[] y, int n, int threads) => Run(x, null, y, n, threads);

    /// <summary><c>dx[i] = dy[i] gelu'(x[i])</c> for the first <paramref name="n"/> elements (dx may alias dy).</summary>
    public static void Backward(float[] x, float[] dy, float[] dx, int n, int threads) => Run(x, dy, dx, n, threads);

    private static void Run(float[] x, float[]? dy, float[] dst, int n, int threads)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(dst);
        if (x.Length < n || dst.Length < n || (dy is not null && dy.Length < n))
            throw new ArgumentException($"buffers shorter than n = {n}.");
        int parts = Math.Max(1, Math.Min(threads <= 0 ? Environment.ProcessorCount : threads, n / MinParallelLength));
        var job = new Job(x, dy, dst, n, parts);
        if (parts == 1) job.Execute(0);
        else GemmWorkerPool.Shared.Run(parts, job);
    }

    /// <summary>
    /// For a tile of <c>z ≥ 0</c> in <paramref name="zg"/>: <paramref name="t"/> = <c>1/(1 + z/2)</c>, <paramref name="e"/> =
    /// <c>-z² + P(t)</c> (both 0 where <c>z &gt; 9</c>) and <paramref name="zg"/> = <c>-z²</c>; the Clenshaw recurrence on vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ExponentTile(Span<double> zg, Span<double> t, Span<double> e)
    {
        int w = Vector<double>.Count;
        var one = Vector<double>.One;
        var cut = new Vector<double>(9.0);
        for (int i = 0; i < Tile; i += w)
        {
            var z = new Vector<double>(zg[i..]);
            var ti = one / (one + new Vector<double>(0.5) * z);
            var u = ti * new Vector<double>(22.0 / 9.0) - new Vector<double>(13.0 / 9.0);
            var u2 = u + u;
            Vector<double> b2 = Vector<double>.Zero, b1 = new(C12), b0;
            b0 = u2 * b1 - b2 + new Vector<double>(C11); b2 = b1; b1 = b0;
            b0 = u2 * b1 - b2 + new Vector<double>(C10); b2 = b1; b1 = b0;
            b0 = u2 * b1 - b2 + new Vector<double>(C9); b2 = b1; b1 = b0;
            b0 = u2 * b1 - b2 + new Vector<double>(C8); b2 = b1; b1 = b0;
            b0 = u2 * b1 - b2 + new Vector<double>(C7); b2 = b1; b1 = b0;
            b0 = u2 * b1 - b2 + new Vector<double>(C6); b2 = b1; b1 = b0;
            b0 = u2 * b1 - b2 + new Vector<double>(C5); b2 = b1; b1 = b0;
            b0 = u2 * b1 - b2 + new Vector<double>(C4); b2 = b1; b1 = b0;
            b0 = u2 * b1 - b2 + new Vector<double>(C3); b2 = b1; b1 = b0;
            b0 = u2 * b1 - b2 + new Vector<double>(C2); b2 = b1; b1 = b0;
            b0 = u2 * b1 - b2 + new Vector<double>(C1); b2 = b1; b1 = b0;
            var zz = z * z;
            var far = Vector.GreaterThan(z, cut);
            Vector.ConditionalSelect(far, Vector<double>.Zero, ti).CopyTo(t[i..]);
            Vector.ConditionalSelect(far, Vector<double>.Zero, u * b1 - b2 + new Vector<double>(C0) - zz).CopyTo(e[i..]);
            (-zz).CopyTo(zg[i..]);
        }
    }

    /// <summary>Elements per tile: the exponentials of a tile run as one vectorised double <c>exp</c>.</summary>
    private const int Tile = 256;

    /// <summary>
    /// Parts are cut at multiples of <see cref="Tile"/>, so the tiles (and with them every element's arithmetic,
    /// the vectorised <c>exp</c> included) are the same for every thread count.
    /// </summary>
    private sealed class Job(float[] x, float[]? dy, float[] dst, int n, int parts) : IParallelPart
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int part)
        {
            int tiles = (n + Tile - 1) / Tile;
            int a = (int)((long)tiles * part / parts) * Tile, b = Math.Min(n, (int)((long)tiles * (part + 1) / parts) * Tile);
            Span<double> e = stackalloc double[Tile], t = stackalloc double[Tile], g = stackalloc double[Tile];
            for (int i0 = a; i0 < b; i0 += Tile)
            {
                int len = Math.Min(Tile, b - i0);
                var xs = x.AsSpan(i0, len);
                // z = |x|/√2 (a ragged tile padded with zeros: every element takes the same vector path);
                // t = 1/(1 + z/2); e = -z² + P(t); g = -z² for φ; t = e = 0 where z > 9 (erfc taken as 0).
                for (int i = 0; i < len; i++) g[i] = Math.Abs((double)xs[i]) * InvSqrt2;
                g[len..].Clear();
                ExponentTile(g, t, e);
                TensorPrimitives.Exp(e, e);
                if (dy is null)
                {
                    for (int i = 0; i < len; i++)
                    {
                        double xi = xs[i], half = 0.5 * t[i] * e[i]; // erfc(|x|/√2) / 2
                        dst[i0 + i] = (float)(xi * (xi < 0 ? half : 1.0 - half));
                    }
                }
                else
                {
                    TensorPrimitives.Exp(g, g);
                    for (int i = 0; i < len; i++)
                    {
                        double xi = xs[i], half = 0.5 * t[i] * e[i];
                        double d = (xi < 0 ? half : 1.0 - half) + xi * InvSqrt2Pi * g[i];
                        dst[i0 + i] = dy[i0 + i] * (float)d;
                    }
                }
            }
        }
    }
}
