using System.Text;
using Recur.Cli.Board;
using Xunit;

namespace Recur.Tests.Cli.Board;

/// <summary>
/// The board follows a growing metrics.jsonl: each update reads only the bytes appended since the last, a half-written
/// last line waits for its newline, a malformed line is skipped and counted, a rewritten file is read again, and a long
/// file keeps a bounded number of points (the means worked by hand).
/// </summary>
public sealed class MetricsFollowerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("recur-follow-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Train(long iter, double loss) => $"{{\"type\":\"train\",\"iter\":{iter},\"loss\":{loss},\"elapsed_s\":{iter * 0.5}}}\n";

    private static string Val(long iter, double loss, bool best) =>
        $"{{\"type\":\"val\",\"iter\":{iter},\"val_loss\":{loss},\"val_accuracy\":0.5,\"elapsed_s\":{iter * 0.5 + 0.25},"
        + $"\"best\":{(best ? "true" : "false")},\"best_by\":\"loss\"}}\n";

    private static void Append(string path, string text) => File.AppendAllText(path, text, new UTF8Encoding(false));

    [Fact]
    public void ReadsOnlyTheNewBytesWaitsForAHalfWrittenLineAndSkipsAMalformedOne()
    {
        string path = Path.Combine(_dir, "metrics.jsonl");
        string first = Train(1, 2.0) + Train(2, 1.0) + Val(2, 1.5, best: true);
        Append(path, first);
        var f = new MetricsFollower(path);
        Assert.True(f.Update());
        Assert.Equal(3, f.Lines);
        Assert.Equal(Encoding.UTF8.GetByteCount(first), f.BytesRead);
        Assert.Equal((2L, 1.25), (f.Last.Iteration, f.Last.Elapsed));
        Assert.Equal(("loss", 1.5, 2L), f.Best);
        long version = f.Version;

        Assert.False(f.Update());                 // nothing new: nothing read, the version stays
        Assert.Equal(Encoding.UTF8.GetByteCount(first), f.BytesRead);
        Assert.Equal(version, f.Version);

        string line3 = Train(3, 0.5), half = line3[..10], rest = line3[10..];
        string more = "{\"type\":\"train\",\"iter\":\n" + half;   // a malformed line, then half of line 3
        Append(path, more);
        Assert.True(f.Update());
        Assert.Equal(Encoding.UTF8.GetByteCount(first + more), f.BytesRead);  // only the appended bytes were read
        Assert.Equal(4, f.Lines);
        Assert.Equal(1, f.Skipped);
        Assert.Equal(2, f.Train.Count);           // the half line is not a point yet

        Append(path, rest);
        Assert.True(f.Update());
        Assert.Equal(Encoding.UTF8.GetByteCount(first + more + rest), f.BytesRead);
        Assert.Equal(3, f.Train.Count);
        Assert.Equal(3, f.Train.X(2));
        Assert.Equal(0.5, f.Train.Value(0, 2));
        Assert.Equal(1.5, f.Train.T(2));
        Assert.False(f.EndsWithValidation);
        Assert.True(f.Version > version);
    }

    [Fact]
    public void ARewrittenFileIsReadAgainFromItsStart()
    {
        string path = Path.Combine(_dir, "metrics.jsonl");
        File.WriteAllText(path, Train(1, 4) + Train(2, 3) + Train(3, 2));
        var f = new MetricsFollower(path);
        f.Update();
        Assert.Equal(3, f.Train.Count);
        // A resumed run keeps the lines up to its checkpoint (iteration 1) and goes on: the file is shorter, then longer.
        File.WriteAllText(path, Train(1, 4) + Train(2, 9));
        f.Update();
        Assert.Equal(2, f.Train.Count);
        Assert.Equal(9, f.Train.Value(0, 1));
        // Rewritten to the same length or longer between two updates: the iterations going back give it away.
        File.WriteAllText(path, Train(1, 4) + Train(2, 7) + Train(3, 6) + Train(4, 5));
        f.Update();
        Assert.Equal(4, f.Train.Count);
        Assert.Equal(new double[] { 4, 7, 6, 5 }, Enumerable.Range(0, 4).Select(i => f.Train.Value(0, i)));
    }

    [Fact]
    public void PointsMergeInPairsWhenFullMeansWorkedByHand()
    {
        // Capacity 4, losses 1..8: lines 1-4 fill it; line 5 merges the pairs to (1.5, 3.5) at x = 2, 4 (stride 2) and opens
        // a point; lines 5-8 make (5.5, 7.5) at x = 6, 8.
        var s = new DecimatedSeries(4);
        for (int i = 1; i <= 8; i++) s.Add(i, 10 * i, [("loss", i)]);
        Assert.Equal(4, s.Count);
        Assert.Equal(2, s.Stride);
        Assert.Equal(new double[] { 1.5, 3.5, 5.5, 7.5 }, Enumerable.Range(0, 4).Select(i => s.Value(0, i)));
        Assert.Equal(new double[] { 2, 4, 6, 8 }, Enumerable.Range(0, 4).Select(s.X));
        Assert.Equal(new double[] { 20, 40, 60, 80 }, Enumerable.Range(0, 4).Select(s.T));
        // A ninth line: full again, so (1.5, 3.5) -> 2.5 and (5.5, 7.5) -> 6.5 (stride 4), then 9 opens a point.
        s.Add(9, 90, [("loss", 9), ("other", 1)]);
        Assert.Equal(3, s.Count);
        Assert.Equal(4, s.Stride);
        Assert.Equal(new double[] { 2.5, 6.5, 9 }, Enumerable.Range(0, 3).Select(i => s.Value(0, i)));
        Assert.True(double.IsNaN(s.Value(1, 0)));  // a column that appears later has no value before
        Assert.Equal(1, s.Value(1, 2));
        Assert.Equal(9, s.Lines);
    }

    [Fact]
    public void ALongFileKeepsABoundedNumberOfPoints()
    {
        string path = Path.Combine(_dir, "metrics.jsonl");
        const int lines = 50_000;
        using (var w = new StreamWriter(path))
            for (int i = 1; i <= lines; i++)
            {
                w.Write(Train(i, 1.0 / i));
                if (i % 1000 == 0) w.Write(Val(i, 2.0 / i, best: true));
            }
        var f = new MetricsFollower(path, capacity: 256);
        f.Update();
        Assert.Equal(lines + lines / 1000, f.Lines);
        Assert.True(f.Train.Count <= 256, $"{f.Train.Count} points kept");
        Assert.True(f.Train.Count > 128, $"only {f.Train.Count} points kept");
        Assert.Equal(lines, f.Train.X(f.Train.Count - 1));
        Assert.Equal(lines, f.Train.Lines);
        Assert.Equal(50, f.Val.Count);
        Assert.Equal(("loss", 2.0 / lines, (long)lines), f.Best);
        Assert.True(f.EndsWithValidation);
    }
}
