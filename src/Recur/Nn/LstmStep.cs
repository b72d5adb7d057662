using System.Numerics.Tensors;

namespace Recur.Nn;

/// <summary>
/// The elementwise part of one LSTM step over a batch, for decoders that drive their own loop (attention captioner,
/// sequence-to-sequence): PyTorch's gate order i, f, g, o; <c>c = f ⊙ c_prev + i ⊙ g</c>, <c>h = o ⊙ tanh(c)</c>.
/// </summary>
public static class LstmStep
{
    /// <summary>
    /// From pre-activations <paramref name="pre"/> <c>(B, 4H)</c>: the gates after their nonlinearities into
    /// <paramref name="gates"/> <c>(B, 4H)</c>, <c>c</c>, <c>tanh(c)</c> and <c>h</c> <c>(B, H)</c>.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> pre, ReadOnlySpan<float> cPrev, Span<float> gates, Span<float> c, Span<float> tanhC,
        Span<float> h, int B, int H)
    {
        int G = 4 * H;
        for (int b = 0; b < B; b++)
        {
            var p = pre.Slice(b * G, G);
            var gt = gates.Slice(b * G, G);
            TensorPrimitives.Sigmoid(p[..(2 * H)], gt[..(2 * H)]);
            TensorPrimitives.Tanh(p.Slice(2 * H, H), gt.Slice(2 * H, H));
            TensorPrimitives.Sigmoid(p.Slice(3 * H, H), gt.Slice(3 * H, H));
            var cb = c.Slice(b * H, H);
            TensorPrimitives.Multiply(gt.Slice(H, H), cPrev.Slice(b * H, H), cb);
            TensorPrimitives.MultiplyAdd(gt[..H], gt.Slice(2 * H, H), cb, cb);
            TensorPrimitives.Tanh(cb, tanhC.Slice(b * H, H));
            TensorPrimitives.Multiply(gt.Slice(3 * H, H), tanhC.Slice(b * H, H), h.Slice(b * H, H));
        }
    }

    /// <summary>
    /// Backward of one step: from <c>dh</c> and the carried <c>dc</c> <paramref name="dc"/> <c>(B, H)</c> (replaced by
    /// <c>dc_prev</c>), the pre-activation gradients <paramref name="dgates"/> <c>(B, 4H)</c>.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dh, Span<float> dc, ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> tanhC, Span<float> dgates, int B, int H)
    {
        int G = 4 * H, V = Vector<float>.Count;
        var one = Vector<float>.One;
        for (int b = 0; b < B; b++)
        {
            var gt = gates.Slice(b * G, G);
            var dg = dgates.Slice(b * G, G);
            int k = 0;
            // Vector<float> lanes at a time, the same operations in the same order as the scalar tail (identical results).
            for (; k + V <= H; k += V)
            {
                int r = b * H + k;
                var i = new Vector<float>(gt.Slice(k, V));
                var f = new Vector<float>(gt.Slice(H + k, V));
                var g = new Vector<float>(gt.Slice(2 * H + k, V));
                var o = new Vector<float>(gt.Slice(3 * H + k, V));
                var tc = new Vector<float>(tanhC.Slice(r, V));
                var dhr = new Vector<float>(dh.Slice(r, V));
                var dck = new Vector<float>(dc.Slice(r, V)) + dhr * o * (one - tc * tc);
                (dhr * tc * o * (one - o)).CopyTo(dg.Slice(3 * H + k, V));
                (dck * g * i * (one - i)).CopyTo(dg.Slice(k, V));
                (dck * new Vector<float>(cPrev.Slice(r, V)) * f * (one - f)).CopyTo(dg.Slice(H + k, V));
                (dck * i * (one - g * g)).CopyTo(dg.Slice(2 * H + k, V));
                (dck * f).CopyTo(dc.Slice(r, V));
            }
            for (; k < H; k++)
            {
                int r = b * H + k;
                float i = gt[k], f = gt[H + k], g = gt[2 * H + k], o = gt[3 * H + k], tc = tanhC[r];
                float dck = dc[r] + dh[r] * o * (1f - tc * tc);
                dg[3 * H + k] = dh[r] * tc * o * (1f - o);
                dg[k] = dck * g * i * (1f - i);
                dg[H + k] = dck * cPrev[r] * f * (1f - f);
                dg[2 * H + k] = dck * i * (1f - g * g);
                dc[r] = dck * f;
            }
        }
    }
}
