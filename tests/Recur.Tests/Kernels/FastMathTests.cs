using System.Runtime.Intrinsics;
using Recur.Kernels;
using Xunit;

namespace Recur.Tests.Kernels;

public sealed class FastMathTests
{
    private static float[] Grid(float lo, float hi, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = lo + (hi - lo) * i / (n - 1);
        return x;
    }

    private static float[] Apply(float[] x, Func<Vector256<float>, Vector256<float>> vec, Func<float, float> scalar, bool vector)
    {
        var y = new float[x.Length];
        int i = 0;
        if (vector)
            for (; i + 8 <= x.Length; i += 8) vec(Vector256.Create(x.AsSpan(i, 8))).CopyTo(y.AsSpan(i, 8));
        for (; i < x.Length; i++) y[i] = scalar(x[i]);
        return y;
    }

    [Fact]
    public void ExpIsWithinAFewUlpsAndTheVectorMatchesTheScalar()
    {
        var x = Grid(-87f, 88f, 20_001).Concat(Grid(-1e-3f, 1e-3f, 801)).ToArray();
        var s = Apply(x, FastMath.Exp, FastMath.Exp, vector: false);
        for (int i = 0; i < x.Length; i++)
        {
            double e = Math.Exp(x[i]);
            Assert.True(Math.Abs(s[i] - e) <= 3e-7 * e, $"exp({x[i]}) = {s[i]}, expected {e}");
        }
        if (FastMath.IsVectorized) Assert.Equal(s, Apply(x, FastMath.Exp, FastMath.Exp, vector: true));
        Assert.True(float.IsFinite(FastMath.Exp(1000f)) && FastMath.Exp(-1000f) >= 0f); // clamped, no inf or NaN
    }

    [Fact]
    public void SigmoidAndTanhAreCloseToDoublePrecision()
    {
        var x = Grid(-40f, 40f, 16_001).Concat(Grid(-1e-4f, 1e-4f, 401)).ToArray();
        foreach (bool vector in FastMath.IsVectorized ? new[] { false, true } : new[] { false })
        {
            var sg = Apply(x, FastMath.Sigmoid, FastMath.Sigmoid, vector);
            var th = Apply(x, FastMath.Tanh, FastMath.Tanh, vector);
            for (int i = 0; i < x.Length; i++)
            {
                double es = 1 / (1 + Math.Exp(-(double)x[i])), et = Math.Tanh(x[i]);
                Assert.True(Math.Abs(sg[i] - es) <= 2e-7 * es + 1e-30, $"sigmoid({x[i]}) = {sg[i]}, expected {es}");
                Assert.True(Math.Abs(th[i] - et) <= 2.5e-7, $"tanh({x[i]}) = {th[i]}, expected {et}");
            }
        }
    }

    [Fact]
    public void NaNPropagates()
    {
        Assert.True(float.IsNaN(FastMath.Exp(float.NaN)));
        Assert.True(float.IsNaN(FastMath.Sigmoid(float.NaN)));
        Assert.True(float.IsNaN(FastMath.Tanh(float.NaN)));
    }

    [SkippableFact]
    public void NaNPropagatesThroughTheVectorForms()
    {
        Skip.IfNot(FastMath.IsVectorized, "this CPU lacks AVX or FMA (x64 CPUs from Intel Haswell and AMD Piledriver on have both), "
            + "so FastMath's vector forms never run here; NaNPropagates tests the scalar forms.");
        var x = Vector256.Create(float.NaN, 0f, 1f, float.NaN, -1f, 100f, -100f, float.NaN);
        foreach (var f in new Func<Vector256<float>, Vector256<float>>[] { FastMath.Exp, FastMath.Sigmoid, FastMath.Tanh })
        {
            var y = f(x);
            for (int i = 0; i < 8; i++) Assert.Equal(float.IsNaN(x[i]), float.IsNaN(y[i]));
        }
    }

    [Fact]
    public void SpanTanhMatchesTheElementwiseOnes()
    {
        var x = Grid(-9f, 9f, 101); // 12 vectors and a tail of 5
        var y = new float[x.Length];
        FastMath.Tanh(x, y);
        Assert.Equal(Apply(x, FastMath.Tanh, FastMath.Tanh, FastMath.IsVectorized), y);
        FastMath.Tanh(x, x); // in place
        Assert.Equal(y, x);
        Assert.Throws<ArgumentException>(() => FastMath.Tanh(new float[3], new float[2]));
    }
}
