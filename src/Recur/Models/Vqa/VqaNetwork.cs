using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Vqa;

/// <summary>
/// One network of a <see cref="VqaModel"/> (the model is one of them, or an ensemble of several): an LSTM reads the question
/// (<c>embed</c>, <c>rnn</c>), its final state <c>q (B, H)</c> attends over the image's feature grid (<c>att</c>): context
/// <c>z (B, D)</c>; the <see cref="AnswerHead"/> scores every answer from <c>q</c> and <c>z</c> (or <c>[z ; Σ_i p_i]</c> with
/// class counts), <see cref="CountingAnswers"/> the count answers when configured. Every layer's name starts with the
/// network's prefix (empty for a model of one network, <c>members.{k}</c> in an ensemble).
/// </summary>
internal sealed class VqaNetwork
{
    private readonly VqaConfig _config;
    private readonly Embedding _embed;
    private readonly Recurrent _rnn;
    private readonly AdditiveAttention? _att;
    private readonly AnswerHead _head;
    private readonly CountingAnswers? _counting;
    private readonly ClassCounts? _counts;
    private float[] _q = [], _z = [], _logits = [], _choice = [], _dlogits = [], _dq = [], _dz = []; // (B, H), (B, D), (B, A), (B, 4)
    private float[] _zc = [], _dzc = []; // (B, D + K): the context and the class counts, and its gradient
    private int _b;

    public VqaNetwork(ParameterStore store, string prefix, VqaConfig config)
    {
        _config = config;
        _embed = new Embedding(store, Naming.Join(prefix, "embed"), config.Vocab, config.Embed);
        _rnn = new Recurrent(store, Naming.Join(prefix, "rnn"), "lstm", config.Embed, config.Hidden, 1);
        if (!config.Blind) _att = new AdditiveAttention(store, Naming.Join(prefix, "att"), config.FeatureDim, config.Hidden, config.AttentionDim);
        _head = new AnswerHead(store, "fuse_q", config.Hidden, config.ContextDim, config.Fusion, config.Answers, config.VisualAnswers,
            config.Blind, prefix);
        if (config.ClassCountWidth > 0) _counts = new ClassCounts(store, prefix, config);
        if (config.CountAnswers.Length > 0)
            _counting = new CountingAnswers(store, config.Hidden, config.ClassCountWidth, config.CountAnswers, prefix);
    }

    public int Threads
    {
        get => _head.Threads;
        set
        {
            _rnn.Threads = value; _head.Threads = value;
            if (_counting is not null) _counting.Threads = value;
            if (_counts is not null) _counts.Threads = value;
            if (_att is not null) _att.Threads = value;
        }
    }

    /// <summary>PyTorch's default initialisation, layer by layer in the order they were made.</summary>
    public void Reset(Rng rng)
    {
        _embed.Reset(rng);
        _rnn.Reset(rng);
        _att?.Reset(rng);
        _head.Reset(rng);
        _counting?.Reset(rng);
        _counts?.Reset(rng);
    }

    /// <summary>The attention weights <c>(B, L)</c> of the last forward (empty without attention).</summary>
    public ReadOnlySpan<float> Attention => _att is null ? [] : _att.Weights(0);

    /// <summary>
    /// Scores <c>(B, 4)</c> of the choices: <paramref name="features"/> <c>(B, L, D)</c>, <paramref name="ids"/> <c>(T, B)</c> the
    /// question tokens time-major, <paramref name="choices"/> <c>(B, 4)</c> answer ids (checked by the caller). Valid until the next call.
    /// </summary>
    public float[] Forward(Tensor features, int[] ids, int[] choices, int B)
    {
        int T = _config.MaxWords, H = _config.Hidden, D = _config.FeatureDim, A = _config.Answers;
        _b = B;
        var o = _rnn.ForwardTokens(ids, T, B, _embed.Weight);
        _q = Buffers.Ensure(_q, B * H);
        o.HN.Data.AsSpan(0, B * H).CopyTo(_q);
        if (_att is not null)
        {
            _z = Buffers.Ensure(_z, B * D);
            _att.Begin(features.Data, B, _config.Locations, 1);
            _att.Forward(0, _q, _z);
        }
        _logits = _head.Forward(_q, _att is null ? [] : HeadContext(features.Data, B), B);
        _counting?.Forward(_q, _zc.AsSpan(0, B * _config.ContextDim), D, B, _logits, A);
        _choice = Buffers.Ensure(_choice, B * 4);
        for (int b = 0; b < B; b++) for (int c = 0; c < 4; c++) _choice[b * 4 + c] = _logits[b * A + choices[b * 4 + c]];
        return _choice;
    }

