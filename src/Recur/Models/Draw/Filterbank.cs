using System.Numerics.Tensors;

namespace Recur.Models.Draw;

/// <summary>
/// One axis of DRAW's Gaussian filterbank (paper equations 19-22): <c>N</c> filters over <c>S</c> pixels whose
/// centres are <c>μ^i = g + (i - N/2 - 0.5) δ</c>, <c>i = 1..N</c>, and
/// <c>F[i, a] = exp(-(a - μ^i)² / (2σ²)) / Z_i</c>, <c>a = 1..S</c>, with <c>Z_i = Σ_a exp(-(a - μ^i)² / (2σ²)) + ε</c>
/// (<see cref="Epsilon"/>, so that a window far off the image gives zeros, not NaN). The matrix is <c>(N, S)</c>,
/// row-major: <c>F_X (N, A)</c> for the columns, <c>F_Y (N, B)</c> for the rows.
/// </summary>
public static class Filterbank
{
    /// <summary>The <c>ε</c> added to each row's normaliser.</summary>
    public const float Epsilon = 1e-8f;

    /// <summary>Centre of filter <paramref name="i"/> (0-based here; the paper's <c>i</c> is <paramref name="i"/> + 1).</summary>
    public static float Mean(float center, float stride, int i, int n) => center + (i + 1 - n * 0.5f - 0.5f) * stride;

    /// <summary>
    /// Fills <paramref name="f"/> <c>(N, S)</c> with the normalised filters. The exponentials are taken in double, vectorised
    /// over the whole matrix (<c>TensorPrimitives.Exp</c>), and rounded to float:
    /// as accurate as <see cref="MathF.Exp"/> one at a time, at a fraction of the cost.
    /// </summary>
    public static void Forward(float center, float stride, float variance, int n, int size, Span<float> f)
    {
        float inv2s = 0.5f / variance;
        int count = n * size;
        Span<double> e = count <= 512 ? stackalloc double[count] : new double[count];
        for (int i = 0; i < n; i++)
        {
            float mu = Mean(center, stride, i, n);
            for (int a = 0; a < size; a++)
            {
                float d = a + 1 - mu;
                e[i * size + a] = -d * d * inv2s;
            }
        }
        TensorPrimitives.Exp(e, e);
        for (int i = 0; i < n; i++)
        {
            var row = f.Slice(i * size, size);
            float z = 0f;
            for (int a = 0; a < size; a++) z += row[a] = (float)e[i * size + a];
            float inv = 1f / (z + Epsilon);
            for (int a = 0; a < size; a++) row[a] *= inv;
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/> from <paramref name="df"/> <c>(N, S)</c> = ∂L/∂F: with the unnormalised
    /// <c>e = F Z</c>, ∂L/∂e[i, a] = (df[i, a] - Σ_a' df[i, a'] F[i, a']) / Z_i, and since <c>∂e/∂μ^i = e (a - μ^i)/σ²</c>
    /// and <c>∂e/∂σ² = e (a - μ^i)² / (2σ⁴)</c>, with <c>q[i, a] = (df[i, a] - Σ_a' df[i, a'] F[i, a']) F[i, a]</c>:
    /// <c>∂L/∂μ^i = Σ_a q (a - μ^i)/σ²</c>, <c>∂L/∂σ² = Σ_i Σ_a q (a - μ^i)²/(2σ⁴)</c>. Returns the gradients on the centre
    /// <c>g = Σ_i ∂L/∂μ^i</c>, the stride <c>δ = Σ_i ∂L/∂μ^i (i - N/2 - 0.5)</c> and the variance.
    /// </summary>
    public static (float DCenter, float DStride, float DVariance) Backward(ReadOnlySpan<float> f, ReadOnlySpan<float> df, float center,
        float stride, float variance, int n, int size)
    {
        float dCenter = 0f, dStride = 0f, dVariance = 0f;
        float invS = 1f / variance, inv2S2 = 0.5f * invS * invS;
        for (int i = 0; i < n; i++)
        {
            float mu = Mean(center, stride, i, n);
            var fr = f.Slice(i * size, size);
            var dr = df.Slice(i * size, size);
            float dot = 0f;
            for (int a = 0; a < size; a++) dot += dr[a] * fr[a];
            float dmu = 0f, ds = 0f;
            for (int a = 0; a < size; a++)
            {
                float q = (dr[a] - dot) * fr[a], d = a + 1 - mu;
                dmu += q * d;
                ds += q * d * d;
            }
            dmu *= invS;
            dCenter += dmu;
            dStride += dmu * (i + 1 - n * 0.5f - 0.5f);
            dVariance += ds * inv2S2;
        }
        return (dCenter, dStride, dVariance);
    }
}
