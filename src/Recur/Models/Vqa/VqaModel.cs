using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Vqa;

/// <summary>
/// Multiple-choice visual question answering: an LSTM reads the question (<c>embed</c>, <c>rnn</c>; questions are
/// left-padded with <c>&lt;NULL&gt;</c> so that the last step is the last word) and its final state <c>q (B, H)</c>
/// attends over the image's feature grid (<see cref="AdditiveAttention"/> <c>att</c>): context <c>z (B, D)</c>. The joint
/// representation <c>f = tanh(W_q q + b + W_z z)</c> (<c>fuse_q</c>, <c>fuse_z</c>) scores every answer (<c>head</c>,
/// <c>F</c> to <c>A</c>), and the loss is the cross-entropy over each question's four choices only. The question-only
/// baseline (<see cref="VqaConfig.Blind"/>) has no attention and no <c>fuse_z</c>: <c>f = tanh(W_q q + b)</c>. With
/// <see cref="VqaConfig.VisualAnswers"/> those answers' scores are <c>W_v z + b_v</c> (<c>visual</c>) instead of the head's.
/// With <see cref="VqaConfig.ClassCountWidth"/> the head reads <c>[z ; Σ_i p_i]</c> for <c>z</c>: the context and the
/// locations' class probabilities summed (the features are frozen: no gradient flows into the sums).
/// </summary>
public sealed class VqaModel
{
    private readonly Embedding _embed;
    private readonly Recurrent _rnn;
    private readonly AdditiveAttention? _att;
    private readonly AnswerHead _head;
    private int[] _ids = [];
    private float[] _q = [], _z = [], _logits = [], _choice = [], _dlogits = [], _dq = [], _dz = []; // (B, H), (B, D), (B, A), (B, 4)
    private float[] _zc = [], _dzc = []; // (B, D + K): the context and the class counts, and its gradient
    private readonly CountingAnswers? _counting;
    private int _b;

    public VqaModel(VqaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        _embed = new Embedding(Store, "embed", config.Vocab, config.Embed);
        _rnn = new Recurrent(Store, "rnn", "lstm", config.Embed, config.Hidden, 1);
        if (!config.Blind) _att = new AdditiveAttention(Store, "att", config.FeatureDim, config.Hidden, config.AttentionDim);
        _head = new AnswerHead(Store, "fuse_q", config.Hidden, config.ContextDim, config.Fusion, config.Answers, config.VisualAnswers,
            config.Blind);
        if (config.CountAnswers.Length > 0) _counting = new CountingAnswers(Store, config.Hidden, config.ClassCountWidth, config.CountAnswers);
    }

    public VqaConfig Config { get; }
    public ParameterStore Store { get; }

    /// <summary>Threads for the products.</summary>
    public int Threads
    {
        get => _head.Threads;
        set
        {
            _rnn.Threads = value; _head.Threads = value;
            if (_counting is not null) _counting.Threads = value;
            if (_att is not null) _att.Threads = value;
        }
    }

