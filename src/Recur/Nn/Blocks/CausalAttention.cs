using System.Numerics.Tensors;
using Recur.Kernels;

namespace Recur.Nn.Blocks;

/// <summary>
/// Causal multi-head softmax attention with a sliding window of <see cref="Window"/> tokens, the kernels of
/// <see cref="TransformerBlock"/>. A chunk's queries <c>q_t</c> (token <c>t</c> of <c>T</c>) attend to a key list
/// <c>K_all (L, D)</c> per row that holds <c>nc</c> cached keys followed by the chunk's own <c>T</c> keys
/// (<c>L = nc + T</c>); query <c>t</c> sits at key index <c>i = nc + t</c> and sees keys <c>j</c> with
/// <c>max(0, i - Window + 1) ≤ j ≤ i</c> (itself and the <c>Window - 1</c> tokens before it).
/// <para>
/// Per row <c>b</c> and head <c>h</c> (head width <c>dh = D / H</c>, scale <c>s = 1/√dh</c>), with GEMMs:
/// <c>S = s Q K_all^T (T, L)</c>; <c>P = softmax(S)</c> over each row's window in float with the row's maximum
/// subtracted, 0 outside it; <c>O = P V_all (T, dh)</c>. Backward, given <c>dO</c>:
/// <c>dV = P^T dO</c>, <c>dP = dO V_all^T</c>, the softmax Jacobian <c>dS_tj = P_tj (dP_tj - Σ_j' P_tj' dP_tj')</c>,
/// <c>dQ = s dS K_all</c>, <c>dK = s dS^T Q</c>; only the chunk's columns of <c>dK</c>, <c>dV</c> are formed (the
/// cached keys and values are constants: truncated BPTT).
/// </para>
/// <para>
/// Threads split the <c>B·H</c> (row, head) pairs; every pair's arithmetic is the same whatever part runs it,
/// so results are bit-identical for any thread count.
/// </para>
/// </summary>
internal sealed class CausalAttention
{
    private float[]? _p;            // (B, H, T, L) probabilities; Backward overwrites them with s·dS
    private float[][] _scratch = []; // per part: (T, L) dP
    private int _T, _B, _L, _nc;
    private bool _consumed = true;
    private readonly PairsJob _job;

    /// <summary>Attention of width <paramref name="width"/> in <paramref name="heads"/> heads over windows of <paramref name="window"/> tokens.</summary>
    public CausalAttention(int width, int heads, int window)
    {
        D = width;
        H = heads;
        Dh = width / heads;
        Window = window;
        Scale = 1f / MathF.Sqrt(Dh);
        _job = new PairsJob(this);
    }

    /// <summary>Model width <c>D</c>.</summary>
    public int D { get; }

    /// <summary>Heads <c>H</c>.</summary>
    public int H { get; }

    /// <summary>Head width <c>D / H</c>.</summary>
    public int Dh { get; }

    /// <summary>Tokens a query sees, itself included.</summary>
    public int Window { get; }

    /// <summary><c>1/√dh</c>.</summary>
    public float Scale { get; }

    /// <summary>
    /// <paramref name="qkv"/> <c>(T, B, 3D)</c> (queries in the first <c>D</c> columns), <paramref name="kAll"/>,
    /// <paramref name="vAll"/> <c>(B, L, D)</c> with <c>L = nc + T</c>; writes <paramref name="att"/> <c>(T, B, D)</c>.
    /// </summary>
    public void Forward(float[] qkv, float[] kAll, float[] vAll, float[] att, int T, int B, int nc, int threads)
    {
        _T = T; _B = B; _nc = nc; _L = nc + T;
        _p = Buffers.Ensure(_p, B * H * T * _L);
        Run(qkv, kAll, vAll, att, null, forward: true, threads);
        _consumed = false;
    }

    /// <summary>
    /// Backward through the last <see cref="Forward"/> (once: it consumes the saved probabilities) from
    /// <paramref name="dAtt"/> <c>(T, B, D)</c>; writes all of <paramref name="dqkv"/> <c>(T, B, 3D)</c> (the chunk's dQ, dK, dV).
    /// </summary>
    public void Backward(float[] qkv, float[] kAll, float[] vAll, float[] dAtt, float[] dqkv, int threads)
    {
        if (_consumed || _p is null) throw new InvalidOperationException("attention Backward needs a Forward before it (and runs once per Forward).");
        int parts = Parts(threads);
        if (_scratch.Length < parts) Array.Resize(ref _scratch, parts);
        for (int i = 0; i < parts; i++) _scratch[i] = Buffers.Ensure(_scratch[i], _T * _L);
        Run(qkv, kAll, vAll, dAtt, dqkv, forward: false, threads);
        _consumed = true;
    }

    private int Parts(int threads) => Math.Max(1, Math.Min(threads <= 0 ? Environment.ProcessorCount : threads, _B * H));

    private void Run(float[] qkv, float[] kAll, float[] vAll, float[] a, float[]? dqkv, bool forward, int threads)
    {
        int parts = Parts(threads);
        // Tiny problems stay on the calling thread (same per-pair arithmetic either way).
        if ((long)_B * H * _T * _L * Dh < 1 << 15) parts = 1;
        _job.Set(qkv, kAll, vAll, a, dqkv, forward, parts);
        if (parts == 1) _job.Execute(0);
        else GemmWorkerPool.Shared.Run(parts, _job);
        _job.Set(null!, null!, null!, null!, null, forward, 0);
    }

