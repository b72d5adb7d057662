using System.Numerics.Tensors;

namespace Recur.Nn;

/// <summary>
/// Soft additive attention (Bahdanau et al. 2015; Show, Attend and Tell's <c>f_att</c>) over a set of annotations
/// <c>a (B, L, D)</c> from a query <c>h (B, Q)</c>, one step at a time:
/// <c>s_i = tanh(W_a a_i + b_a + W_q h)</c> <c>(K)</c>, <c>e_i = w · s_i</c>, <c>α = softmax(e)</c> over the
/// <c>L</c> locations, context <c>ẑ = Σ_i α_i a_i</c> <c>(D)</c>. Parameters (PyTorch names): <c>{prefix}.feature</c>
/// (<c>nn.Linear(D, K)</c>), <c>{prefix}.query</c> (<c>nn.Linear(Q, K, bias=False)</c>), <c>{prefix}.score</c>
/// (<c>nn.Linear(K, 1, bias=False)</c>).
/// <para>
/// <see cref="Begin"/> projects the annotations once per sequence (<c>U = W_a a + b_a</c>, <c>(B*L, K)</c>); each
/// <see cref="Forward"/> step keeps its <c>s</c> and <c>α</c> in slot <c>t</c> for <see cref="Backward"/>, which
/// accumulates the query and score weights' gradients and returns the query's and the weights' gradients; the
/// projection's weights get theirs once, in <see cref="End"/>, from the gradients on <c>U</c> summed over the steps.
/// The annotations themselves get no gradient (the encoder is frozen).
/// </para>
/// </summary>
public sealed class AdditiveAttention : IDecoderAttention
{
    private readonly Linear _feature, _query, _score;
    private float[] _a = [];           // (B, L, D) annotations of the sequence
    private float[] _u = [], _du = []; // (B*L, K)
    private float[] _s = [];           // (T, B, L, K) tanh activations per step
    private float[] _alpha = [];       // (T, B, L)
    private float[] _q = [], _dq = [], _ds = [], _dalpha = [];
    private float[] _dA = [];          // (B, L, D) the context's share of the annotations' gradient, when tracked
    private int[]? _lengths;
    private bool _trackA;
    private int _b, _l, _steps;

    public AdditiveAttention(ParameterStore store, string prefix, int featureDim, int queryDim, int attentionDim)
    {
        ArgumentNullException.ThrowIfNull(store);
        FeatureDim = featureDim; QueryDim = queryDim; AttentionDim = attentionDim;
        _feature = new Linear(store, Naming.Join(prefix, "feature"), featureDim, attentionDim);
        _query = new Linear(store, Naming.Join(prefix, "query"), queryDim, attentionDim, bias: false);
        _score = new Linear(store, Naming.Join(prefix, "score"), attentionDim, 1, bias: false);
    }

    public int FeatureDim { get; }
    public int QueryDim { get; }
    public int AttentionDim { get; }

    /// <summary>Threads for the products.</summary>
    public int Threads { get => _feature.Threads; set { _feature.Threads = value; _query.Threads = value; } }

    /// <summary>PyTorch's default initialisation of the three layers.</summary>
    public void Reset(Rng rng) { _feature.Reset(rng); _query.Reset(rng); _score.Reset(rng); }

    /// <summary>The attention weights of step <paramref name="t"/>, <c>(B, L)</c>.</summary>
    public ReadOnlySpan<float> Weights(int t) => _alpha.AsSpan(t * _b * _l, _b * _l);

