using System.Numerics.Tensors;

namespace Recur.Kernels;

/// <summary>Deterministic reductions (fixed order, no parallel reduction).</summary>
public static class Reduce
{
    /// <summary><c>acc[j] += sum_r x[r, j]</c> over an <c>(rows, cols)</c> row-major matrix with row stride <paramref name="ld"/>.</summary>
    public static void SumRows(ReadOnlySpan<float> x, int rows, int cols, Span<float> acc, int ld = -1)
    {
        if (ld < 0) ld = cols;
        var a = acc.Slice(0, cols);
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(a, x.Slice(r * ld, cols), a);
    }

    /// <summary><c>acc[r] += sum_j x[r, j]</c>: each row's sum of an <c>(rows, cols)</c> row-major matrix.</summary>
    public static void SumColumns(ReadOnlySpan<float> x, int rows, int cols, Span<float> acc)
    {
        for (int r = 0; r < rows; r++) acc[r] += TensorPrimitives.Sum(x.Slice(r * cols, cols));
    }
}
