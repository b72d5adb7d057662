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
        => Judge(Measure(what, loss, values, offset, length, analytic, samples, h, seed, Mutated(what)), h, rtol, atol, scaleFloor: 0);

    /// <summary>The factor this check's analytic gradient is scaled by: 1, or 1.01 in the check <see cref="AssertOnePercentOffFails"/> picks.</summary>
    private static double Mutated(string what)
    {
        var m = Mutation.Value;
        if (m is null || m.Call != m.Seen++) return 1;
        m.What = what;
        return m.Factor;
    }

    /// <summary>
    /// <see cref="Check"/> on each of <paramref name="blocks"/> equal contiguous parts of the tensor on its own (the gates of a
    /// recurrent cell's (G*H, n) weights and (G*H) biases are their row blocks), <paramref name="samples"/> positions each: a
    /// 1 % error in one gate's gradient then fails its block instead of being diluted by the gates that are right. A block
    /// whose gradient is much smaller than the tensor's is judged against the tensor's mean size per position (float32's
    /// rounding noise does not shrink with it).
    /// </summary>
    public static void CheckBlocks(string what, Func<double> loss, float[] values, int offset, int length, ReadOnlySpan<float> analytic,
        int blocks, int samples = 12, float h = 1e-2f, double rtol = 5e-3, double atol = 1e-6)
    {
        if (blocks <= 1 || length % blocks != 0)
        {
            Check(what, loss, values, offset, length, analytic, samples, h, rtol, atol);
            return;
        }
        int size = length / blocks;
        var measured = new Measured[blocks];
        double factor = Mutated(what);
        for (int b = 0; b < blocks; b++)
            measured[b] = Measure($"{what} (block {b} of {blocks})", loss, values, offset + b * size, size, analytic.Slice(b * size, size), samples, h,
                7 + b, factor);
        double perPosition = Math.Sqrt(measured.Sum(m => m.Scale * m.Scale) / measured.Sum(m => m.Count));
        foreach (var m in measured) Judge(m, h, rtol, atol, scaleFloor: perPosition * Math.Sqrt(m.Count));
    }

    private readonly record struct Measured(string What, double Err, double Scale, double Cosine, int Count, string WorstAt);

    private static Measured Measure(string what, Func<double> loss, float[] values, int offset, int length,
        ReadOnlySpan<float> analytic, int samples, float h, int seed, double factor)
    {
        var rng = new Rng((ulong)seed);
        int count = Math.Min(samples, length);
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
        return new Measured(what, Math.Sqrt(dd), Math.Sqrt(nn), na / Math.Max(Math.Sqrt(nn * aa), double.Epsilon), count, worstAt);
    }

    private static void Judge(Measured m, float h, double rtol, double atol, double scaleFloor)
    {
        double tol = rtol * Math.Max(m.Scale, scaleFloor) + atol * Math.Sqrt(m.Count), rel = m.Err / Math.Max(m.Scale, double.Epsilon);
        Log(m.What, m.Count, h, m.Scale, rel);
        Assert.True(m.Err <= tol, $"{m.What}: gradient mismatch: |analytic - numerical| = {m.Err:G4} > {tol:G4} "
            + $"(relative {rel:G3}, rtol {rtol:G3}, |numerical| {m.Scale:G4}, cosine {m.Cosine:G8}, {m.Count} positions; worst at {m.WorstAt})");
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
            Assert.StartsWith(m.What, ex.Message, StringComparison.Ordinal);
            Assert.Contains("gradient mismatch", ex.Message, StringComparison.Ordinal);
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
