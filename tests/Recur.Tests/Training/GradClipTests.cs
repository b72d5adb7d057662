using Recur.Training;
using Xunit;

namespace Recur.Tests.Training;

public sealed class GradClipTests
{
    private static float[] Random(int n, float scale, ulong seed)
    {
        var rng = new Rng(seed);
        var g = new float[n];
        for (int i = 0; i < n; i++) g[i] = scale * rng.NextGaussian();
        return g;
    }

    [Fact]
    public void Clip_by_value_clamps_to_the_limit()
    {
        var g = Random(37, 10f, 1);
        var orig = (float[])g.Clone();
        GradClip.ClipByValue(g, 5f);
        for (int i = 0; i < g.Length; i++) Assert.Equal(Math.Clamp(orig[i], -5f, 5f), g[i]);
        Assert.Contains(orig, x => Math.Abs(x) > 5f); // the case really clips something
        Assert.Throws<ArgumentOutOfRangeException>(() => GradClip.ClipByValue(g, -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradClip.ClipByValue(g, float.NaN));
    }

    [Fact]
    public void Global_norm_is_the_true_l2_norm()
    {
        foreach (int n in new[] { 0, 1, 7, 8, 9, 1000, 1003 })
        {
            var g = Random(n, 3f, (ulong)n + 2);
            double want = 0;
            foreach (float x in g) want += (double)x * x;
            want = Math.Sqrt(want);
            Assert.Equal(want, GradClip.GlobalNorm(g), 1e-12 * Math.Max(1, want));
        }
        Assert.Equal(5.0, GradClip.GlobalNorm([3f, 4f])); // the root is taken (not the slide's sum of squares, 25)
    }

    [Fact]
    public void Norm_does_not_depend_on_the_buffer_offset()
    {
        var g = Random(517, 1f, 4);
        var shifted = new float[g.Length + 3];
        g.CopyTo(shifted, 3);
        Assert.Equal(GradClip.GlobalNorm(g), GradClip.GlobalNorm(shifted.AsSpan(3)));
    }

    [Fact]
    public void Clip_by_norm_scales_only_when_above_the_threshold()
    {
        var g = Random(100, 1f, 5);
        double norm = GradClip.GlobalNorm(g);
        var small = (float[])g.Clone();
        Assert.Equal(norm, GradClip.ClipByNorm(small, (float)(norm * 2)));
        Assert.Equal(g, small); // untouched, bit for bit

        var big = (float[])g.Clone();
        Assert.Equal(norm, GradClip.ClipByNorm(big, 1f));
        Assert.Equal(1.0, GradClip.GlobalNorm(big), 1e-5);
        for (int i = 0; i < g.Length; i++) Assert.Equal(g[i] / norm, big[i], 1e-6); // direction kept

        var bad = (float[])g.Clone();
        bad[17] = float.NaN;
        var badCopy = (float[])bad.Clone();
        Assert.True(double.IsNaN(GradClip.ClipByNorm(bad, 1f)));
        Assert.Equal(badCopy, bad);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradClip.ClipByNorm(g, 0f));
    }

    [Theory]
    [InlineData("big")]
    [InlineData("small")]
    [InlineData("mid")]
    public void Matches_pytorch_clip_grad_norm_and_value(string name)
    {
        var f = TrainingFixtures.Load("clip.safetensors");
        var before = f.GetTensor($"{name}.before").Data;
        float maxNorm = (float)TrainingFixtures.Number(f, $"{name}.max_norm");
        float limit = (float)TrainingFixtures.Number(f, $"{name}.clip_value");

        var g = (float[])before.Clone();
        double total = GradClip.ClipByNorm(g, maxNorm);
        double want = f.GetTensor($"{name}.total_norm").Data[0];
        Assert.True(Math.Abs(total - want) <= 1e-6 * want, $"{name}: norm {total:G9}, PyTorch {want:G9}");
        TrainingFixtures.Close($"{name} clip_grad_norm_", g, f.GetTensor($"{name}.after_norm").Data, 1e-5);

        g = (float[])before.Clone();
        GradClip.ClipByValue(g, limit);
        Assert.Equal(f.GetTensor($"{name}.after_value").Data, g);
    }

    [Fact]
    public void NormAndClipDoNotDependOnTheThreadCount()
    {
        var g = new float[5 * GradClip.NormBlock + 77];
        new Rng(3).FillUniform(g, -1f, 1f);
        double want = 0;
        foreach (float v in g) want += (double)v * v;
        want = Math.Sqrt(want);
        double one = GradClip.GlobalNorm(g, 1);
        Assert.Equal(want, one, 1e-12 * want);
        foreach (int threads in new[] { 0, 2, 3, 8 }) Assert.Equal(one, GradClip.GlobalNorm(g, threads));
        var a = (float[])g.Clone();
        var b = (float[])g.Clone();
        Assert.Equal(GradClip.ClipByNorm(a, 1f, 1), GradClip.ClipByNorm(b, 1f, 2));
        Assert.Equal(a, b);
        Assert.Equal(1.0, GradClip.GlobalNorm(a, 2), 1e-5);
    }
}