    /// <summary>PyTorch's default initialisation.</summary>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _embed.Reset(rng);
        _rnn.Reset(rng);
        _att?.Reset(rng);
        _head.Reset(rng);
        _counting?.Reset(rng);
    }

    /// <summary>The attention weights <c>(B, L)</c> of the last forward (empty for the blind baseline).</summary>
    public ReadOnlySpan<float> Attention => _att is null ? [] : _att.Weights(0);

    /// <summary>
    /// Scores <c>(B, 4)</c> of each question's choices: <paramref name="features"/> <c>(B, L, D)</c>, <paramref name="questions"/>
    /// <c>(B, MaxWords)</c> token ids (left-padded), <paramref name="choices"/> <c>(B, 4)</c> answer ids. Valid until the next call.
    /// </summary>
    public ReadOnlySpan<float> Forward(Tensor features, int[] questions, int[] choices)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(choices);
        int B = features.Shape[0], T = Config.MaxWords, H = Config.Hidden, D = Config.FeatureDim, F = Config.Fusion, A = Config.Answers, L = Config.Locations;
        if (features.Rank != 3 || features.Shape[1] != L || features.Shape[2] != D)
            throw new ArgumentException($"features have shape {features.ShapeString}, expected (B, {L}, {D}).");
        if (questions.Length != B * T || choices.Length != B * 4)
            throw new ArgumentException($"{questions.Length} question ids and {choices.Length} choices for a batch of {B} (expected {B * T} and {B * 4}).");
        _b = B;
        if (_ids.Length != T * B) _ids = new int[T * B];
        for (int t = 0; t < T; t++) for (int b = 0; b < B; b++) _ids[t * B + b] = questions[b * T + t];
        var o = _rnn.ForwardTokens(_ids, T, B, _embed.Weight);
        _q = Buffers.Ensure(_q, B * H);
        o.HN.Data.AsSpan(0, B * H).CopyTo(_q);
        if (_att is not null)
        {
            _z = Buffers.Ensure(_z, B * D);
            _att.Begin(features.Data, B, L, 1);
            _att.Forward(0, _q, _z);
        }
        _logits = _head.Forward(_q, _att is null ? [] : HeadContext(features.Data, B), B);
        _counting?.Forward(_q, _zc.AsSpan(0, B * Config.ContextDim), Config.FeatureDim, B, _logits, A);
        _choice = Buffers.Ensure(_choice, B * 4);
        for (int b = 0; b < B; b++)
            for (int c = 0; c < 4; c++)
            {
                int a = choices[b * 4 + c];
                if ((uint)a >= (uint)A) throw new ArgumentOutOfRangeException(nameof(choices), a, $"answer id outside [0, {A}).");
                _choice[b * 4 + c] = _logits[b * A + a];
            }
        return _choice;
    }

    /// <summary>The head's image input <c>(B, D + K)</c>: the context <c>z</c>, then each class's probabilities summed over the locations.</summary>
    private ReadOnlySpan<float> HeadContext(float[] features, int B)
    {
        int D = Config.FeatureDim, K = Config.ClassCountWidth, L = Config.Locations, off = Config.ClassCountOffset;
        if (K == 0) return _z.AsSpan(0, B * D);
        _zc = Buffers.Ensure(_zc, B * (D + K));
        for (int b = 0; b < B; b++)
        {
            _z.AsSpan(b * D, D).CopyTo(_zc.AsSpan(b * (D + K), D));
            var counts = _zc.AsSpan(b * (D + K) + D, K);
            counts.Clear();
            for (int i = 0; i < L; i++) TensorPrimitives.Add(counts, features.AsSpan((b * L + i) * D + off, K), counts);
        }
        return _zc.AsSpan(0, B * (D + K));
    }

    /// <summary>
    /// Mean cross-entropy over the four choices of each question with the right ones at <paramref name="answers"/>
    /// <c>(B)</c>, and the number answered right.
    /// </summary>
    public (double Loss, int Right) Loss(Tensor features, int[] questions, int[] choices, int[] answers)
    {
        var s = Forward(features, questions, choices).ToArray();
        return AnswerHead.CrossEntropy(s, _b, answers, null);
    }

    /// <summary>Zeroes the gradients, runs forward and backward, returns the loss and the number answered right.</summary>
    public (double Loss, int Right) TrainStep(Tensor features, int[] questions, int[] choices, int[] answers)
    {
        Store.ZeroGrad();
        var scores = Forward(features, questions, choices).ToArray();
        var dscores = new float[scores.Length];
        var result = AnswerHead.CrossEntropy(scores, _b, answers, dscores);
        int B = _b, H = Config.Hidden, D = Config.FeatureDim, A = Config.Answers;
        _dlogits = Buffers.Ensure(_dlogits, B * A);
        Array.Clear(_dlogits);
        for (int b = 0; b < B; b++) for (int c = 0; c < 4; c++) _dlogits[b * A + choices[b * 4 + c]] += dscores[b * 4 + c];
        _dq = Buffers.Ensure(_dq, B * H);
        if (_att is not null) _dz = Buffers.Ensure(_dz, B * D);
        int K = Config.ClassCountWidth;
        _counting?.Backward(_q, _zc.AsSpan(0, B * Config.ContextDim), Config.FeatureDim, B, _dlogits, A); // takes the count answers' share
        if (K == 0) _head.Backward(_q, _att is null ? [] : _z, _dlogits, B, _dq, _att is null ? [] : _dz);
        else
        {
            _dzc = Buffers.Ensure(_dzc, B * (D + K));
            _head.Backward(_q, _zc.AsSpan(0, B * (D + K)), _dlogits, B, _dq, _dzc);
            for (int b = 0; b < B; b++) _dzc.AsSpan(b * (D + K), D).CopyTo(_dz.AsSpan(b * D, D)); // the counts' gradient stops at the frozen features
        }
        if (_att is not null)
        {
            _att.Backward(0, _q, _dz, [], _dq);
            _att.End();
        }
        if (_counting is not null) TensorPrimitives.Add(_dq.AsSpan(0, B * H), _counting.QueryGradient(B), _dq.AsSpan(0, B * H));
        var dOut = new Tensor(Config.MaxWords, B, H);
        var dHN = new Tensor(_dq.AsSpan(0, B * H).ToArray(), 1, B, H);
        _rnn.BackwardTokens(dOut, dHN);
        return result;
    }
}
