using System.Numerics.Tensors;

namespace Recur.Nn;

/// <summary>
/// Luong et al.'s (2015) "general" attention: the score of location <c>i</c> is <c>e_i = q · (W a_i)</c>, <c>W (Q, D)</c>
/// (<c>{prefix}.proj</c>, an <c>nn.Linear(D, Q, bias=False)</c> applied to the annotations), then the masked softmax
/// and the context <c>Σ α_i a_i</c>. <c>U = a W^T</c> is computed once per sequence; backward accumulates <c>dU</c> over
/// the steps and turns it into <c>dW</c> (and the annotations' share) in <see cref="End"/>.
/// </summary>
public sealed class MultiplicativeAttention : IDecoderAttention
{
    private readonly Linear _w;
    private float[] _a = [], _u = [], _du = [], _alpha = [], _dA = [], _dalpha = [];
    private int[]? _lengths;
    private bool _trackA;
    private int _b, _l, _steps;

    public MultiplicativeAttention(ParameterStore store, string prefix, int featureDim, int queryDim)
    {
        ArgumentNullException.ThrowIfNull(store);
        FeatureDim = featureDim; QueryDim = queryDim;
        _w = new Linear(store, Naming.Join(prefix, "proj"), featureDim, queryDim, bias: false);
    }

    public int FeatureDim { get; }
    public int QueryDim { get; }
    public int Threads { get => _w.Threads; set => _w.Threads = value; }

    public void Reset(Rng rng) => _w.Reset(rng);

    public ReadOnlySpan<float> Weights(int t) => _alpha.AsSpan(t * _b * _l, _b * _l);

    public void Begin(float[] annotations, int batch, int locations, int steps, int[]? lengths = null, bool annotationGradients = false)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        if (annotations.Length != batch * locations * FeatureDim)
            throw new ArgumentException($"annotations hold {annotations.Length} values, not {batch} x {locations} x {FeatureDim}.");
        if (lengths is not null && (lengths.Length != batch || lengths.Any(n => n < 1 || n > locations)))
            throw new ArgumentException($"lengths must give each of the {batch} rows a length in [1, {locations}].");
        _a = annotations; _b = batch; _l = locations; _steps = steps; _lengths = lengths; _trackA = annotationGradients;
        int n = batch * locations;
        _u = Buffers.Ensure(_u, n * QueryDim);
        _du = Buffers.Ensure(_du, n * QueryDim);
        Array.Clear(_du);
        _alpha = Buffers.Ensure(_alpha, steps * n);
        _dalpha = Buffers.Ensure(_dalpha, locations);
        if (annotationGradients) { _dA = Buffers.Ensure(_dA, n * FeatureDim); Array.Clear(_dA); }
        _w.Forward(annotations, n, _u);
    }

    public void Forward(int t, ReadOnlySpan<float> query, Span<float> context)
    {
        if ((uint)t >= (uint)_steps) throw new ArgumentOutOfRangeException(nameof(t), t, $"the sequence was begun with {_steps} steps.");
        int B = _b, L = _l, Q = QueryDim, D = FeatureDim;
        for (int b = 0; b < B; b++)
        {
            var q = query.Slice(b * Q, Q);
            var alpha = _alpha.AsSpan((t * B + b) * L, L);
            for (int i = 0; i < L; i++) alpha[i] = TensorPrimitives.Dot(q, _u.AsSpan((b * L + i) * Q, Q));
            if (_lengths is not null) alpha[_lengths[b]..].Fill(float.NegativeInfinity);
            Kernels.Softmax.InPlace(alpha);
            var z = context.Slice(b * D, D);
            z.Clear();
            for (int i = 0; i < L; i++) TensorPrimitives.MultiplyAdd(_a.AsSpan((b * L + i) * D, D), alpha[i], z, z);
        }
    }

    public void Backward(int t, ReadOnlySpan<float> query, ReadOnlySpan<float> dContext, ReadOnlySpan<float> dWeightsExtra, Span<float> dQuery)
    {
        int B = _b, L = _l, Q = QueryDim, D = FeatureDim;
        for (int b = 0; b < B; b++)
        {
            var alpha = _alpha.AsSpan((t * B + b) * L, L);
            var dz = dContext.Slice(b * D, D);
            var da = _dalpha.AsSpan(0, L);
            for (int i = 0; i < L; i++) da[i] = TensorPrimitives.Dot(_a.AsSpan((b * L + i) * D, D), dz);
            if (!dWeightsExtra.IsEmpty) TensorPrimitives.Add(da, dWeightsExtra.Slice(b * L, L), da);
            float dot = TensorPrimitives.Dot(alpha, da);
            var q = query.Slice(b * Q, Q);
            var dq = dQuery.Slice(b * Q, Q);
            for (int i = 0; i < L; i++)
            {
                if (_trackA && alpha[i] != 0f) TensorPrimitives.MultiplyAdd(dz, alpha[i], _dA.AsSpan((b * L + i) * D, D), _dA.AsSpan((b * L + i) * D, D));
                float de = alpha[i] * (da[i] - dot);
                if (de == 0f) continue;
                TensorPrimitives.MultiplyAdd(_u.AsSpan((b * L + i) * Q, Q), de, dq, dq);
                var du = _du.AsSpan((b * L + i) * Q, Q);
                TensorPrimitives.MultiplyAdd(q, de, du, du);
            }
        }
    }

    public void End(Span<float> dAnnotations = default)
    {
        if (dAnnotations.IsEmpty) { _w.Backward(_a, _du, _b * _l, []); return; }
        if (!_trackA) throw new InvalidOperationException("the sequence was begun without annotation gradients.");
        _w.Backward(_a, _du, _b * _l, dAnnotations);
        TensorPrimitives.Add(dAnnotations, _dA.AsSpan(0, dAnnotations.Length), dAnnotations);
    }
}
