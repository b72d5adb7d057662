using Recur.Tasks;
using Xunit;

namespace Recur.Tests.Tasks;

/// <summary>Bucketing by length: the same examples, batches of similar length, in a shuffled order fixed by seed and epoch.</summary>
public sealed class EpochOrderTests
{
    private static int[] Lengths(int n, int seed)
    {
        var r = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => r.Next(1, 30))];
    }

    private static double MeanSpread(int[] order, int[] lengths, int batch, int batches)
        => Enumerable.Range(0, batches).Average(k => order.Skip(k * batch).Take(batch).Max(i => lengths[i]) - order.Skip(k * batch).Take(batch).Min(i => lengths[i]));

    [Fact]
    public void BucketsHoldTheSameExamplesInBatchesOfSimilarLength()
    {
        const int n = 1003, batch = 16, batches = n / batch;
        var lengths = Lengths(n, 1);
        var plain = EpochOrder.Order(n, 7, 0);
        var bucketed = EpochOrder.Bucketed(plain, lengths, batch, 8, 7, 0);
        // The whole batches hold the same examples, the skipped tail is the plain order's.
        Assert.Equal(plain.Take(batches * batch).Order(), bucketed.Take(batches * batch).Order());
        Assert.Equal(plain.Skip(batches * batch), bucketed.Skip(batches * batch));
        Assert.True(MeanSpread(bucketed, lengths, batch, batches) < 0.3 * MeanSpread(plain, lengths, batch, batches));
        // Deterministic from the seed and the epoch; the batch order is shuffled, not sorted.
        Assert.Equal(bucketed, EpochOrder.Bucketed(plain, lengths, batch, 8, 7, 0));
        Assert.NotEqual(bucketed, EpochOrder.Bucketed(plain, lengths, batch, 8, 7, 1));
        var firsts = Enumerable.Range(0, batches).Select(k => lengths[bucketed[k * batch]]).ToArray();
        Assert.NotEqual(firsts.Order(), firsts);
    }

    [Fact]
    public void OneBucketOfEveryBatchSortsTheWholeEpoch()
    {
        const int n = 640, batch = 32, batches = n / batch;
        var lengths = Lengths(n, 2);
        var bucketed = EpochOrder.Bucketed(EpochOrder.Order(n, 3, 0), lengths, batch, batches, 3, 0);
        var ranges = Enumerable.Range(0, batches).Select(k => bucketed.Skip(k * batch).Take(batch).Select(i => lengths[i]).ToArray())
            .Select(b => (Min: b.Min(), Max: b.Max())).OrderBy(r => r.Min).ThenBy(r => r.Max).ToArray();
        for (int k = 1; k < ranges.Length; k++) Assert.True(ranges[k - 1].Max <= ranges[k].Min, $"batches {k - 1} and {k} overlap");
    }

    [Fact]
    public void TheOrderWalksTheBucketedEpochAndRefusesBucketsWithoutLengths()
    {
        var lengths = Lengths(100, 3);
        var order = new EpochOrder(100, 10, 5, lengths, 2);
        var expected = EpochOrder.Bucketed(EpochOrder.Order(100, 5, 0), lengths, 10, 2, 5, 0);
        for (int k = 0; k < 10; k++) Assert.Equal(expected.AsSpan(k * 10, 10).ToArray(), order.Next().ToArray());
        Assert.Throws<ArgumentException>(() => new EpochOrder(100, 10, 5, null, 2));
        Assert.Throws<ArgumentException>(() => new EpochOrder(100, 10, 5, lengths.Take(99).ToArray(), 2));
        Assert.Throws<ArgumentException>(() => new EpochOrder(100, 10, 5, lengths, -1));
    }
}
