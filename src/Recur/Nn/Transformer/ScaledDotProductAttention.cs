using Recur.Kernels;

namespace Recur.Nn.Transformer;

/// <summary>
/// Rows of per-head vectors in a flat buffer: the vector of batch row <c>b</c>, position <c>t</c>, head <c>h</c> starts at
/// <c>Offset + b·BatchStride + t·RowStride + h·dh</c>. A fused <c>(B·T, 3D)</c> projection holds its queries, keys and
/// values at offsets 0, D and 2D with row stride 3D and batch stride 3DT; a key cache <c>(B, capacity, D)</c> has batch
/// stride <c>capacity·D</c> whatever the number of keys in use.
/// </summary>
public readonly record struct HeadRows(float[] Data, int Offset, int RowStride, int BatchStride)
{
    /// <summary>Rows <c>(B·T, width)</c> stored one after another, the columns from <paramref name="offset"/> on.</summary>
    public static HeadRows Packed(float[] data, int rowsPerBatch, int width, int offset = 0) => new(data, offset, width, rowsPerBatch * width);
}

/// <summary>
/// Multi-head scaled dot-product attention with prefix masks (Vaswani et al. 2017, eq. 1), the kernel of
/// <see cref="MultiHeadAttention"/>. Per batch row <c>b</c> and head <c>h</c> (head width <c>dh = D / H</c>,
/// <c>s = 1/√dh</c>): <c>S = s Q K^T (Tq, Tk)</c>, <c>P = softmax(S)</c> over the keys query <c>i</c> may see, 0 on the
/// others, and <c>O = P V (Tq, dh)</c>. Query <c>i</c> of row <c>b</c> sees the keys <c>j &lt; n_b</c> (the row's key
/// length: the source padding mask) and, when causal, only <c>j ≤ i</c>; both are prefixes, so each query's visible keys
/// are <c>0 .. min(n_b, i + 1) - 1</c>.
/// <para>
/// Backward from <c>dO</c>: <c>dV = P^T dO</c>, <c>dP = dO V^T</c>, <c>dS = P ⊙ (dP - rowsum(P ⊙ dP))</c>,
/// <c>dQ = s dS K</c>, <c>dK = s dS^T Q</c>; masked keys get zero gradients. Each (row, head) pair is one unit of work
/// writing only its own outputs, so any thread count gives the same bits.
/// </para>
/// </summary>
public sealed class ScaledDotProductAttention
{
    private float[] _p = [];           // (B, H, Tq, Tk) probabilities of the last Forward
    private float[][] _scratch = [];   // per part: dP then s·dS, (Tq, Tk)
    private int[] _lengths = [];       // (B) keys each row may see
    private int _b, _tq, _tk;
    private bool _causal, _forwarded;
    private readonly PairsJob _job;

    /// <summary>Attention of width <paramref name="width"/> split into <paramref name="heads"/> heads.</summary>
    public ScaledDotProductAttention(int width, int heads)
    {
        Guard.Positive(width, nameof(width));
        Guard.Positive(heads, nameof(heads));
        if (width % heads != 0) throw new ArgumentException($"width {width} is not divisible by {heads} heads.", nameof(heads));
        D = width;
        H = heads;
        Dh = width / heads;
        Scale = 1f / MathF.Sqrt(Dh);
        _job = new PairsJob(this);
    }

    /// <summary>Width <c>D</c>.</summary>
    public int D { get; }

    /// <summary>Heads <c>H</c>.</summary>
    public int H { get; }

    /// <summary>Head width <c>D / H</c>.</summary>
    public int Dh { get; }

    /// <summary><c>1/√dh</c>.</summary>
    public float Scale { get; }

    /// <summary>The probabilities of the last <see cref="Forward"/>, <c>(B, H, Tq, Tk)</c>.</summary>
    public ReadOnlySpan<float> Probabilities => _p.AsSpan(0, _b * H * _tq * _tk);

    /// <summary>
    /// Query <paramref name="t"/>'s probabilities of the last <see cref="Forward"/> averaged over the heads, into
    /// <paramref name="weights"/> <c>(B, Tk)</c>.
    /// </summary>
    public void MeanOverHeads(int t, Span<float> weights)
    {
        if ((uint)t >= (uint)_tq) throw new ArgumentOutOfRangeException(nameof(t), t, $"the last forward had {_tq} queries.");
        int B = _b, Tk = _tk, Tq = _tq;
        weights[..(B * Tk)].Clear();
        for (int b = 0; b < B; b++)
        {
            var w = weights.Slice(b * Tk, Tk);
            for (int h = 0; h < H; h++)
                System.Numerics.Tensors.TensorPrimitives.Add(w, _p.AsSpan(((b * H + h) * Tq + t) * Tk, Tk), w);
            System.Numerics.Tensors.TensorPrimitives.Multiply(w, 1f / H, w);
        }
    }

