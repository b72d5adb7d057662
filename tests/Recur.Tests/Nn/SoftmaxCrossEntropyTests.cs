using Recur.Nn;
using Recur.Tests.Training;
using Xunit;

namespace Recur.Tests.Nn;

public sealed class SoftmaxCrossEntropyTests
{
    private static (double[] Logits, int[] Targets) Case(int n, int v, ulong seed, double scale, params int[] ignoredRows)
    {
        var rng = new Rng(seed);
        var logits = new double[n * v];
        for (int i = 0; i < logits.Length; i++) logits[i] = scale * rng.NextGaussian();
        var targets = new int[n];
        for (int i = 0; i < n; i++) targets[i] = rng.NextInt(v);
        foreach (int r in ignoredRows) targets[r] = SoftmaxCrossEntropy.DefaultIgnoreIndex;
        return (logits, targets);
    }

    /// <summary>Textbook definition in double, without max subtraction (fine for small logits).</summary>
    private static double Naive(double[] x, int n, int v, int[] t, LossReduction red, int ignore = -100)
    {
        double total = 0; int count = 0;
        for (int i = 0; i < n; i++)
        {
            if (t[i] == ignore) continue;
            double s = 0;
            for (int j = 0; j < v; j++) s += Math.Exp(x[i * v + j]);
            total += Math.Log(s) - x[i * v + t[i]];
            count++;
        }
        return red == LossReduction.Mean ? total / count : total;
    }

    [Theory]
    [InlineData(LossReduction.Mean)]
    [InlineData(LossReduction.Sum)]
    public void Gradient_matches_central_differences_in_double(LossReduction red)
    {
        const int n = 7, v = 6;
        var (x, t) = Case(n, v, 42, 2.0, 1, 4);
        var d = new double[n * v];
        double loss = SoftmaxCrossEntropy.LossAndGradient<double>(x, n, v, t, d, red);
        Assert.Equal(Naive(x, n, v, t, red), loss, 1e-12);

        const double h = 1e-5;
        double worst = 0;
        for (int k = 0; k < x.Length; k++)
        {
            double orig = x[k];
            x[k] = orig + h; double lp = SoftmaxCrossEntropy.Loss<double>(x, n, v, t, red);
            x[k] = orig - h; double lm = SoftmaxCrossEntropy.Loss<double>(x, n, v, t, red);
            x[k] = orig;
            double num = (lp - lm) / (2 * h);
            worst = Math.Max(worst, Math.Abs(num - d[k]) / (1e-8 + 1e-6 * Math.Abs(num)));
        }
        Assert.True(worst <= 1, $"worst scaled gradient error {worst:F2}");

        // Ignored rows get exactly zero gradient; every other row sums to zero.
        for (int i = 0; i < n; i++)
        {
            double rowSum = 0;
            for (int j = 0; j < v; j++) rowSum += d[i * v + j];
            if (t[i] == SoftmaxCrossEntropy.DefaultIgnoreIndex)
                for (int j = 0; j < v; j++) Assert.Equal(0.0, d[i * v + j]);
            Assert.Equal(0.0, rowSum, 1e-12);
        }
    }

    [Fact]
    public void Mean_is_sum_over_non_ignored_count()
    {
        const int n = 9, v = 5;
        var (x, t) = Case(n, v, 3, 1.0, 0, 5, 8);
        var dm = new double[n * v]; var ds = new double[n * v];
        double mean = SoftmaxCrossEntropy.LossAndGradient<double>(x, n, v, t, dm, LossReduction.Mean);
        double sum = SoftmaxCrossEntropy.LossAndGradient<double>(x, n, v, t, ds, LossReduction.Sum);
        Assert.Equal(sum / 6, mean, 1e-14);
        for (int i = 0; i < dm.Length; i++) Assert.Equal(ds[i] / 6, dm[i], 1e-15);
    }

    [Fact]
    public void Float_agrees_with_double_and_loss_only_agrees_with_fused()
    {
        const int n = 33, v = 67; // odd sizes: vector bodies and tails
        var (xd, t) = Case(n, v, 5, 3.0, 2, 30);
        var xf = Array.ConvertAll(xd, a => (float)a);
        var xr = Array.ConvertAll(xf, a => (double)a);
        var dd = new double[n * v]; var df = new float[n * v];
        double ld = SoftmaxCrossEntropy.LossAndGradient<double>(xr, n, v, t, dd);
        double lf = SoftmaxCrossEntropy.LossAndGradient<float>(xf, n, v, t, df);
        Assert.Equal(ld, lf, 1e-5 * Math.Abs(ld));
        TrainingFixtures.Close("float dlogits", df, Array.ConvertAll(dd, a => (float)a), 1e-5);
        Assert.Equal(lf, SoftmaxCrossEntropy.Loss<float>(xf, n, v, t));
    }

