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
/// </summary>
public sealed class VqaModel
{
    private readonly Embedding _embed;
    private readonly Recurrent _rnn;
    private readonly AdditiveAttention? _att;
    private readonly Linear _fuseQ, _head;
    private readonly Linear? _fuseZ, _visual;
    private int[] _ids = [];
    private float[] _q = [], _z = [], _f = [], _logits = [], _choice = [], _dlogits = [], _df = [], _dq = [], _dz = [];
    private float[] _vis = [], _dvis = [], _dzVis = []; // visual answers' scores and gradients (B, Kv); their dz (B, D)
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
        _fuseQ = new Linear(Store, "fuse_q", config.Hidden, config.Fusion);
        if (!config.Blind) _fuseZ = new Linear(Store, "fuse_z", config.FeatureDim, config.Fusion, bias: false);
        _head = new Linear(Store, "head", config.Fusion, config.Answers);
        if (config.VisualAnswers.Length > 0) _visual = new Linear(Store, "visual", config.FeatureDim, config.VisualAnswers.Length);
    }

    public VqaConfig Config { get; }
    public ParameterStore Store { get; }

    /// <summary>Threads for the products.</summary>
    public int Threads
    {
        get => _head.Threads;
        set
        {
            _rnn.Threads = value; _fuseQ.Threads = value; _head.Threads = value;
            if (_att is not null) { _att.Threads = value; _fuseZ!.Threads = value; }
            if (_visual is not null) _visual.Threads = value;
        }
    }

    /// <summary>PyTorch's default initialisation.</summary>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _embed.Reset(rng);
        _rnn.Reset(rng);
        _att?.Reset(rng);
        _fuseQ.Reset(rng);
        _fuseZ?.Reset(rng);
        _head.Reset(rng);
        _visual?.Reset(rng);
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
        _f = Buffers.Ensure(_f, B * F);
        _fuseQ.Forward(_q, B, _f);
        if (_att is not null)
        {
            _z = Buffers.Ensure(_z, B * D);
            _att.Begin(features.Data, B, L, 1);
            _att.Forward(0, _q, _z);
            _fuseZ!.Forward(_z, B, _dz = Buffers.Ensure(_dz, B * F)); // scratch: W_z z
            TensorPrimitives.Add(_f, _dz.AsSpan(0, B * F), _f);
        }
        TensorPrimitives.Tanh(_f, _f);
        _logits = Buffers.Ensure(_logits, B * A);
        _head.Forward(_f, B, _logits);
        if (_visual is not null)
        {
            int K = Config.VisualAnswers.Length;
            _vis = Buffers.Ensure(_vis, B * K);
            _visual.Forward(_z, B, _vis);
            for (int b = 0; b < B; b++) for (int k = 0; k < K; k++) _logits[b * A + Config.VisualAnswers[k]] = _vis[b * K + k];
        }
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

    /// <summary>
    /// Mean cross-entropy over the four choices of each question with the right ones at <paramref name="answers"/>
    /// <c>(B)</c>, and the number answered right.
    /// </summary>
    public (double Loss, int Right) Loss(Tensor features, int[] questions, int[] choices, int[] answers)
    {
        var s = Forward(features, questions, choices).ToArray();
        return Score(s, answers, null);
    }

    private (double Loss, int Right) Score(float[] scores, int[] answers, float[]? dscores)
    {
        int B = _b;
        double loss = 0;
        int right = 0;
        var p = new float[4];
        for (int b = 0; b < B; b++)
        {
            var row = scores.AsSpan(b * 4, 4);
            row.CopyTo(p);
            Kernels.Softmax.InPlace(p);
            loss -= Math.Log(Math.Max(p[answers[b]], 1e-30f));
            if (TensorPrimitives.IndexOfMax(row) == answers[b]) right++;
            if (dscores is not null)
                for (int c = 0; c < 4; c++) dscores[b * 4 + c] = (p[c] - (c == answers[b] ? 1f : 0f)) / B;
        }
        return (loss / B, right);
    }

    /// <summary>Zeroes the gradients, runs forward and backward, returns the loss and the number answered right.</summary>
    public (double Loss, int Right) TrainStep(Tensor features, int[] questions, int[] choices, int[] answers)
    {
        Store.ZeroGrad();
        var scores = Forward(features, questions, choices).ToArray();
        var dscores = new float[scores.Length];
        var result = Score(scores, answers, dscores);
        int B = _b, H = Config.Hidden, D = Config.FeatureDim, F = Config.Fusion, A = Config.Answers;
        _dlogits = Buffers.Ensure(_dlogits, B * A);
        Array.Clear(_dlogits);
        for (int b = 0; b < B; b++) for (int c = 0; c < 4; c++) _dlogits[b * A + choices[b * 4 + c]] += dscores[b * 4 + c];
        int K = Config.VisualAnswers.Length;
        if (_visual is not null)
        {
            // the visual answers' gradients go to W_v and z, not to the head
            _dvis = Buffers.Ensure(_dvis, B * K);
            for (int b = 0; b < B; b++)
                for (int k = 0; k < K; k++)
                {
                    int a = b * A + Config.VisualAnswers[k];
                    _dvis[b * K + k] = _dlogits[a];
                    _dlogits[a] = 0f;
                }
        }
        _df = Buffers.Ensure(_df, B * F);
        _head.Backward(_f, _dlogits, B, _df);
        for (int i = 0; i < B * F; i++) _df[i] *= 1f - _f[i] * _f[i];
        _dq = Buffers.Ensure(_dq, B * H);
        _fuseQ.Backward(_q, _df, B, _dq);
        if (_att is not null)
        {
            _dz = Buffers.Ensure(_dz, B * D);
            _fuseZ!.Backward(_z, _df, B, _dz);
            if (_visual is not null)
            {
                _dzVis = Buffers.Ensure(_dzVis, B * D);
                _visual.Backward(_z, _dvis, B, _dzVis);
                TensorPrimitives.Add(_dz.AsSpan(0, B * D), _dzVis.AsSpan(0, B * D), _dz.AsSpan(0, B * D));
            }
            _att.Backward(0, _q, _dz, [], _dq);
            _att.End();
        }
        var dOut = new Tensor(Config.MaxWords, B, H);
        var dHN = new Tensor(_dq.AsSpan(0, B * H).ToArray(), 1, B, H);
        _rnn.BackwardTokens(dOut, dHN);
        return result;
    }
}
