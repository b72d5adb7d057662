using Recur.Nn.Blocks;
using Xunit;

namespace Recur.Tests.Nn.Blocks;

/// <summary>
/// RWKV's WKV kernel on its own: the stable recurrence against the paper's sum form in double (from a carried
/// state), its backward against central differences of that sum in double, and keys large enough that the
/// sum form overflows (or underflows) float32: WKV is unchanged when every key and the carried state's
/// exponent move by the same constant, so the stable form must give the same outputs and gradients there.
/// </summary>
public sealed class RwkvWkvTests
{
    // D = 13: one 8-lane vector and a 5-lane scalar tail per row.
    private const int T = 9, B = 2, D = 13;

    private sealed record Case(float[] W, float[] U, float[] K, float[] V, float[] A0, float[] B0, float[] P0, float[] G);

    private static Case Draw(float shift)
    {
        var rng = new Rng(11);
        float[] Fill(int n, Func<float> f) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = f(); return a; }
        float Gauss() => rng.NextGaussian();
        var w = Fill(D, () => MathF.Exp(-3f + 4f * rng.NextFloat()));
        var u = Fill(D, () => MathF.Log(0.3f) + Gauss() * 0.5f);
        var k = Fill(T * B * D, () => Gauss() + shift);
        var v = Fill(T * B * D, Gauss);
        // A carried state: numerator a·e^p, denominator b·e^p (b ≥ 1), exponent near the keys.
        var a0 = Fill(B * D, Gauss);
        var b0 = Fill(B * D, () => 1f + 2f * rng.NextFloat());
        var p0 = Fill(B * D, () => Gauss() + shift);
        var g = Fill(T * B * D, Gauss);
        return new Case(w, u, k, v, a0, b0, p0, g);
    }

    private static (float[] Y, float[] Dk, float[] Dv, float[] Dw, float[] Du) Run(Case c)
    {
        int n = T * B * D;
        var a = (float[])c.A0.Clone(); var b = (float[])c.B0.Clone(); var p = (float[])c.P0.Clone();
        var y = new float[n];
        var sa = new float[n]; var sb = new float[n]; var sp = new float[n];
        RwkvKernels.WkvForward(c.W, c.U, c.K, c.V, T, B, D, a, b, p, y, sa, sb, sp);
        var dk = new float[n]; var dv = new float[n]; var dw = new float[D]; var du = new float[D];
        RwkvKernels.WkvBackward(c.W, c.U, c.K, c.V, y, c.G, sa, sb, sp, T, B, D, dk, dv, dw, du, new float[3 * B * D]);
        return (y, dk, dv, dw, du);
    }

    /// <summary>The paper's sum form in double, from the carried state: L = Σ g·wkv.</summary>
    private static double SumForm(Case c, double[] k, double[] v, double[] w, double[] u, double[]? y = null)
    {
        double loss = 0;
        for (int r = 0; r < B; r++)
            for (int d = 0; d < D; d++)
            {
                int s = r * D + d;
                for (int t = 0; t < T; t++)
                {
                    double num = c.A0[s] * Math.Exp(c.P0[s] - t * w[d]), den = c.B0[s] * Math.Exp(c.P0[s] - t * w[d]);
                    for (int i = 0; i < t; i++)
                    {
                        int j = (i * B + r) * D + d;
                        double e = Math.Exp(-(t - 1 - i) * w[d] + k[j]);
                        num += e * v[j]; den += e;
                    }
                    int x = (t * B + r) * D + d;
                    double bonus = Math.Exp(u[d] + k[x]);
                    double val = (num + bonus * v[x]) / (den + bonus);
                    if (y is not null) y[x] = val;
                    loss += c.G[x] * val;
                }
            }
        return loss;
    }

    private static void Close(string what, ReadOnlySpan<float> got, ReadOnlySpan<double> want, double rtol, double atol)
    {
        for (int i = 0; i < want.Length; i++)
        {
            Assert.True(float.IsFinite(got[i]), $"{what}[{i}] is {got[i]}.");
            Assert.True(Math.Abs(got[i] - want[i]) <= atol + rtol * Math.Abs(want[i]), $"{what}[{i}]: {got[i]:G9}, want {want[i]:G9}.");
        }
    }

    [Fact]
    public void StableFormMatchesTheSumFormAndItsGradients()
    {
        var c = Draw(0f);
        var (y, dk, dv, dw, du) = Run(c);
        double[] k = [.. c.K.Select(f => (double)f)], v = [.. c.V.Select(f => (double)f)];
        double[] w = [.. c.W.Select(f => (double)f)], u = [.. c.U.Select(f => (double)f)];
        var want = new double[T * B * D];
        SumForm(c, k, v, w, u, want);
        Close("wkv", y, want, 1e-5, 1e-5);

        double[] Numeric(double[] arr)
        {
            const double h = 1e-6;
            var g = new double[arr.Length];
            for (int i = 0; i < arr.Length; i++)
            {
                double o = arr[i];
                arr[i] = o + h; double lp = SumForm(c, k, v, w, u);
                arr[i] = o - h; double lm = SumForm(c, k, v, w, u);
                arr[i] = o;
                g[i] = (lp - lm) / (2 * h);
            }
            return g;
        }
        Close("dk", dk, Numeric(k), 1e-4, 1e-5);
        Close("dv", dv, Numeric(v), 1e-4, 1e-5);
        Close("dw", dw, Numeric(w), 1e-4, 1e-5);
        Close("du", du, Numeric(u), 1e-4, 1e-5);
    }

    [Theory]
    [InlineData(60f)]
    [InlineData(100f)]
    [InlineData(-100f)]
    public void LargeKeysGiveTheSameOutputsAndGradients(float shift)
    {
        var big = Draw(shift);
        // The same WKV with the keys and the carried exponent moved back (exactly: the rounded values minus the shift).
        var baseCase = big with { K = [.. big.K.Select(x => x - shift)], P0 = [.. big.P0.Select(x => x - shift)] };
        // The sum form in float32 cannot hold these keys: e^{k} overflows past 88.7 and vanishes below -103.
        float naive = MathF.Exp(big.U[0] + big.K[0]) + MathF.Exp(big.P0[0]) * big.B0[0];
        Assert.True(shift != 100f || float.IsInfinity(naive), "e^100 should overflow float32");
        Assert.True(shift != -100f || naive < 1e-38f, "e^-100 should be subnormal in float32");

        var want = Run(baseCase);
        var got = Run(big);
        Close("wkv", got.Y, [.. want.Y.Select(f => (double)f)], 1e-5, 1e-5);
        Close("dk", got.Dk, [.. want.Dk.Select(f => (double)f)], 1e-4, 1e-5);
        Close("dv", got.Dv, [.. want.Dv.Select(f => (double)f)], 1e-4, 1e-5);
        Close("dw", got.Dw, [.. want.Dw.Select(f => (double)f)], 1e-4, 1e-5);
        Close("du", got.Du, [.. want.Du.Select(f => (double)f)], 1e-4, 1e-5);
    }

    [Fact]
    public void AnEmptyStateStartsFromTheFirstToken()
    {
        // A zero state (b = 0) is empty whatever its exponent: the first output is v_0 exactly, even for k = -200.
        var w = new float[D]; Array.Fill(w, 0.5f);
        var u = new float[D];
        var k = new float[2 * D]; Array.Fill(k, -200f);
        var v = new float[2 * D]; for (int i = 0; i < v.Length; i++) v[i] = i;
        float[] a = new float[D], b = new float[D], p = new float[D];
        var y = new float[2 * D];
        RwkvKernels.WkvForward(w, u, k, v, 2, 1, D, a, b, p, y, [], [], []);
        for (int d = 0; d < D; d++)
        {
            Assert.Equal(v[d], y[d]);
            // Second token: (v_0 + v_1) / 2 with equal keys and u = 0 (the previous token is not yet decayed).
            Assert.Equal((v[d] + v[D + d]) / 2f, y[D + d], 5);
        }
    }
}
