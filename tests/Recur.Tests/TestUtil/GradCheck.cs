using Xunit;
using Xunit.Sdk;

namespace Recur.Tests.TestUtil;

/// <summary>
/// Central-difference gradient checks for float32 code, judged per checked tensor against the gradient's own scale.
/// The loss is evaluated in float32 layers and summed in double; the truncation error is O(h^2) and the rounding
/// error O(1e-7 * |loss| / h), so each family picks the step where the two balance (issue 27 lists the measured
/// errors). A 1 % error in one tensor's gradient fails the check: <see cref="AssertOnePercentOffFails"/>.
/// </summary>
internal static class GradCheck
{
    /// <summary>
    /// Compares <paramref name="analytic"/> with the central difference (loss(x + h) - loss(x - h)) / (x + h - (x - h))
    /// at up to <paramref name="samples"/> positions of <paramref name="values"/> (all when fewer), as one vector:
    /// passes when |analytic - numeric|_2 &lt;= rtol * |numeric|_2 + atol * sqrt(positions). The default rtol
    /// (5e-3) is half of a 1 % error; atol is a floor for tensors whose gradient is at float32's noise.
    /// </summary>
    public static void Check(string what, Func<double> loss, float[] values, int offset, int length,
        ReadOnlySpan<float> analytic, int samples = 24, float h = 1e-2f, double rtol = 5e-3, double atol = 1e-6, int seed = 7)
    {
        var rng = new Rng((ulong)seed);
        int count = Math.Min(samples, length);
        double factor = 1;
        var m = Mutation.Value;
        if (m is not null && m.Call == m.Seen++) { factor = m.Factor; m.What = what; }
        double dd = 0, nn = 0, aa = 0, na = 0, worst = -1; string worstAt = "";
        for (int s = 0; s < count; s++)
        {
            int i = length <= samples ? s : rng.NextInt(length);
            float orig = values[offset + i];
            float up = orig + h, down = orig - h;
            values[offset + i] = up;
            double lp = loss();
            values[offset + i] = down;
            double lm = loss();
            values[offset + i] = orig;
            double num = (lp - lm) / ((double)up - down);
            double ana = analytic[i] * factor, d = ana - num;
            dd += d * d; nn += num * num; aa += ana * ana; na += num * ana;
            if (Math.Abs(d) > worst) { worst = Math.Abs(d); worstAt = $"index {i}: numerical {num:G6}, analytic {ana:G6}"; }
        }
        double err = Math.Sqrt(dd), scale = Math.Sqrt(nn), tol = rtol * scale + atol * Math.Sqrt(count);
        double rel = err / Math.Max(scale, double.Epsilon), cos = na / Math.Max(Math.Sqrt(nn * aa), double.Epsilon);
        Log(what, count, h, scale, rel);
        Assert.True(err <= tol, $"{what}: gradient mismatch: |analytic - numerical| = {err:G4} > {tol:G4} "
            + $"(relative {rel:G3}, rtol {rtol:G3}, |numerical| {scale:G4}, cosine {cos:G8}, {count} positions; worst at {worstAt})");
    }

    private sealed class Mut(int call, double factor)
    {
        public int Call { get; } = call;
        public double Factor { get; } = factor;
        public int Seen { get; set; }
        public string? What { get; set; }
    }

    private static readonly AsyncLocal<Mut?> Mutation = new();

    /// <summary>
    /// Runs <paramref name="check"/> (a whole gradient test) with the analytic gradient of its <paramref name="call"/>-th
    /// <see cref="Check"/> (0 = the first) scaled by 1.01, and asserts that exactly that check fails.
    /// </summary>
    public static void AssertOnePercentOffFails(Action check, int call = 0, double factor = 1.01)
    {
        var m = new Mut(call, factor);
        Mutation.Value = m;
        try
        {
            var ex = Assert.ThrowsAny<XunitException>(check);
            Assert.NotNull(m.What);
            Assert.StartsWith($"{m.What}: gradient mismatch", ex.Message);
        }
        finally { Mutation.Value = null; }
    }

    private static readonly object Gate = new();
    private static readonly string? LogPath = Environment.GetEnvironmentVariable("GRADCHECK_LOG");

    /// <summary>With GRADCHECK_LOG set, one line per checked tensor (test, tensor, step, |numerical|, relative error).</summary>
    private static void Log(string what, int count, float h, double scale, double rel)
    {
        if (LogPath is null) return;
        string test = System.Text.RegularExpressions.Regex.Match(Environment.StackTrace, @"Recur\.Tests\.(?!TestUtil)[\w.]+Tests\.\w+").Value;
        lock (Gate) File.AppendAllText(LogPath, $"{test}\t{what}\t{count}\t{h:G3}\t{scale:G4}\t{rel:G4}\t{Mutation.Value is not null}\n");
    }

    /// <summary>sum(a * w) in double.</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> w)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * w[i];
        return s;
    }
}