    /// <summary>The head's image input <c>(B, D + K)</c>: the context <c>z</c>, then the class counts (<see cref="ClassCounts"/>).</summary>
    private ReadOnlySpan<float> HeadContext(float[] features, int B)
    {
        int D = _config.FeatureDim, K = _config.ClassCountWidth;
        if (_counts is null) return _z.AsSpan(0, B * D);
        _zc = Buffers.Ensure(_zc, B * (D + K));
        for (int b = 0; b < B; b++) _z.AsSpan(b * D, D).CopyTo(_zc.AsSpan(b * (D + K), D));
        _counts.Forward(features, B, _zc, D + K, D);
        return _zc.AsSpan(0, B * (D + K));
    }

    /// <summary>
    /// Backward of the last <see cref="Forward"/> from the choices' score gradient <paramref name="dscores"/> <c>(B, 4)</c>:
    /// accumulates every parameter's gradient (the frozen features get none).
    /// </summary>
    public void Backward(Tensor features, ReadOnlySpan<float> dscores, int[] choices)
    {
        int B = _b, H = _config.Hidden, D = _config.FeatureDim, A = _config.Answers, K = _config.ClassCountWidth;
        _dlogits = Buffers.Ensure(_dlogits, B * A);
        Array.Clear(_dlogits);
        for (int b = 0; b < B; b++) for (int c = 0; c < 4; c++) _dlogits[b * A + choices[b * 4 + c]] += dscores[b * 4 + c];
        _dq = Buffers.Ensure(_dq, B * H);
        if (_att is not null) _dz = Buffers.Ensure(_dz, B * D);
        _counting?.Backward(_q, _zc.AsSpan(0, B * _config.ContextDim), D, B, _dlogits, A); // takes the count answers' share
        if (K == 0) _head.Backward(_q, _att is null ? [] : _z, _dlogits, B, _dq, _att is null ? [] : _dz);
        else
        {
            _dzc = Buffers.Ensure(_dzc, B * (D + K));
            _head.Backward(_q, _zc.AsSpan(0, B * (D + K)), _dlogits, B, _dq, _dzc);
            for (int b = 0; b < B; b++)
            {
                _dzc.AsSpan(b * (D + K), D).CopyTo(_dz.AsSpan(b * D, D));
                if (_counting is not null)
                    TensorPrimitives.Add(_dzc.AsSpan(b * (D + K) + D, K), _counting.CountsGradient(B).Slice(b * K, K), _dzc.AsSpan(b * (D + K) + D, K));
            }
            _counts!.Backward(features.Data, B, _dzc, D + K, D); // reaches the presence layer; the counts' gradient stops at the frozen features
        }
        if (_att is not null)
        {
            _att.Backward(0, _q, _dz, [], _dq);
            _att.End();
        }
        if (_counting is not null) TensorPrimitives.Add(_dq.AsSpan(0, B * H), _counting.QueryGradient(B), _dq.AsSpan(0, B * H));
        var dOut = new Tensor(_config.MaxWords, B, H);
        var dHN = new Tensor(_dq.AsSpan(0, B * H).ToArray(), 1, B, H);
        _rnn.BackwardTokens(dOut, dHN);
    }
}
