using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Recur.Training;

/// <summary>
/// Gradient clipping against exploding gradients in backpropagation through time (CS231n, RNN
/// lecture: "gradient clipping: scale gradient if its norm is too big"). Works on a whole gradient
/// arena (<see cref="Nn.ParameterStore.Grads"/>) in place.
/// </summary>
public static class GradClip
{
    /// <summary>
    /// Clamps every gradient element to <c>[-limit, limit]</c> in place, as min-char-rnn's
    /// <c>np.clip(dparam, -5, 5, out=dparam)</c> and PyTorch's <c>clip_grad_value_</c>.
    /// NaN elements stay NaN.
    /// </summary>
    public static void ClipByValue(Span<float> grads, float limit)
    {
        if (!(limit >= 0) || float.IsInfinity(limit))
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"limit must be a finite non-negative number, got {limit}.");
        TensorPrimitives.Clamp(grads, -limit, limit, grads);
    }

    /// <summary>
    /// The true Euclidean norm <c>sqrt(sum_i g_i^2)</c> of all elements, accumulated in double in a
    /// fixed order: blocks of <see cref="NormBlock"/> elements, each summed in four double lanes from
    /// its start, then the block sums in order. The value depends only on the data, never on the
    /// buffer's address or on <paramref name="threads"/> (which share out the blocks).
    /// </summary>
    public static unsafe double GlobalNorm(ReadOnlySpan<float> grads, int threads = 1)
    {
        int blocks = (grads.Length + NormBlock - 1) / NormBlock;
        if (blocks <= 1) return Math.Sqrt(SumOfSquares(grads));
        var partial = new double[blocks];
        int parts = Math.Min(threads <= 0 ? Environment.ProcessorCount : threads, blocks);
        fixed (float* p = grads)
        {
            var job = new NormJob(p, grads.Length, partial, parts);
            if (parts > 1) Kernels.GemmWorkerPool.Shared.Run(parts, job);
            else job.Execute(0);
        }
        double total = 0;
        foreach (double b in partial) total += b;
        return Math.Sqrt(total);
    }

    /// <summary>Elements per block of the norm's fixed summation order.</summary>
    public const int NormBlock = 1 << 16;

    private sealed unsafe class NormJob(float* p, int n, double[] partial, int parts) : Kernels.IParallelPart
    {
        public void Execute(int part)
        {
            int b0 = (int)((long)partial.Length * part / parts), b1 = (int)((long)partial.Length * (part + 1) / parts);
            for (int b = b0; b < b1; b++)
            {
                int start = b * NormBlock, len = Math.Min(NormBlock, n - start);
                partial[b] = SumOfSquares(new ReadOnlySpan<float>(p + start, len));
            }
        }
    }

    private sealed unsafe class ScaleJob(float* p, int n, float coef, int parts) : Kernels.IParallelPart
    {
        public void Execute(int part)
        {
            int a = (int)((long)n * part / parts), b = (int)((long)n * (part + 1) / parts);
            var s = new Span<float>(p + a, b - a);
            TensorPrimitives.Multiply(s, coef, s);
        }
    }

    /// <summary>
    /// Rescales the gradients in place so that their global L2 norm is at most
    /// <paramref name="maxNorm"/>, with PyTorch's <c>torch.nn.utils.clip_grad_norm_</c> rule:
    /// <c>total = ||g||_2</c>, <c>coef = maxNorm / (total + 1e-6)</c>, and when <c>coef &lt; 1</c>,
    /// <c>g *= coef</c>.
    /// <para>
    /// Note: the CS231n slide's sketch computes <c>np.sum(grad * grad)</c> and compares that to the
    /// threshold, i.e. the <em>squared</em> norm without the square root. Recur uses the true
    /// norm, as PyTorch does, so thresholds carry over from PyTorch recipes.
    /// </para>
    /// <para>
    /// When the norm is not finite (a NaN or infinite gradient) the gradients are left untouched
    /// and the non-finite norm is returned, so the caller can skip the update (PyTorch would
    /// multiply by NaN).
    /// </para>
    /// </summary>
    /// <param name="grads">The gradient arena, rescaled in place.</param>
    /// <param name="maxNorm">The largest norm allowed.</param>
    /// <param name="threads">Threads for the norm and the rescaling (0 = every core); the result does not depend on it.</param>
    /// <returns>The total norm before clipping.</returns>
    public static unsafe double ClipByNorm(Span<float> grads, float maxNorm, int threads = 1)
    {
        if (!(maxNorm > 0) || float.IsInfinity(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"maxNorm must be a finite positive number, got {maxNorm}.");
        double total = GlobalNorm(grads, threads);
        if (!double.IsFinite(total)) return total;
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1.0)
        {
            int parts = Math.Min(threads <= 0 ? Environment.ProcessorCount : threads, grads.Length / NormBlock);
            if (parts <= 1) TensorPrimitives.Multiply(grads, (float)coef, grads);
            else
                fixed (float* p = grads) Kernels.GemmWorkerPool.Shared.Run(parts, new ScaleJob(p, grads.Length, (float)coef, parts));
        }
        return total;
    }

    private static double SumOfSquares(ReadOnlySpan<float> x)
    {
        int i = 0;
        double total = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            ref float r = ref MemoryMarshal.GetReference(x);
            var lo = Vector256<double>.Zero;
            var hi = Vector256<double>.Zero;
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref r, (nuint)i);
                var (a, b) = Vector256.Widen(v);
                lo = Vector256.FusedMultiplyAdd(a, a, lo);
                hi = Vector256.FusedMultiplyAdd(b, b, hi);
            }
            total = Vector256.Sum(lo + hi);
        }
        for (; i < x.Length; i++)
        {
            double d = x[i];
            total = Math.FusedMultiplyAdd(d, d, total);
        }
        return total;
    }
}