    private void ForwardPair(int b, int h, float[] qkv, float[] kAll, float[] vAll, float[] att)
    {
        int T = _T, L = _L, B = _B;
        var p = _p!.AsSpan((b * H + h) * T * L, T * L);
        Gemm.Sgemm(false, true, T, L, Dh, Scale, qkv.AsSpan(b * 3 * D + h * Dh), B * 3 * D,
            kAll.AsSpan(b * L * D + h * Dh), D, 0f, p, L, 1);
        for (int t = 0; t < T; t++)
        {
            var row = p.Slice(t * L, L);
            int i = _nc + t, lo = Math.Max(0, i - Window + 1);
            row[..lo].Clear();
            row[(i + 1)..].Clear();
            Softmax.InPlace(row.Slice(lo, i - lo + 1));
        }
        Gemm.Sgemm(false, false, T, Dh, L, 1f, p, L, vAll.AsSpan(b * L * D + h * Dh), D, 0f,
            att.AsSpan(b * D + h * Dh), B * D, 1);
    }

    private void BackwardPair(int b, int h, float[] qkv, float[] kAll, float[] vAll, float[] dAtt, float[] dqkv, float[] scratch)
    {
        int T = _T, L = _L, B = _B, nc = _nc, ld3 = B * 3 * D;
        var p = _p!.AsSpan((b * H + h) * T * L, T * L);
        var dP = scratch.AsSpan(0, T * L);
        var dO = dAtt.AsSpan(b * D + h * Dh);
        // dV (T, dh) = P[:, nc:]^T dO
        Gemm.Sgemm(true, false, T, Dh, T, 1f, p[nc..], L, dO, B * D, 0f, dqkv.AsSpan(b * 3 * D + 2 * D + h * Dh), ld3, 1);
        // dP (T, L) = dO V_all^T
        Gemm.Sgemm(false, true, T, L, Dh, 1f, dO, B * D, vAll.AsSpan(b * L * D + h * Dh), D, 0f, dP, L, 1);
        // s·dS in place of P (0 outside the window, where P is 0)
        for (int t = 0; t < T; t++)
        {
            int i = nc + t, lo = Math.Max(0, i - Window + 1);
            var pr = p.Slice(t * L + lo, i - lo + 1);
            var dr = dP.Slice(t * L + lo, i - lo + 1);
            float c = 0f;
            for (int j = 0; j < pr.Length; j++) c += pr[j] * dr[j];
            for (int j = 0; j < pr.Length; j++) pr[j] = Scale * pr[j] * (dr[j] - c);
        }
        // dQ (T, dh) = (s dS) K_all; dK (T, dh) = (s dS)[:, nc:]^T Q
        Gemm.Sgemm(false, false, T, Dh, L, 1f, p, L, kAll.AsSpan(b * L * D + h * Dh), D, 0f, dqkv.AsSpan(b * 3 * D + h * Dh), ld3, 1);
        Gemm.Sgemm(true, false, T, Dh, T, 1f, p[nc..], L, qkv.AsSpan(b * 3 * D + h * Dh), ld3, 0f, dqkv.AsSpan(b * 3 * D + D + h * Dh), ld3, 1);
    }

    /// <summary>
    /// One token's attention for one row: <paramref name="q"/> <c>(D)</c> at position <paramref name="position"/> attends
    /// to the row's ring cache <paramref name="kCache"/>, <paramref name="vCache"/> <c>(Window, D)</c> (position <c>p</c> in slot
    /// <c>p mod Window</c>, the token's own key and value already written) over positions
    /// <c>max(0, position - Window + 1) .. position</c>; writes <paramref name="o"/> <c>(D)</c>. <paramref name="scores"/>: <c>(Window)</c> scratch.
    /// </summary>
    public void StepRow(ReadOnlySpan<float> q, ReadOnlySpan<float> kCache, ReadOnlySpan<float> vCache, int position,
        Span<float> o, Span<float> scores)
    {
        int lo = Math.Max(0, position - Window + 1), n = position - lo + 1;
        var s = scores[..n];
        for (int h = 0; h < H; h++)
        {
            var qh = q.Slice(h * Dh, Dh);
            for (int j = 0; j < n; j++)
                s[j] = Scale * TensorPrimitives.Dot(qh, kCache.Slice((lo + j) % Window * D + h * Dh, Dh));
            Softmax.InPlace(s);
            var oh = o.Slice(h * Dh, Dh);
            oh.Clear();
            for (int j = 0; j < n; j++)
                TensorPrimitives.MultiplyAdd(vCache.Slice((lo + j) % Window * D + h * Dh, Dh), s[j], oh, oh);
        }
    }

    /// <summary>Contiguous ranges of (row, head) pairs per part.</summary>
    private sealed class PairsJob(CausalAttention owner) : IParallelPart
    {
        private float[] _qkv = [], _kAll = [], _vAll = [], _a = [];
        private float[]? _dqkv;
        private bool _forward;
        private int _parts;

        public void Set(float[] qkv, float[] kAll, float[] vAll, float[] a, float[]? dqkv, bool forward, int parts)
            => (_qkv, _kAll, _vAll, _a, _dqkv, _forward, _parts) = (qkv, kAll, vAll, a, dqkv, forward, parts);

        public void Execute(int part)
        {
            int units = owner._B * owner.H;
            int u0 = (int)((long)units * part / _parts), u1 = (int)((long)units * (part + 1) / _parts);
            for (int u = u0; u < u1; u++)
            {
                int b = u / owner.H, h = u % owner.H;
                if (_forward) owner.ForwardPair(b, h, _qkv, _kAll, _vAll, _a);
                else owner.BackwardPair(b, h, _qkv, _kAll, _vAll, _a, _dqkv!, owner._scratch[part]);
            }
        }
    }
}
