using Recur.Nn;
using Xunit;

namespace Recur.Tests.Nn;

public sealed class DropoutMaskTests
{
    [Theory]
    [InlineData(0.3f, 1001)]
    [InlineData(0.5f, 8)]
    [InlineData(0.05f, 1)]
    public void MaskFollowsTheDrawsTwoPerWord(float p, int n)
    {
        var mask = new float[n];
        float keep = 1f / (1f - p);
        new Rng(42).FillKeepMask(mask, p, keep);

        // The same rule written out from the scalar generator: low half, then high half of each 64-bit draw.
        var reference = new Rng(42);
        long threshold = (long)Math.Round(p * 4294967296.0);
        for (int i = 0; i < n; i += 2)
        {
            ulong x = reference.NextUInt64();
            Assert.Equal((uint)x >= threshold ? keep : 0f, mask[i]);
            if (i + 1 < n) Assert.Equal((x >> 32) >= (ulong)threshold ? keep : 0f, mask[i + 1]);
        }

        // and the generator has advanced by exactly ceil(n / 2) draws
        var after = new Rng(42);
        after.FillKeepMask(new float[n], p, keep);
        Assert.Equal(reference.NextUInt64(), after.NextUInt64());
    }

    [Fact]
    public void KeepsOneMinusPOfTheElements()
    {
        const int n = 1_000_000;
        const float p = 0.3f;
        var mask = new float[n];
        Dropout.MakeMask(new Rng(7), p, mask);
        int kept = mask.Count(v => v != 0f);
        double sigma = Math.Sqrt(n * p * (1 - p));
        Assert.True(Math.Abs(kept - n * (1 - p)) < 5 * sigma, $"kept {kept} of {n}");
        Assert.All(mask, v => Assert.True(v == 0f || v == 1f / (1f - p)));
        // p = 0 keeps everything
        Dropout.MakeMask(new Rng(7), 0f, mask.AsSpan(0, 1000));
        Assert.All(mask.AsSpan(0, 1000).ToArray(), v => Assert.Equal(1f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Rng(1).FillKeepMask(mask, 1f, 1f));
    }

    /// <summary>
    /// The fixtures' hook: a scripted generator's masks follow its keep decisions in order, with the caller's scale
    /// (<see cref="Dropout.MakeMask"/>'s 1/(1-p)), and running out throws rather than inventing decisions.
    /// </summary>
    [Fact]
    public void KeepDecisionsAreUsedInOrderWithTheCallersScale()
    {
        var rng = Rng.WithKeepDecisions([1f, 0f, 0f, 1f, 1f]);
        var a = new float[2];
        var b = new float[3];
        Dropout.MakeMask(rng, 0.5f, a);
        Dropout.MakeMask(rng, 0.2f, b);
        Assert.Equal([2f, 0f], a);
        Assert.Equal([0f, 1.25f, 1.25f], b);
        Assert.Equal(0, rng.KeepDecisionsLeft);
        Assert.Throws<InvalidOperationException>(() => Dropout.MakeMask(rng, 0.5f, a));
        Assert.Equal(0, new Rng(1).KeepDecisionsLeft);
    }
}
