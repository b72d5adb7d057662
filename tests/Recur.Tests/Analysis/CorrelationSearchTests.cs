using Recur.Analysis;
using Xunit;

namespace Recur.Tests.Analysis;

/// <summary>The correlation search finds a unit planted to track a feature, with the r worked by hand.</summary>
public sealed class CorrelationSearchTests
{
    [Fact]
    public void APlantedUnitIsFoundWithItsKnownR()
    {
        // f = 0,0,1,1 repeated (mean 1/2, variance 1/4) and g = 1,-1,1,-1 repeated (mean 0, variance 1, uncorrelated with f:
        // each block of four sums (f - 1/2) g = -1/2 + 1/2 + 1/2 - 1/2 = 0). The planted unit x = -f + g/4 has variance
        // 1/4 + 1/16 = 5/16 and covariance -1/4 with f, so r = -(1/4) / sqrt(1/4 * 5/16) = -2/sqrt(5) = -0.894427...
        // A copy 2f + 1 has r = 1; noise units have |r| near 0; a constant unit has none (NaN).
        const int N = 400, K = 50, planted = 37, copy = 12, constant = 5;
        var rng = new Recur.Rng(11);
        var features = new float[N * 2];   // (N, F = 2): f, and a constant second feature
        var cells = new float[N * K];      // (N, K)
        for (int p = 0; p < N; p++)
        {
            float f = p % 4 >= 2 ? 1 : 0, g = p % 2 == 0 ? 1 : -1;
            features[p * 2] = f;
            features[p * 2 + 1] = 7;
            for (int k = 0; k < K; k++) cells[p * K + k] = (float)rng.NextDouble() - 0.5f;
            cells[p * K + planted] = -f + g / 4;
            cells[p * K + copy] = 2 * f + 1;
            cells[p * K + constant] = 3;
        }
        var search = new CorrelationSearch(2, K);
        // Batches of uneven sizes, as the streams of a text arrive.
        for (int start = 0, size = 1; start < N; start += size, size = size % 7 + 3)
        {
            int rows = Math.Min(size, N - start);
            search.Add(features.AsSpan(start * 2, rows * 2), cells.AsSpan(start * K, rows * K), rows);
        }
        Assert.Equal(N, search.Count);
        var r = search.Correlations();
        Assert.Equal(1.0, r[0][copy], 6);
        Assert.Equal(-2 / Math.Sqrt(5), r[0][planted], 6);
        Assert.True(double.IsNaN(r[0][constant]));
        Assert.Equal([false, true], search.FeatureConstant());
        Assert.All(r[1], v => Assert.True(double.IsNaN(v)));
        var best = CorrelationSearch.Best(r[0], 3);
        Assert.Equal(copy, best[0]);
        Assert.Equal(planted, best[1]);
        Assert.True(Math.Abs(r[0][best[2]]) < 0.3, $"a noise unit reached r = {r[0][best[2]]}");
        Assert.DoesNotContain(constant, CorrelationSearch.Best(r[0], K));
    }
}

public sealed class CellsRenderCellsTests
{
    [Fact]
    public void KeptCellsHoldTheSameActivationsAsAFullRecording()
    {
        string text = CellsFixture.Text(40, 5);
        var (model, _, tokens) = CellsFixture.Trained(text, iterations: 5);
        var runes = CellsFixture.Runes(text);
        var all = Cells.Analyze(model, tokens, runes, new CellsOptions { Streams = 3, RenderChars = tokens.Length, RenderBudget = long.MaxValue });
        int c = all.Layout.Offset(1, "c", 4);
        var some = Cells.Analyze(model, tokens, runes, new CellsOptions
        {
            Streams = 3, RenderChars = tokens.Length, RenderBudget = long.MaxValue, RenderCells = [c, 0, c],
        });
        Assert.Equal(2 * tokens.Length, some.RenderValues.Length); // two distinct cells kept
        Assert.Equal(all.RenderRow(c).ToArray(), some.RenderRow(c).ToArray());
        Assert.Equal(all.RenderRow(0).ToArray(), some.RenderRow(0).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => some.RenderRow(1).ToArray());
        Assert.Equal(all.Correlation[0], some.Correlation[0]);
    }
}