    /// <summary>
    /// Attends <paramref name="B"/> rows of <paramref name="Tq"/> queries to <paramref name="Tk"/> keys and values,
    /// writing <paramref name="output"/> (the heads side by side, <c>D</c> columns). <paramref name="keyLengths"/>
    /// <c>(B)</c>: keys each row may see, each in <c>[1, Tk]</c> (empty: all <c>Tk</c>); <paramref name="causal"/>: query
    /// <c>i</c> sees keys <c>j ≤ i</c> only.
    /// </summary>
    public void Forward(HeadRows q, HeadRows k, HeadRows v, HeadRows output, int B, int Tq, int Tk, ReadOnlySpan<int> keyLengths,
        bool causal, int threads)
    {
        Guard.Positive(B, nameof(B));
        Guard.Positive(Tq, nameof(Tq));
        Guard.Positive(Tk, nameof(Tk));
        if (!keyLengths.IsEmpty && keyLengths.Length != B) throw new ArgumentException($"{keyLengths.Length} key lengths for {B} rows.");
        (_b, _tq, _tk, _causal) = (B, Tq, Tk, causal);
        if (_lengths.Length < B) _lengths = new int[B];
        for (int b = 0; b < B; b++)
        {
            int n = keyLengths.IsEmpty ? Tk : keyLengths[b];
            if (n < 1 || n > Tk) throw new ArgumentOutOfRangeException(nameof(keyLengths), n, $"row {b} sees {n} keys; it must see 1 to {Tk}.");
            _lengths[b] = n;
        }
        int size = B * H * Tq * Tk;
        if (_p.Length < size) _p = new float[size];
        Run(q, k, v, output, default, default, default, forward: true, threads);
        _forwarded = true;
    }

    /// <summary>
    /// Backward through the last <see cref="Forward"/> (the same operands) from <paramref name="dOutput"/>: writes the
    /// gradients of the queries, keys and values into <paramref name="dq"/>, <paramref name="dk"/>, <paramref name="dv"/>
    /// (laid out as the operands; every key row of <c>0..Tk-1</c> is written, zero where masked). The probabilities stay.
    /// </summary>
    public void Backward(HeadRows q, HeadRows k, HeadRows v, HeadRows dOutput, HeadRows dq, HeadRows dk, HeadRows dv, int threads)
    {
        if (!_forwarded) throw new InvalidOperationException("attention Backward needs a Forward before it.");
        int parts = Parts(threads);
        if (_scratch.Length < parts) Array.Resize(ref _scratch, parts);
        for (int i = 0; i < parts; i++)
            if (_scratch[i] is null || _scratch[i].Length < _tq * _tk) _scratch[i] = new float[_tq * _tk];
        Run(q, k, v, dOutput, dq, dk, dv, forward: false, threads);
    }

    private int Parts(int threads) => Math.Max(1, Math.Min(threads <= 0 ? Environment.ProcessorCount : threads, _b * H));

    private void Run(HeadRows q, HeadRows k, HeadRows v, HeadRows a, HeadRows dq, HeadRows dk, HeadRows dv, bool forward, int threads)
    {
        int parts = Parts(threads);
        if ((long)_b * H * _tq * _tk * Dh < 1 << 15) parts = 1; // tiny problems stay on the calling thread (same arithmetic)
        _job.Set(q, k, v, a, forward, parts);
        _job.SetGradients(dq, dk, dv);
        if (parts == 1) _job.Execute(0);
        else GemmWorkerPool.Shared.Run(parts, _job);
        _job.Set(default, default, default, default, forward, 0);
        _job.SetGradients(default, default, default);
    }

    /// <summary>Visible keys of query <paramref name="i"/> in row <paramref name="b"/>.</summary>
    private int Visible(int b, int i) => _causal ? Math.Min(_lengths[b], i + 1) : _lengths[b];

    private static int At(HeadRows r, int b, int col) => r.Offset + b * r.BatchStride + col;

