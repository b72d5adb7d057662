using Recur.Data;
using Xunit;

namespace Recur.Tests.Data;

public sealed class BatcherTests
{
    private static int[] Tokens(int n, int seed)
    {
        var rng = new Rng((ulong)seed);
        return Enumerable.Range(0, n).Select(_ => rng.NextInt(1000)).ToArray();
    }

    /// <summary>torch-rnn's DataLoader, transcribed: vx = v[1..n-1], vy = v[2..n], drop num % (N T),
    /// view(N, -1, T), batch i = [:, i, :] — here as explicit 3-D indexing.</summary>
    private static (int[,,] X, int[,,] Y) TorchRnnReference(int[] v, int n, int t)
    {
        int num = v.Length - 1;
        int k = num / (n * t);
        var x = new int[n, k, t];
        var y = new int[n, k, t];
        int flat = 0;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < k; i++)
                for (int s = 0; s < t; s++, flat++)
                {
                    x[b, i, s] = v[flat];
                    y[b, i, s] = v[flat + 1];
                }
        return (x, y);
    }

    [Theory]
    [InlineData(1000, 4, 7)]
    [InlineData(65, 8, 8)]
    [InlineData(29, 1, 28)]
    [InlineData(500, 3, 1)]
    public void MatchesTorchRnnOverTwoEpochs(int count, int batch, int seq)
    {
        int[] v = Tokens(count, count + batch);
        var (rx, ry) = TorchRnnReference(v, batch, seq);
        var sb = new StreamBatcher(v, batch, seq);
        Assert.Equal(rx.GetLength(1), sb.BatchesPerEpoch);
        Assert.Equal(count - 1 - batch * seq * sb.BatchesPerEpoch, sb.TokensDropped);
        for (int epoch = 0; epoch < 2; epoch++)
            for (int k = 0; k < sb.BatchesPerEpoch; k++)
            {
                var tb = sb.Next();
                Assert.Equal(new BatchInfo(epoch, k, k == 0, k == sb.BatchesPerEpoch - 1), tb.Info);
                for (int s = 0; s < seq; s++)
                    for (int b = 0; b < batch; b++)
                    {
                        Assert.Equal(rx[b, k, s], tb.Inputs[s * batch + b]);
                        Assert.Equal(ry[b, k, s], tb.Targets[s * batch + b]);
                    }
            }
        Assert.Equal(2, sb.Epoch);
    }

    [Fact]
    public void StreamsContinueAcrossBatches()
    {
        var sb = new StreamBatcher(Tokens(2000, 1), 5, 9);
        var prev = sb.Next();
        for (int k = 1; k < sb.BatchesPerEpoch; k++)
        {
            var cur = sb.Next();
            for (int b = 0; b < 5; b++)
            {
                for (int t = 0; t + 1 < 9; t++) Assert.Equal(cur.Targets[t * 5 + b], cur.Inputs[(t + 1) * 5 + b]);
                Assert.Equal(prev.Targets[8 * 5 + b], cur.Inputs[b]);
            }
            prev = cur;
        }
    }

    [Fact]
    public void PositionRestoresExactly()
    {
        int[] v = Tokens(3000, 2);
        var a = new StreamBatcher(v, 4, 16);
        for (int i = 0; i < a.BatchesPerEpoch + 5; i++) a.Next();
        var saved = a.Position;
        Assert.Equal(new StreamPosition(1, 5), saved);
        var expected = Enumerable.Range(0, 60).Select(_ => a.Next()).ToList();

        var b = new StreamBatcher(v, 4, 16) { Position = saved };
        foreach (var e in expected)
        {
            var got = b.Next();
            Assert.Equal(e.Inputs, got.Inputs);
            Assert.Equal(e.Targets, got.Targets);
            Assert.Equal(e.Info, got.Info);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Position = new StreamPosition(0, b.BatchesPerEpoch));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Position = new StreamPosition(-1, 0));
    }

    [Fact]
    public void ShortSplitSaysWhatIsNeeded()
    {
        var e = Assert.Throws<ArgumentException>(() => new StreamBatcher(new int[40], 4, 10, "train"));
        Assert.Contains("train split has 40 tokens", e.Message);
        Assert.Contains("at least 41", e.Message);
        _ = new StreamBatcher(new int[41], 4, 10);
        Assert.Throws<ArgumentException>(() => new StreamBatcher(new int[10], 1, 10));
    }

    [Theory]
    [InlineData(1000, 4, 7)]
    [InlineData(1000, 1, 50)]
    [InlineData(11, 10, 3)]
    [InlineData(103, 3, 200)]
    public void SequentialBatcherScoresEveryPairOnce(int count, int batch, int seq)
    {
        int[] v = Enumerable.Range(0, count).ToArray(); // token = its position
        var eb = new SequentialBatcher(v, batch, seq);
        Assert.InRange(eb.TokensDropped, 0, batch - 1);
        var seen = new bool[count];
        long pairs = 0;
        var nextExpected = Enumerable.Range(0, batch).Select(b => b * eb.StreamLength).ToArray();
        foreach (var c in eb.Chunks())
        {
            Assert.InRange(c.Steps, 1, seq);
            for (int t = 0; t < c.Steps; t++)
                for (int b = 0; b < batch; b++)
                {
                    int x = c.Inputs[t * batch + b];
                    Assert.Equal(x + 1, c.Targets[t * batch + b]);
                    Assert.Equal(nextExpected[b]++, x); // streams run in order, continuing across chunks
                    Assert.False(seen[x]);
                    seen[x] = true;
                    pairs++;
                }
        }
        Assert.Equal(eb.TargetCount, pairs);
        Assert.Equal(count - 1 - eb.TokensDropped, pairs);
        Assert.Contains("needs at least", Assert.Throws<ArgumentException>(() => new SequentialBatcher(new int[4], 4, 2)).Message);
    }
}