    [Fact]
    public void Stable_for_logits_around_1e4()
    {
        const int n = 8, v = 11;
        var (xd, t) = Case(n, v, 9, 1e4, 3);
        var xf = Array.ConvertAll(xd, a => (float)a);
        var df = new float[n * v];
        double loss = SoftmaxCrossEntropy.LossAndGradient<float>(xf, n, v, t, df);

        // Reference: log-sum-exp with the max taken out, in double, from the same float inputs.
        double total = 0; int count = 0;
        for (int i = 0; i < n; i++)
        {
            if (t[i] < 0) continue;
            double m = double.NegativeInfinity;
            for (int j = 0; j < v; j++) m = Math.Max(m, xf[i * v + j]);
            double s = 0;
            for (int j = 0; j < v; j++) s += Math.Exp(xf[i * v + j] - m);
            total += m + Math.Log(s) - xf[i * v + t[i]];
            count++;
        }
        Assert.True(double.IsFinite(loss));
        Assert.Equal(total / count, loss, 1e-9 * Math.Abs(total / count));
        Assert.All(df, g => Assert.True(float.IsFinite(g)));
        for (int i = 0; i < n; i++)
        {
            double rowSum = 0;
            for (int j = 0; j < v; j++) rowSum += df[i * v + j];
            Assert.Equal(0.0, rowSum, 1e-6);
        }
    }

    [Fact]
    public void Custom_ignore_index_all_ignored_and_in_place()
    {
        const int n = 4, v = 3;
        var x = new float[] { 1, 2, 3, 0, 0, 0, -1, 5, 2, 7, 7, 1 };
        var t = new[] { 2, 7, 0, 7 };
        var d = new float[n * v];
        double withSeven = SoftmaxCrossEntropy.LossAndGradient<float>(x, n, v, t, d, LossReduction.Sum, ignoreIndex: 7);
        double twoRows = SoftmaxCrossEntropy.Loss<float>(x.AsSpan(0, 3), 1, v, [2], LossReduction.Sum)
                       + SoftmaxCrossEntropy.Loss<float>(x.AsSpan(6, 3), 1, v, [0], LossReduction.Sum);
        Assert.Equal(twoRows, withSeven, 1e-12);
        Assert.All(d.AsSpan(3, 3).ToArray(), g => Assert.Equal(0f, g));

        // Everything ignored: loss 0 and a zero gradient (PyTorch would give NaN for the mean).
        Array.Fill(d, 9f);
        Assert.Equal(0.0, SoftmaxCrossEntropy.LossAndGradient<float>(x, n, v, [-100, -100, -100, -100], d));
        Assert.All(d, g => Assert.Equal(0f, g));

        // In place: dlogits may be the logits buffer itself.
        var copy = (float[])x.Clone();
        var expected = new float[n * v];
        double l1 = SoftmaxCrossEntropy.LossAndGradient<float>(x, n, v, [2, 1, 0, 1], expected);
        double l2 = SoftmaxCrossEntropy.LossAndGradient<float>(copy, n, v, [2, 1, 0, 1], copy);
        Assert.Equal(l1, l2);
        Assert.Equal(expected, copy);
    }

