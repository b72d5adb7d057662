using Recur.Kernels;

namespace Recur.Analysis;

/// <summary>
/// Pearson's correlation of every feature with every recorded cell, accumulated over rows that arrive in batches (one
/// row a character: its <c>F</c> feature values and its <c>K</c> cell values), so that a long text never has to be held
/// whole: <c>r = (N Σfx − Σf Σx) / sqrt((N Σf² − (Σf)²)(N Σx² − (Σx)²))</c>, with the sums in double and the cross sums
/// <c>Σfx</c> of a batch as one <c>(F, S) x (S, K)</c> GEMM. A feature or a cell that is constant over the rows has no
/// correlation (NaN).
/// </summary>
public sealed class CorrelationSearch
{
    private readonly int _features, _cells;
    private readonly double[] _sumX, _sumX2, _sumF, _sumF2, _sumFX; // (K), (K), (F), (F), (F, K)
    private readonly float[] _batchFX;                              // (F, K): one batch's cross sums
    private long _count;

    /// <summary>A search over <paramref name="features"/> features and <paramref name="cells"/> cells, with no rows yet.</summary>
    public CorrelationSearch(int features, int cells)
    {
        Guard.Positive(features, nameof(features));
        Guard.Positive(cells, nameof(cells));
        _features = features; _cells = cells;
        _sumX = new double[cells]; _sumX2 = new double[cells]; _sumF = new double[features]; _sumF2 = new double[features];
        _sumFX = new double[(long)features * cells];
        _batchFX = new float[_sumFX.Length];
    }

    /// <summary>Rows added so far.</summary>
    public long Count => _count;

    /// <summary>
    /// Adds <paramref name="rows"/> rows: <paramref name="featureRows"/> <c>(rows, F)</c> and <paramref name="cellRows"/>
    /// <c>(rows, K)</c>, row-major; <paramref name="threads"/> for the GEMM.
    /// </summary>
    public void Add(ReadOnlySpan<float> featureRows, ReadOnlySpan<float> cellRows, int rows, int threads = 1)
    {
        if (rows <= 0) return;
        int F = _features, K = _cells;
        if (featureRows.Length < (long)rows * F)
            throw new ArgumentException($"{rows} rows of {F} features need {rows * F} values, got {featureRows.Length}.", nameof(featureRows));
        if (cellRows.Length < (long)rows * K)
            throw new ArgumentException($"{rows} rows of {K} cells need {(long)rows * K} values, got {cellRows.Length}.", nameof(cellRows));
        for (int s = 0; s < rows; s++)
        {
            var fr = featureRows.Slice(s * F, F);
            for (int f = 0; f < F; f++) { double v = fr[f]; _sumF[f] += v; _sumF2[f] += v * v; }
            var xr = cellRows.Slice(s * K, K);
            for (int k = 0; k < K; k++) { double v = xr[k]; _sumX[k] += v; _sumX2[k] += v * v; }
        }
        Gemm.Sgemm(true, false, F, K, rows, 1f, featureRows[..(rows * F)], F, cellRows[..(rows * K)], K, 0f, _batchFX, K, threads);
        for (int i = 0; i < _batchFX.Length; i++) _sumFX[i] += _batchFX[i];
        _count += rows;
    }

    /// <summary>Per feature: true when it took a single value over the rows (no correlation can be measured).</summary>
    public bool[] FeatureConstant()
    {
        var constant = new bool[_features];
        for (int f = 0; f < _features; f++) constant[f] = !(FeatureVariance(f) > 1e-9 * _count * Math.Max(1, _sumF2[f]));
        return constant;
    }

    /// <summary>Pearson r <c>[feature][cell]</c> over the rows added; NaN where the feature or the cell is constant.</summary>
    public double[][] Correlations()
    {
        var constant = FeatureConstant();
        var corr = new double[_features][];
        for (int f = 0; f < _features; f++)
        {
            corr[f] = new double[_cells];
            double vf = FeatureVariance(f);
            for (int k = 0; k < _cells; k++)
            {
                double vx = _count * _sumX2[k] - _sumX[k] * _sumX[k];
                double cov = _count * _sumFX[(long)f * _cells + k] - _sumF[f] * _sumX[k];
                corr[f][k] = constant[f] || !(vx > 1e-12 * _count * Math.Max(1e-30, _sumX2[k])) ? double.NaN : Math.Clamp(cov / Math.Sqrt(vf * vx), -1, 1);
            }
        }
        return corr;
    }

    /// <summary>
    /// The cells of one feature's <paramref name="correlations"/> (a row of <see cref="Correlations"/>) with the largest |r|, best
    /// first (ties by lower index), at most <paramref name="count"/>; cells without a correlation (NaN) are left out.
    /// </summary>
    public static IReadOnlyList<int> Best(double[] correlations, int count)
    {
        ArgumentNullException.ThrowIfNull(correlations);
        return [.. Enumerable.Range(0, correlations.Length).Where(k => double.IsFinite(correlations[k]))
            .OrderByDescending(k => Math.Abs(correlations[k])).ThenBy(k => k).Take(count)];
    }

    private double FeatureVariance(int f) => _count * _sumF2[f] - _sumF[f] * _sumF[f];
}
