namespace Recur.Models.Draw;

/// <summary>
/// Where and how sharply one DRAW attention looks (paper section 3.2), from the five numbers a linear map of
/// <c>h_dec</c> emits, <c>(g̃_X, g̃_Y, log σ², log δ̃, log γ)</c>:
/// <c>g_X = (A + 1)/2 (g̃_X + 1)</c>, <c>g_Y = (B + 1)/2 (g̃_Y + 1)</c>, <c>δ = (max(A, B) - 1)/(N - 1) δ̃</c>,
/// with <c>σ² = exp(log σ²)</c>, <c>δ̃ = exp(log δ̃)</c>, <c>γ = exp(log γ)</c>. For <c>N = 1</c> the stride does not
/// move the one filter, and <c>N - 1</c> is taken as 1.
/// </summary>
/// <param name="CenterX">Grid centre <c>g_X</c>, in pixel coordinates <c>1..A</c>.</param>
/// <param name="CenterY">Grid centre <c>g_Y</c>, in pixel coordinates <c>1..B</c>.</param>
/// <param name="Variance">The filters' variance <c>σ²</c> (pixels²).</param>
/// <param name="Stride">Distance <c>δ</c> between neighbouring filters (pixels).</param>
/// <param name="Intensity">The scalar <c>γ</c> (read multiplies by it, write divides by it).</param>
public readonly record struct AttentionWindow(float CenterX, float CenterY, float Variance, float Stride, float Intensity)
{
    /// <summary>The five raw numbers per window, in this order: <c>g̃_X, g̃_Y, log σ², log δ̃, log γ</c>.</summary>
    public const int RawSize = 5;

    /// <summary>The window from its raw numbers <paramref name="raw"/> <c>(5)</c> for an <c>A x B</c> image and <c>N</c> filters.</summary>
    public static AttentionWindow FromRaw(ReadOnlySpan<float> raw, int width, int height, int n)
        => new((width + 1) * 0.5f * (raw[0] + 1f), (height + 1) * 0.5f * (raw[1] + 1f), MathF.Exp(raw[2]),
            StrideScale(width, height, n) * MathF.Exp(raw[3]), MathF.Exp(raw[4]));

    /// <summary><c>(max(A, B) - 1)/(N - 1)</c>, with <c>N - 1</c> taken as 1 for one filter.</summary>
    public static float StrideScale(int width, int height, int n) => (Math.Max(width, height) - 1f) / Math.Max(n - 1, 1);

    /// <summary>
    /// The chain rule back through <see cref="FromRaw"/>: from the gradients on <c>g_X, g_Y, σ², δ, γ</c> to those on
    /// the raw numbers, written to <paramref name="draw"/> <c>(5)</c>: <c>∂g_X/∂g̃_X = (A + 1)/2</c>,
    /// <c>∂σ²/∂log σ² = σ²</c>, <c>∂δ/∂log δ̃ = δ</c>, <c>∂γ/∂log γ = γ</c>.
    /// </summary>
    public void Backward(float dCenterX, float dCenterY, float dVariance, float dStride, float dIntensity, int width, int height,
        Span<float> draw)
    {
        draw[0] = dCenterX * (width + 1) * 0.5f;
        draw[1] = dCenterY * (height + 1) * 0.5f;
        draw[2] = dVariance * Variance;
        draw[3] = dStride * Stride;
        draw[4] = dIntensity * Intensity;
    }
}
