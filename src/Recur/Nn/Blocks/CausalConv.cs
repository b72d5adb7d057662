using System.Numerics.Tensors;

namespace Recur.Nn.Blocks;

/// <summary>
/// Mamba's causal depthwise convolution of width <c>K</c> over <c>Di</c> channels, on a padded time-major input
/// <c>xp (K-1+T, B, Di)</c> whose first <c>K-1</c> steps are the carried last inputs of the previous chunk (zeros at a
/// sequence's start): <c>pre[t, b, c] = bias[c] + sum_k w[c, k] xp[t + k, b, c]</c> (PyTorch's <c>conv1d</c> with
/// <c>groups = Di</c>, <c>padding = K-1</c>, the first <c>T</c> outputs). The weight comes transposed,
/// <c>wt (K, Di)</c>, so every operation runs over the channels.
/// </summary>
internal static class CausalConv
{
    /// <summary><c>pre (T, B, Di)</c> from <c>xp (K-1+T, B, Di)</c>.</summary>
    public static void Forward(ReadOnlySpan<float> xp, ReadOnlySpan<float> wt, ReadOnlySpan<float> bias, Span<float> pre,
        int T, int B, int Di, int K)
    {
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
            {
                var row = pre.Slice((t * B + b) * Di, Di);
                bias.CopyTo(row);
                for (int k = 0; k < K; k++)
                    TensorPrimitives.FusedMultiplyAdd(xp.Slice(((t + k) * B + b) * Di, Di), wt.Slice(k * Di, Di), row, row);
            }
    }

    /// <summary>
    /// Accumulates (+=) <c>dwt (K, Di)</c> and <c>dbias (Di)</c> and writes <c>dx (T, B, Di)</c>, the gradient of the chunk's
    /// own inputs (steps <c>K-1..</c> of <c>xp</c>; the carried steps get none: the gradient stops at the chunk's start).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> xp, ReadOnlySpan<float> wt, ReadOnlySpan<float> dpre,
        Span<float> dwt, Span<float> dbias, Span<float> dx, int T, int B, int Di, int K)
    {
        dx.Slice(0, T * B * Di).Clear();
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
            {
                var d = dpre.Slice((t * B + b) * Di, Di);
                TensorPrimitives.Add(dbias, d, dbias);
                for (int k = 0; k < K; k++)
                {
                    var dwk = dwt.Slice(k * Di, Di);
                    TensorPrimitives.FusedMultiplyAdd(d, xp.Slice(((t + k) * B + b) * Di, Di), dwk, dwk);
                    int s = t + k - (K - 1); // the input step xp[t + k] is
                    if (s < 0) continue;
                    var dxs = dx.Slice((s * B + b) * Di, Di);
                    TensorPrimitives.FusedMultiplyAdd(d, wt.Slice(k * Di, Di), dxs, dxs);
                }
            }
    }
}