    /// <summary>
    /// Starts a sequence of up to <paramref name="steps"/> steps over <paramref name="annotations"/> <c>(B, L, D)</c> (kept by
    /// reference). With <paramref name="lengths"/>, row <c>b</c> attends only to its first <c>lengths[b]</c> locations (a
    /// masked softmax: the others get weight 0). With <paramref name="annotationGradients"/>, <see cref="End"/> can return the
    /// annotations' gradient (for encoders trained through the attention).
    /// </summary>
    public void Begin(float[] annotations, int batch, int locations, int steps, int[]? lengths = null, bool annotationGradients = false)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        if (annotations.Length != batch * locations * FeatureDim)
            throw new ArgumentException($"annotations hold {annotations.Length} values, not {batch} x {locations} x {FeatureDim}.");
        _a = annotations; _b = batch; _l = locations; _steps = steps; _lengths = lengths; _trackA = annotationGradients;
        if (lengths is not null && (lengths.Length != batch || lengths.Any(n => n < 1 || n > locations)))
            throw new ArgumentException($"lengths must give each of the {batch} rows a length in [1, {locations}].");
        if (annotationGradients) { _dA = Buffers.Ensure(_dA, batch * locations * FeatureDim); Array.Clear(_dA); }
        int K = AttentionDim, n = batch * locations;
        _u = Buffers.Ensure(_u, n * K);
        _du = Buffers.Ensure(_du, n * K);
        Array.Clear(_du);
        _s = Buffers.Ensure(_s, steps * n * K);
        _alpha = Buffers.Ensure(_alpha, steps * n);
        _q = Buffers.Ensure(_q, batch * K);
        _dq = Buffers.Ensure(_dq, batch * K);
        _ds = Buffers.Ensure(_ds, K);
        _dalpha = Buffers.Ensure(_dalpha, n);
        _feature.Forward(annotations, n, _u);
    }

    /// <summary>Step <paramref name="t"/>: from the query <c>(B, Q)</c>, writes the context <c>(B, D)</c> and keeps the weights.</summary>
    public void Forward(int t, ReadOnlySpan<float> query, Span<float> context)
    {
        if ((uint)t >= (uint)_steps) throw new ArgumentOutOfRangeException(nameof(t), t, $"the sequence was begun with {_steps} steps.");
        int B = _b, L = _l, K = AttentionDim, D = FeatureDim;
        _query.Forward(query, B, _q);
        var w = _score.Weight.Value;
        for (int b = 0; b < B; b++)
        {
            var q = _q.AsSpan(b * K, K);
            var alpha = _alpha.AsSpan((t * B + b) * L, L);
            for (int i = 0; i < L; i++)
            {
                var s = _s.AsSpan(((t * B + b) * L + i) * K, K);
                TensorPrimitives.Add(_u.AsSpan((b * L + i) * K, K), q, s);
                TensorPrimitives.Tanh(s, s);
                alpha[i] = TensorPrimitives.Dot(s, w);
            }
            if (_lengths is not null) alpha[_lengths[b]..].Fill(float.NegativeInfinity); // masked: no weight beyond the row's length
            Kernels.Softmax.InPlace(alpha);
            var z = context.Slice(b * D, D);
            z.Clear();
            for (int i = 0; i < L; i++) TensorPrimitives.MultiplyAdd(_a.AsSpan((b * L + i) * D, D), alpha[i], z, z);
        }
    }

    /// <summary>
    /// Backward of step <paramref name="t"/>: from <c>dẑ (B, D)</c> and any extra gradient on the weights
    /// <paramref name="dWeightsExtra"/> <c>(B, L)</c> (empty: none), accumulates the score and query weights' gradients and
    /// the projection's pending gradient, and adds the query's gradient into <paramref name="dQuery"/> <c>(B, Q)</c>.
    /// </summary>
    public void Backward(int t, ReadOnlySpan<float> query, ReadOnlySpan<float> dContext, ReadOnlySpan<float> dWeightsExtra, Span<float> dQuery)
    {
        int B = _b, L = _l, K = AttentionDim, D = FeatureDim;
        var w = _score.Weight.Value;
        var dw = _score.Weight.Grad;
        for (int b = 0; b < B; b++)
        {
            var alpha = _alpha.AsSpan((t * B + b) * L, L);
            var dz = dContext.Slice(b * D, D);
            var da = _dalpha.AsSpan(0, L);
            for (int i = 0; i < L; i++) da[i] = TensorPrimitives.Dot(_a.AsSpan((b * L + i) * D, D), dz);
            if (_trackA)
                for (int i = 0; i < L; i++)
                    if (alpha[i] != 0f) TensorPrimitives.MultiplyAdd(dz, alpha[i], _dA.AsSpan((b * L + i) * D, D), _dA.AsSpan((b * L + i) * D, D));
            if (!dWeightsExtra.IsEmpty) TensorPrimitives.Add(da, dWeightsExtra.Slice(b * L, L), da);
            float dot = TensorPrimitives.Dot(alpha, da);
            var dq = _dq.AsSpan(b * K, K);
            dq.Clear();
            for (int i = 0; i < L; i++)
            {
                float de = alpha[i] * (da[i] - dot);
                if (de == 0f) continue;
                var s = _s.AsSpan(((t * B + b) * L + i) * K, K);
                TensorPrimitives.MultiplyAdd(s, de, dw, dw);
                // ds = de * w; du = ds * (1 - s^2)
                var du = _ds.AsSpan(0, K);
                TensorPrimitives.Multiply(s, s, du);
                TensorPrimitives.Subtract(1f, du, du);
                TensorPrimitives.Multiply(du, w, du);
                TensorPrimitives.Multiply(du, de, du);
                var acc = _du.AsSpan((b * L + i) * K, K);
                TensorPrimitives.Add(acc, du, acc);
                TensorPrimitives.Add(dq, du, dq);
            }
        }
        _query.Backward(query, _dq.AsSpan(0, B * K), B, _dqScratch = Buffers.Ensure(_dqScratch, B * QueryDim));
        TensorPrimitives.Add(dQuery, _dqScratch, dQuery);
    }

    private float[]? _dqScratch;

    /// <summary>
    /// Ends the sequence's backward: the projection's gradients from the gradients on <c>U</c> of every step; with
    /// <paramref name="dAnnotations"/> <c>(B, L, D)</c> (the sequence begun with annotation gradients), writes the
    /// annotations' gradient there (through the contexts and the projection).
    /// </summary>
    public void End(Span<float> dAnnotations = default)
    {
        if (dAnnotations.IsEmpty) { _feature.Backward(_a, _du, _b * _l, []); return; }
        if (!_trackA) throw new InvalidOperationException("the sequence was begun without annotation gradients.");
        _feature.Backward(_a, _du, _b * _l, dAnnotations);
        TensorPrimitives.Add(dAnnotations, _dA.AsSpan(0, dAnnotations.Length), dAnnotations);
    }
}