    [Fact]
    public void Bad_arguments_are_reported()
    {
        var x = new float[6];
        var d = new float[6];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.LossAndGradient<float>(x, 2, 3, [0, 3], d));
        Assert.Contains("targets[1] = 3", e.Message);
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.LossAndGradient<float>(x, 2, 3, [0], d));
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.LossAndGradient<float>(x, 2, 3, [0, 1], new float[5]));
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.LossAndGradient<float>(x.AsSpan(0, 5), 2, 3, [0, 1], d));
        var overlapping = Assert.Throws<ArgumentException>(() =>
        {
            var buf = new float[7];
            SoftmaxCrossEntropy.LossAndGradient<float>(buf.AsSpan(0, 6), 2, 3, [0, 1], buf.AsSpan(1, 6));
        });
        Assert.Contains("overlaps", overlapping.Message);
    }

    [Fact]
    public void Tensor_overload_flattens_leading_dimensions()
    {
        var rng = new Rng(1);
        var logits = Tensor.Randn(rng, 1.5f, 3, 2, 5); // (T, B, V)
        int[] t = [0, 4, 2, -100, 1, 3];
        var d = new Tensor(3, 2, 5);
        var dFlat = new float[30];
        double a = SoftmaxCrossEntropy.LossAndGradient(logits, t, d);
        double b = SoftmaxCrossEntropy.LossAndGradient<float>(logits.Data, 6, 5, t, dFlat);
        Assert.Equal(b, a);
        Assert.Equal(dFlat, d.Data);
        Assert.Equal(a, SoftmaxCrossEntropy.Loss(logits, t));
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.LossAndGradient(logits, t, new Tensor(6, 5)));
    }

    [Theory]
    [InlineData("unit")]
    [InlineData("large")]
    public void Matches_pytorch_cross_entropy(string name)
    {
        var f = TrainingFixtures.Load("loss.safetensors");
        var logits = f.GetTensor($"{name}.logits");
        int[] targets = f.GetIntegers($"{name}.targets").ToInt32();
        Assert.Contains(-100, targets);
        foreach (var (red, key) in new[] { (LossReduction.Mean, "mean"), (LossReduction.Sum, "sum") })
        {
            var d = new Tensor(logits.Shape);
            double loss = SoftmaxCrossEntropy.LossAndGradient(logits, targets, d, red);
            double want = f.GetTensor($"{name}.{key}.loss").Data[0];
            Assert.True(Math.Abs(loss - want) <= 1e-5 * Math.Abs(want), $"{name}/{key}: loss {loss:G9}, PyTorch {want:G9}");
            TrainingFixtures.Close($"{name}/{key} dlogits", d.Data, f.GetTensor($"{name}.{key}.dlogits").Data, 1e-5);
        }
    }

    /// <summary>
    /// Label smoothing as PyTorch 1.13 computes it, in double, with an ignored row: the values below were printed by
    /// <c>F.cross_entropy(x, t, label_smoothing=0.2)</c> and <c>x.grad</c> for these logits and targets.
    /// </summary>
    [Fact]
    public void LabelSmoothingMatchesPyTorch()
    {
        double[] x = [0.5, -1.25, 2.0, 0.0, 1.5, 0.25, -0.75, 3.0, 0.1, 0.2, 0.3, 0.4];
        int[] t = [2, 0, SoftmaxCrossEntropy.DefaultIgnoreIndex];
        var d = new double[x.Length];
        double loss = SoftmaxCrossEntropy.LossAndGradient<double>(x, 3, 4, t, d, labelSmoothing: 0.2);
        Assert.Equal(1.2712325851062556, loss, 1e-12);
        double[] want = [0.054846775016054124, -0.011124711033659796, -0.06715158110880787, 0.023429517126413522,
            -0.3398732313953729, -0.0006107724535668964, -0.016027704599615042, 0.35651170844855495, 0, 0, 0, 0];
        for (int i = 0; i < x.Length; i++) Assert.Equal(want[i], d[i], 1e-12);
    }

    /// <summary>Smoothing 0 is the plain loss, bit for bit; the gradient of a smoothed loss matches central differences in place.</summary>
    [Fact]
    public void LabelSmoothingZeroIsThePlainLossAndItsGradientIsTheLosssSlope()
    {
        var rng = new Rng(5);
        var x = Tensor.Randn(rng, 2f, 6, 7).Data.Select(v => (double)v).ToArray();
        int[] t = [0, 3, 6, SoftmaxCrossEntropy.DefaultIgnoreIndex, 2, 5];
        var plain = new double[x.Length];
        var zero = new double[x.Length];
        Assert.Equal(SoftmaxCrossEntropy.LossAndGradient<double>(x, 6, 7, t, plain), SoftmaxCrossEntropy.LossAndGradient<double>(x, 6, 7, t, zero, labelSmoothing: 0));
        Assert.Equal(plain, zero);
        var g = (double[])x.Clone();
        SoftmaxCrossEntropy.LossAndGradient<double>(g, 6, 7, t, g, labelSmoothing: 0.3); // in place
        var scratch = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double h = 1e-6, keep = x[i];
            x[i] = keep + h; double up = SoftmaxCrossEntropy.LossAndGradient<double>(x, 6, 7, t, scratch, labelSmoothing: 0.3);
            x[i] = keep - h; double down = SoftmaxCrossEntropy.LossAndGradient<double>(x, 6, 7, t, scratch, labelSmoothing: 0.3);
            x[i] = keep;
            Assert.Equal((up - down) / (2 * h), g[i], 1e-7);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.LossAndGradient<double>(x, 6, 7, t, scratch, labelSmoothing: 1.5));
    }
}
