using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Vqa;

/// <summary>
/// The count answers of a <see cref="VqaModel"/> (<see cref="VqaConfig.CountAnswers"/>): the question's state <c>q (B, H)</c>
/// picks a class, <c>c = softmax(W_c q + b_c)</c> <c>(B, K)</c> (<c>count_query</c>); its count in the image is
/// <c>n = c · m</c>, <c>m (B, K)</c> the locations' class probabilities summed; the count answers score
/// <c>W_n [n ; n²] + b_n</c> (<c>count</c>, 2 to the count answers), in place of the head's scores for them. The sums are
/// frozen features: the gradient reaches <c>q</c> and the two layers only.
/// </summary>
public sealed class CountingAnswers
{
    private readonly Linear _query, _score;
    private readonly int[] _answers;
    private readonly int _h, _k;
    private float[] _named = [], _n = [], _scores = [];      // (B, K) softmax, (B, 2) [n ; n²], (B, C)
    private float[] _dscores = [], _dn = [], _dnamed = [], _dq = [], _dcounts = []; // (B, C), (B, 2), (B, K), (B, H), (B, K)

    /// <summary>Layers <c>count_query</c> (<paramref name="hidden"/> to <paramref name="classes"/>) and <c>count</c> (2 to the answers).</summary>
    public CountingAnswers(ParameterStore store, int hidden, int classes, IReadOnlyList<int> answers, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(answers);
        _h = hidden; _k = classes; _answers = [.. answers];
        _query = new Linear(store, Naming.Join(prefix, "count_query"), hidden, classes);
        _score = new Linear(store, Naming.Join(prefix, "count"), 2, _answers.Length);
    }

    /// <summary>Threads for the products.</summary>
    public int Threads { get => _query.Threads; set { _query.Threads = value; _score.Threads = value; } }

    /// <summary>PyTorch's default initialisation, <c>count_query</c> then <c>count</c>.</summary>
    public void Reset(Rng rng) { _query.Reset(rng); _score.Reset(rng); }

    /// <summary>
    /// Writes the count answers' scores into <paramref name="logits"/> <c>(B, A)</c> from <paramref name="q"/> <c>(B, H)</c> and
    /// the sums, the last <c>K</c> of each row of <paramref name="context"/> <c>(B, offset + K)</c>.
    /// </summary>
    public void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> context, int offset, int batch, Span<float> logits, int answers)
    {
        int B = batch, K = _k, C = _answers.Length, W = offset + K;
        _named = Buffers.Ensure(_named, B * K);
        _n = Buffers.Ensure(_n, B * 2);
        _scores = Buffers.Ensure(_scores, B * C);
        _query.Forward(q, B, _named);
        for (int b = 0; b < B; b++)
        {
            var named = _named.AsSpan(b * K, K);
            Kernels.Softmax.InPlace(named);
            float n = TensorPrimitives.Dot(named, context.Slice(b * W + offset, K));
            _n[2 * b] = n;
            _n[2 * b + 1] = n * n;
        }
        _score.Forward(_n.AsSpan(0, B * 2), B, _scores);
        for (int b = 0; b < B; b++) for (int j = 0; j < C; j++) logits[b * answers + _answers[j]] = _scores[b * C + j];
    }

    /// <summary>
    /// Backward of the last <see cref="Forward"/>: takes the count answers' entries of <paramref name="dlogits"/> <c>(B, A)</c>
    /// (zeroing them there), accumulates both layers' gradients and keeps the query's for <see cref="QueryGradient"/>.
    /// </summary>
    public void Backward(ReadOnlySpan<float> q, ReadOnlySpan<float> context, int offset, int batch, Span<float> dlogits, int answers)
    {
        int B = batch, K = _k, C = _answers.Length, W = offset + K;
        _dscores = Buffers.Ensure(_dscores, B * C);
        _dn = Buffers.Ensure(_dn, B * 2);
        _dnamed = Buffers.Ensure(_dnamed, B * K);
        _dq = Buffers.Ensure(_dq, B * _h);
        _dcounts = Buffers.Ensure(_dcounts, B * K);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < C; j++)
            {
                int at = b * answers + _answers[j];
                _dscores[b * C + j] = dlogits[at];
                dlogits[at] = 0f;
            }
        _score.Backward(_n.AsSpan(0, B * 2), _dscores.AsSpan(0, B * C), B, _dn);
        for (int b = 0; b < B; b++)
        {
            float dn = _dn[2 * b] + 2f * _n[2 * b] * _dn[2 * b + 1];
            var named = _named.AsSpan(b * K, K);
            TensorPrimitives.Multiply(named, dn, _dcounts.AsSpan(b * K, K)); // d n / d m = c
            var dnamed = _dnamed.AsSpan(b * K, K);
            TensorPrimitives.Multiply(context.Slice(b * W + offset, K), dn, dnamed); // d n / d c = m
            float dot = TensorPrimitives.Dot(named, dnamed);
            for (int k = 0; k < K; k++) dnamed[k] = named[k] * (dnamed[k] - dot); // through the softmax
        }
        _query.Backward(q, _dnamed.AsSpan(0, B * K), B, _dq);
    }

    /// <summary>The gradient <c>(B, K)</c> the last <see cref="Backward"/> sent to the class counts.</summary>
    public ReadOnlySpan<float> CountsGradient(int batch) => _dcounts.AsSpan(0, batch * _k);

    /// <summary>The gradient <c>(B, H)</c> the last <see cref="Backward"/> sent to the question's state.</summary>
    public ReadOnlySpan<float> QueryGradient(int batch) => _dq.AsSpan(0, batch * _h);
}