    private void ForwardPair(int b, int h, HeadRows q, HeadRows k, HeadRows v, HeadRows o)
    {
        int Tq = _tq, Tk = _tk, n = _lengths[b], col = h * Dh;
        var p = _p.AsSpan((b * H + h) * Tq * Tk, Tq * Tk);
        // S (Tq, n) = s Q K^T, only the keys the row may see
        Gemm.Sgemm(false, true, Tq, n, Dh, Scale, q.Data.AsSpan(At(q, b, col)), q.RowStride, k.Data.AsSpan(At(k, b, col)), k.RowStride, 0f, p, Tk, 1);
        for (int i = 0; i < Tq; i++)
        {
            var row = p.Slice(i * Tk, Tk);
            int hi = Visible(b, i);
            row[hi..].Clear();
            Softmax.InPlace(row[..hi]);
        }
        // O (Tq, dh) = P V
        Gemm.Sgemm(false, false, Tq, Dh, n, 1f, p, Tk, v.Data.AsSpan(At(v, b, col)), v.RowStride, 0f, o.Data.AsSpan(At(o, b, col)), o.RowStride, 1);
    }

    private void BackwardPair(int b, int h, HeadRows q, HeadRows k, HeadRows v, HeadRows dO, HeadRows dq, HeadRows dk, HeadRows dv, float[] scratch)
    {
        int Tq = _tq, Tk = _tk, n = _lengths[b], col = h * Dh;
        var p = _p.AsSpan((b * H + h) * Tq * Tk, Tq * Tk);
        var ds = scratch.AsSpan(0, Tq * Tk);
        var dOb = dO.Data.AsSpan(At(dO, b, col));
        // dV (n, dh) = P^T dO
        Gemm.Sgemm(true, false, n, Dh, Tq, 1f, p, Tk, dOb, dO.RowStride, 0f, dv.Data.AsSpan(At(dv, b, col)), dv.RowStride, 1);
        // dP (Tq, n) = dO V^T, then s·dS = s P ⊙ (dP - rowsum(P ⊙ dP)) in place (0 past each query's visible keys)
        Gemm.Sgemm(false, true, Tq, n, Dh, 1f, dOb, dO.RowStride, v.Data.AsSpan(At(v, b, col)), v.RowStride, 0f, ds, Tk, 1);
        for (int i = 0; i < Tq; i++)
        {
            int hi = Visible(b, i);
            var pr = p.Slice(i * Tk, hi);
            var dr = ds.Slice(i * Tk, n);
            float c = 0f;
            for (int j = 0; j < hi; j++) c += pr[j] * dr[j];
            for (int j = 0; j < hi; j++) dr[j] = Scale * pr[j] * (dr[j] - c);
            dr[hi..].Clear();
        }
        // dQ (Tq, dh) = (s dS) K; dK (n, dh) = (s dS)^T Q
        Gemm.Sgemm(false, false, Tq, Dh, n, 1f, ds, Tk, k.Data.AsSpan(At(k, b, col)), k.RowStride, 0f, dq.Data.AsSpan(At(dq, b, col)), dq.RowStride, 1);
        Gemm.Sgemm(true, false, n, Dh, Tq, 1f, ds, Tk, q.Data.AsSpan(At(q, b, col)), q.RowStride, 0f, dk.Data.AsSpan(At(dk, b, col)), dk.RowStride, 1);
        for (int j = n; j < Tk; j++)
        {
            dk.Data.AsSpan(At(dk, b, col) + j * dk.RowStride, Dh).Clear();
            dv.Data.AsSpan(At(dv, b, col) + j * dv.RowStride, Dh).Clear();
        }
    }

    /// <summary>Contiguous ranges of (row, head) pairs per part.</summary>
    private sealed class PairsJob(ScaledDotProductAttention owner) : IParallelPart
    {
        private HeadRows _q, _k, _v, _a, _dq, _dk, _dv;
        private bool _forward;
        private int _parts;

        public void Set(HeadRows q, HeadRows k, HeadRows v, HeadRows a, bool forward, int parts)
            => (_q, _k, _v, _a, _forward, _parts) = (q, k, v, a, forward, parts);

        public void SetGradients(HeadRows dq, HeadRows dk, HeadRows dv) => (_dq, _dk, _dv) = (dq, dk, dv);

        public void Execute(int part)
        {
            int units = owner._b * owner.H;
            int u0 = (int)((long)units * part / _parts), u1 = (int)((long)units * (part + 1) / _parts);
            for (int u = u0; u < u1; u++)
            {
                int b = u / owner.H, h = u % owner.H;
                if (_forward) owner.ForwardPair(b, h, _q, _k, _v, _a);
                else owner.BackwardPair(b, h, _q, _k, _v, _a, _dq, _dk, _dv, owner._scratch[part]);
            }
        }
    }
}
