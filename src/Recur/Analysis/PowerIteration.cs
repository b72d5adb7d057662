using System.Numerics.Tensors;

namespace Recur.Analysis;

/// <summary>
/// Largest singular value of a dense matrix by power iteration on <c>W^T W</c>:
/// <c>v_{k+1} = W^T W v_k / ||W^T W v_k||</c>, <c>sigma_max = sqrt(v^T W^T W v) = ||W v||</c> at convergence.
/// Runs in double precision; converges geometrically with ratio <c>(sigma_2 / sigma_1)^2</c>.
/// </summary>
public static class PowerIteration
{
    /// <summary>
    /// The largest singular value of <paramref name="w"/> (<c>rows x cols</c>, row-major).
    /// Stops when the estimate changes by less than <paramref name="tolerance"/> (relative) or after
    /// <paramref name="maxIterations"/> iterations; the start vector is drawn from <paramref name="rng"/>.
    /// </summary>
    public static double LargestSingularValue(ReadOnlySpan<float> w, int rows, int cols, Rng rng,
        int maxIterations = 2000, double tolerance = 1e-12)
    {
        var wd = new double[w.Length];
        for (int i = 0; i < w.Length; i++) wd[i] = w[i];
        return LargestSingularValue(wd, rows, cols, rng, maxIterations, tolerance);
    }

    /// <inheritdoc cref="LargestSingularValue(ReadOnlySpan{float}, int, int, Rng, int, double)"/>
    public static double LargestSingularValue(ReadOnlySpan<double> w, int rows, int cols, Rng rng,
        int maxIterations = 2000, double tolerance = 1e-12)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Guard.Positive(rows, nameof(rows));
        Guard.Positive(cols, nameof(cols));
        Guard.Length(w.Length, rows * cols, nameof(w));
        var v = new double[cols];
        var u = new double[rows];
        for (int j = 0; j < cols; j++) v[j] = rng.NextGaussian();
        double n0 = Math.Sqrt(TensorPrimitives.Dot<double>(v, v));
        if (n0 == 0) v[0] = n0 = 1;
        TensorPrimitives.Divide(v, n0, v);
        double sigma = 0;
        for (int it = 0; it < maxIterations; it++)
        {
            // u = W v ; sigma estimate = ||u|| (v has unit norm)
            for (int i = 0; i < rows; i++) u[i] = TensorPrimitives.Dot(w.Slice(i * cols, cols), v);
            double s = Math.Sqrt(TensorPrimitives.Dot<double>(u, u));
            if (s == 0) return 0; // v in the null space; W = 0 on this start (or W = 0)
            // v = W^T u / ||W^T u||
            Array.Clear(v);
            for (int i = 0; i < rows; i++) TensorPrimitives.MultiplyAdd(w.Slice(i * cols, cols), u[i], v, v);
            double nv = Math.Sqrt(TensorPrimitives.Dot<double>(v, v));
            TensorPrimitives.Divide(v, nv, v);
            bool done = Math.Abs(s - sigma) <= tolerance * s;
            sigma = s;
            if (done) break;
        }
        // One last product with the final vector.
        for (int i = 0; i < rows; i++) u[i] = TensorPrimitives.Dot(w.Slice(i * cols, cols), v);
        return Math.Max(sigma, Math.Sqrt(TensorPrimitives.Dot<double>(u, u)));
    }

    /// <summary>
    /// Rescales <paramref name="w"/> in place so that its largest singular value is <paramref name="target"/>;
    /// returns the value before rescaling.
    /// </summary>
    public static double ScaleToSingularValue(Span<float> w, int rows, int cols, double target, Rng rng)
    {
        if (!(target >= 0) || double.IsInfinity(target))
            throw new ArgumentOutOfRangeException(nameof(target), target, $"target singular value must be finite and non-negative, got {target}.");
        double s = LargestSingularValue(w, rows, cols, rng);
        if (s == 0) throw new ArgumentException("the matrix is zero; it cannot be rescaled to a positive singular value.", nameof(w));
        TensorPrimitives.Multiply(w, (float)(target / s), w);
        return s;
    }
}
