using Xunit;

namespace Recur.Tests.TestUtil;

/// <summary>
/// Central-difference gradient checks for float32 code. The loss is evaluated in float32 layers
/// and summed in double, so the step and the tolerance are chosen for float32: with h = 1e-2 the
/// truncation error is O(h^2) and the rounding error O(1e-7 * |loss| / h).
/// </summary>
internal static class GradCheck
{
    /// <summary>
    /// Compares <paramref name="analytic"/> with (loss(x + h) - loss(x - h)) / 2h at up to
    /// <paramref name="samples"/> positions of <paramref name="values"/> (all when fewer).
    /// </summary>
    public static void Check(string what, Func<double> loss, float[] values, int offset, int length,
        ReadOnlySpan<float> analytic, int samples = 24, float h = 1e-2f, double rtol = 2e-2, double atol = 2e-3, int seed = 7)
    {
        var rng = new Rng((ulong)seed);
        int count = Math.Min(samples, length);
        double worst = 0; string worstAt = "";
        for (int s = 0; s < count; s++)
        {
            int i = length <= samples ? s : rng.NextInt(length);
            float orig = values[offset + i];
            values[offset + i] = orig + h;
            double lp = loss();
            values[offset + i] = orig - h;
            double lm = loss();
            values[offset + i] = orig;
            double num = (lp - lm) / (2.0 * h);
            double ana = analytic[i];
            double err = Math.Abs(num - ana) / (atol + rtol * Math.Max(Math.Abs(num), Math.Abs(ana)));
            if (err > worst) { worst = err; worstAt = $"index {i}: numerical {num:G6}, analytic {ana:G6}"; }
        }
        Assert.True(worst <= 1.0, $"{what}: gradient mismatch at {worstAt} (scaled error {worst:F2})");
    }

    /// <summary>sum(a * w) in double.</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> w)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * w[i];
        return s;
    }
}
