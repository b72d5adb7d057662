using System.Buffers;
using System.Numerics.Tensors;

namespace Recur.Nn;

/// <summary>How per-row losses are combined into one number.</summary>
public enum LossReduction
{
    /// <summary>Average over the rows whose target is not the ignore index (PyTorch's default).</summary>
    Mean,

    /// <summary>Sum over the rows whose target is not the ignore index.</summary>
    Sum,
}

/// <summary>
/// Softmax cross-entropy over the last dimension, fused with its gradient (PyTorch's
/// <c>F.cross_entropy(logits, targets, ignore_index=-100, reduction=...)</c>).
/// <para>
/// For each row i of the logits <c>x</c> (shape <c>(N, V)</c>) with target <c>t_i</c>:
/// <c>loss_i = logsumexp(x_i) - x_i[t_i]</c>, computed stably as
/// <c>m + log(sum_j exp(x_ij - m)) - x_i[t_i]</c> with <c>m = max_j x_ij</c>. Rows whose target
/// equals the ignore index contribute nothing. With <see cref="LossReduction.Mean"/> the result is
/// <c>sum_i loss_i / count</c>, count being the number of non-ignored rows; with
/// <see cref="LossReduction.Sum"/> it is <c>sum_i loss_i</c>.
/// </para>
/// <para>
/// The gradient is <c>dL/dx_ij = s * (softmax(x_i)_j - [j == t_i])</c>, with <c>s = 1/count</c>
/// for the mean and <c>s = 1</c> for the sum; ignored rows get zeros.
/// </para>
/// <para>
/// The losses are returned as <see cref="double"/>: each row's log-sum-exp is computed in
/// the element type (float in training), and the rows are accumulated in double in row
/// order, so the result is deterministic and does not lose digits over long batches.
/// When every row is ignored the mean is defined here as 0 with a zero gradient (PyTorch returns
/// NaN), so a fully padded batch cannot poison a training run.
/// </para>
/// The generic methods work for <see cref="float"/> (training) and <see cref="double"/>
/// (numerical gradient checks); both are vectorized by <see cref="TensorPrimitives"/>.
/// </summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>PyTorch's default ignore index.</summary>
    public const int DefaultIgnoreIndex = -100;

    /// <summary>
    /// Computes the loss and writes its gradient with respect to the logits.
    /// </summary>
    /// <param name="logits">Row-major <c>(n, v)</c> scores.</param>
    /// <param name="n">Number of rows (e.g. <c>T*B</c>).</param>
    /// <param name="v">Number of classes (e.g. the vocabulary size).</param>
    /// <param name="targets"><c>(n)</c> class indices in <c>[0, v)</c>, or <paramref name="ignoreIndex"/>.</param>
    /// <param name="dlogits"><c>(n, v)</c> output: <c>dL/dlogits</c>. May alias <paramref name="logits"/> exactly (in-place).</param>
    /// <param name="reduction">Mean over the non-ignored rows, or sum.</param>
    /// <param name="ignoreIndex">Target value that marks a row to skip.</param>
    /// <param name="labelSmoothing">
    /// <c>ε</c> in <c>[0, 1]</c>: the target is <c>(1 - ε)</c> on the class and <c>ε/v</c> on every class, so each row's loss is
    /// <c>(1 - ε)(-log p_t) + ε mean_j(-log p_j)</c> and its gradient <c>p - q</c>, as PyTorch's <c>label_smoothing</c>.
    /// </param>
    /// <returns>The reduced loss (natural log units).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double LossAndGradient<T>(
        ReadOnlySpan<T> logits, int n, int v, ReadOnlySpan<int> targets, Span<T> dlogits,
        LossReduction reduction = LossReduction.Mean, int ignoreIndex = DefaultIgnoreIndex, double labelSmoothing = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "label smoothing must be in [0, 1].");
        int count = CheckShapes(logits.Length, n, v, targets, ignoreIndex);
        Guard.Length(dlogits.Length, checked(n * v), nameof(dlogits));
        if (logits.Overlaps(dlogits, out int offset) && offset != 0)
            throw new ArgumentException("dlogits overlaps logits at a non-zero offset; pass the same span for in-place or disjoint spans.", nameof(dlogits));

        if (count == 0)
        {
            dlogits.Clear();
            return 0;
        }

        // Gradient scale per row: 1/count for the mean, 1 for the sum.
        T scale = reduction == LossReduction.Mean ? T.One / T.CreateTruncating(count) : T.One;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            Span<T> d = dlogits.Slice(i * v, v);
            int t = targets[i];
            if (t == ignoreIndex)
            {
                d.Clear();
                continue;
            }
            ReadOnlySpan<T> row = logits.Slice(i * v, v);
            T max = TensorPrimitives.Max(row);
            T xt = row[t]; // read before d overwrites an aliased row
            double rowMean = labelSmoothing > 0 ? double.CreateTruncating(OrderedSum<T>(row)) / v : 0;
            TensorPrimitives.Subtract(row, max, d);
            TensorPrimitives.Exp(d, d);
            T sum = OrderedSum<T>(d);
            double lse = double.CreateTruncating(max) + Math.Log(double.CreateTruncating(sum));
            double nll = lse - double.CreateTruncating(xt);
            total += labelSmoothing > 0 ? (1 - labelSmoothing) * nll + labelSmoothing * (lse - rowMean) : nll;
            // d holds exp(x - max): normalise and scale in one multiply, then subtract the scaled target.
            TensorPrimitives.Multiply(d, scale / sum, d);
            if (labelSmoothing > 0)
            {
                d[t] -= scale * T.CreateTruncating(1 - labelSmoothing);
                TensorPrimitives.Subtract(d, scale * T.CreateTruncating(labelSmoothing / v), d);
            }
            else d[t] -= scale;
        }
        return reduction == LossReduction.Mean ? total / count : total;
    }

    /// <summary>
    /// The loss only (evaluation): same definition as
    /// <see cref="LossAndGradient{T}(ReadOnlySpan{T}, int, int, ReadOnlySpan{int}, Span{T}, LossReduction, int, double)"/>,
    /// without writing a gradient. Uses one pooled scratch row of length <paramref name="v"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Loss<T>(
        ReadOnlySpan<T> logits, int n, int v, ReadOnlySpan<int> targets,
        LossReduction reduction = LossReduction.Mean, int ignoreIndex = DefaultIgnoreIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = CheckShapes(logits.Length, n, v, targets, ignoreIndex);
        if (count == 0) return 0;
        T[] scratch = ArrayPool<T>.Shared.Rent(v);
        try
        {
            Span<T> e = scratch.AsSpan(0, v);
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                int t = targets[i];
                if (t == ignoreIndex) continue;
                ReadOnlySpan<T> row = logits.Slice(i * v, v);
                T max = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, max, e);
                TensorPrimitives.Exp(e, e);
                T sum = OrderedSum<T>(e);
                total += double.CreateTruncating(max) - double.CreateTruncating(row[t]) + Math.Log(double.CreateTruncating(sum));
            }
            return reduction == LossReduction.Mean ? total / count : total;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Tensor convenience overload: <paramref name="logits"/> has shape <c>(..., V)</c> (all leading
    /// dimensions are flattened into N rows), <paramref name="targets"/> has N entries, and
    /// <paramref name="dlogits"/> has the logits' shape.
    /// </summary>
    public static double LossAndGradient(
        Tensor logits, ReadOnlySpan<int> targets, Tensor dlogits,
        LossReduction reduction = LossReduction.Mean, int ignoreIndex = DefaultIgnoreIndex)
    {
        (int n, int v) = Rows(logits);
        Guard.Shape(dlogits, nameof(dlogits), logits.Shape);
        return LossAndGradient<float>(logits.Data, n, v, targets, dlogits.Data, reduction, ignoreIndex);
    }

    /// <summary>Tensor convenience overload of the forward-only <c>Loss</c>; logits have shape <c>(..., V)</c>.</summary>
    public static double Loss(
        Tensor logits, ReadOnlySpan<int> targets,
        LossReduction reduction = LossReduction.Mean, int ignoreIndex = DefaultIgnoreIndex)
    {
        (int n, int v) = Rows(logits);
        return Loss<float>(logits.Data, n, v, targets, reduction, ignoreIndex);
    }

    /// <summary>
    /// Sum in a fixed order that depends only on the length (lane-wise accumulation from index 0,
    /// then the lanes, then the tail), so the result does not depend on the buffer's address
    /// (TensorPrimitives.Sum may align its loop to the address).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static T OrderedSum<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        T total = T.Zero;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            ref T r = ref MemoryMarshal.GetReference(x);
            var acc = Vector<T>.Zero;
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
                acc += Vector.LoadUnsafe(ref r, (nuint)i);
            total = Vector.Sum(acc);
        }
        for (; i < x.Length; i++) total += x[i];
        return total;
    }

    private static (int N, int V) Rows(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank < 1)
            throw new ArgumentException($"logits has shape {logits.ShapeString}; expected (..., V) with at least one dimension.", nameof(logits));
        int v = logits.Size(-1);
        Guard.Positive(v, "V (last dimension of logits)");
        return (logits.Length / v, v);
    }

    private static int CheckShapes(int logitsLength, int n, int v, ReadOnlySpan<int> targets, int ignoreIndex)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"n must be non-negative, got {n}.");
        Guard.Positive(v, nameof(v));
        Guard.Length(logitsLength, checked(n * v), "logits");
        Guard.Length(targets.Length, n, nameof(targets));
        int count = 0;
        for (int i = 0; i < n; i++)
        {
            int t = targets[i];
            if (t == ignoreIndex) continue;
            if ((uint)t >= (uint)v)
                throw new ArgumentOutOfRangeException(nameof(targets), t,
                    $"targets[{i}] = {t} is outside [0, {v}) and is not the ignore index {ignoreIndex}.");
            count++;
        }
        return count;
    }
}
