using System.Numerics.Tensors;
using Recur.Models.Vqa;
using Recur.Nn;

namespace Recur.Models.Dialog;

/// <summary>
/// Visual dialog: answers each round of a dialog about an image from its question, the dialog before it and the image.
/// Rows are round-major inside: row <c>n = r*B + b</c> is round <c>r</c> of dialog <c>b</c>.
/// <list type="bullet">
/// <item>Question encoder (VQA's): an LSTM <c>rnn</c> over the left-padded question (<c>embed</c>), final state <c>q (N, H)</c>;
/// each distinct question of a batch is encoded once (the questions come from a small grammar, so many rounds share one).</item>
/// <item>History (<see cref="DialogConfig.History"/>): each round's fact is <c>[q_r ; a_r]</c>, its question's encoding beside
/// its answer's vector (<c>answer_embed</c>, <c>(A, E)</c>); <see cref="HierarchicalHistory"/> or <see cref="MemoryHistory"/>
/// turns the facts of the earlier rounds into <c>h (N, H)</c>. The dialog's true answers are its history, in training and
/// in evaluation, as in Das et al.</item>
/// <item>Query: <c>e = tanh(W_q q + b_q + W_h h)</c> (<c>fuse_q</c>, <c>fuse_h</c>; without history no <c>W_h h</c>).</item>
/// <item>Image (VQA's attention): <c>z_1 = att(a, e)</c> over the feature grid <c>a (B, L, D)</c>; with two hops,
/// <c>e_2 = tanh(W_e e + b_e + W_z z_1)</c> (<c>hop_e</c>, <c>hop_z</c>) and <c>z = att2(a, e_2)</c>, else <c>z = z_1</c>.</item>
/// <item>Answer: <c>f = tanh(W_f e + b_f + W_fz z)</c> (<c>fuse_e</c>, <c>fuse_z</c>), scores <c>head(f)</c> over all <c>A</c>
/// answers, the visual answers' scores <c>visual(z)</c> instead; the loss is the mean softmax cross-entropy over every round.
/// The question-only model (<see cref="DialogConfig.Blind"/>) has no attention: <c>f = tanh(W_f e + b_f)</c>.</item>
/// </list>
/// </summary>
public sealed class DialogModel
{
    private readonly Embedding _embed;
    private readonly Recurrent _rnn;
    private readonly Embedding? _answerEmbed;
    private readonly IDialogHistory? _history;
    private readonly Linear _fuseQ;
    private readonly Linear? _fuseH, _hopE, _hopZ;
    private readonly AnswerHead _head;
    private readonly AdditiveAttention? _att, _att2;
    private int[] _ids = [], _answers = [], _unique = [];    // (T, U) distinct questions' tokens, time-major; (N) answers; (N) each row's question in U
    private float[] _q = [], _facts = [], _h = [], _e = [];  // (N, H), (N, H+E), (N, H), (N, H)
    private float[] _z1 = [], _e2 = [], _z2 = [];            // (N, D), (N, H), (N, D)
    private float[] _logits = [];                             // (N, A)
    private float[] _out = [], _scratch = [];                // (B, R, A) scores, batch-major; (N, max(H, D)) products
    private float[] _dlogits = [], _de = [], _dz = [], _dz1 = [], _de2 = [], _dq = [], _dh = [], _dFacts = [], _dAnswer = [];
    private Tensor? _dOut;
    private int _b, _r, _u;

    public DialogModel(DialogConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        int E = config.Embed, H = config.Hidden, D = config.FeatureDim, F = config.Fusion;
        _embed = new Embedding(Store, "embed", config.Vocab, E);
        _rnn = new Recurrent(Store, "rnn", "lstm", E, H, 1);
        if (config.HasHistory)
        {
            _answerEmbed = new Embedding(Store, "answer_embed", config.Answers, E);
            _history = config.History == "hre" ? new HierarchicalHistory(Store, H + E, H) : new MemoryHistory(Store, H + E, H);
        }
        _fuseQ = new Linear(Store, "fuse_q", H, H);
        if (config.HasHistory) _fuseH = new Linear(Store, "fuse_h", H, H, bias: false);
        if (!config.Blind)
        {
            _att = new AdditiveAttention(Store, "att", D, H, config.AttentionDim);
            if (config.Hops == 2)
            {
                _hopE = new Linear(Store, "hop_e", H, H);
                _hopZ = new Linear(Store, "hop_z", D, H, bias: false);
                _att2 = new AdditiveAttention(Store, "att2", D, H, config.AttentionDim);
            }
        }
        _head = new AnswerHead(Store, "fuse_e", H, D, F, config.Answers, config.VisualAnswers, config.Blind);
    }

    public DialogConfig Config { get; }
    public ParameterStore Store { get; }

    private IEnumerable<Linear> Linears => new[] { _fuseQ, _fuseH, _hopE, _hopZ }.OfType<Linear>();

    /// <summary>Threads for the products.</summary>
    public int Threads
    {
        get => _head.Threads;
        set
        {
            _rnn.Threads = value;
            _head.Threads = value;
            foreach (var l in Linears) l.Threads = value;
            if (_history is not null) _history.Threads = value;
            if (_att is not null) _att.Threads = value;
            if (_att2 is not null) _att2.Threads = value;
        }
    }

    /// <summary>PyTorch's default initialisation, in the order the parameters were made.</summary>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _embed.Reset(rng);
        _rnn.Reset(rng);
        _answerEmbed?.Reset(rng);
        _history?.Reset(rng);
        _fuseQ.Reset(rng);
        _fuseH?.Reset(rng);
        _att?.Reset(rng);
        _hopE?.Reset(rng);
        _hopZ?.Reset(rng);
        _att2?.Reset(rng);
        _head.Reset(rng);
    }

    /// <summary>The attention weights <c>(B, L)</c> of round <paramref name="round"/> and hop 1 or 2 of the last forward.</summary>
    public ReadOnlySpan<float> Attention(int round, int hop = 1) => (hop == 2 ? _att2 : _att) is { } a ? a.Weights(round) : [];

    /// <summary>
    /// Scores <c>(B, R, A)</c> of every answer in every round: <paramref name="features"/> <c>(B, L, D)</c>, <paramref name="questions"/>
    /// <c>(B, R, MaxWords)</c> token ids (left-padded), <paramref name="answers"/> <c>(B, R)</c> the dialogs' answers (the history
    /// of later rounds). Valid until the next call.
    /// </summary>
    public ReadOnlySpan<float> Forward(Tensor features, int[] questions, int[] answers)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(answers);
        int B = features.Shape[0], T = Config.MaxWords, H = Config.Hidden, E = Config.Embed, D = Config.FeatureDim, A = Config.Answers;
        int L = Config.Locations, F = Config.Fusion;
        if (features.Rank != 3 || features.Shape[1] != L || features.Shape[2] != D)
            throw new ArgumentException($"features have shape {features.ShapeString}, expected (B, {L}, {D}).");
        if (B == 0 || answers.Length % B != 0 || answers.Length == 0 || questions.Length != answers.Length * T)
            throw new ArgumentException($"{questions.Length} question ids and {answers.Length} answers for a batch of {B} dialogs of {T}-word questions.");
        int R = answers.Length / B, N = R * B;
        _b = B; _r = R;
        _answers = Buffers.Ensure(_answers, N);
        _unique = Buffers.Ensure(_unique, N);
        // Each distinct question is encoded once: the rounds that ask it share its encoding (and add up its gradient).
        var distinct = new Dictionary<int, int>(new QuestionRows(questions, T));  // row b*R + r of the first asking -> its index in U
        var firsts = new List<int>();
        for (int r = 0; r < R; r++)
            for (int b = 0; b < B; b++)
            {
                int n = r * B + b, a = answers[b * R + r];
                if ((uint)a >= (uint)A) throw new ArgumentOutOfRangeException(nameof(answers), a, $"answer id outside [0, {A}).");
                _answers[n] = a;
                if (!distinct.TryGetValue(b * R + r, out int u)) { distinct.Add(b * R + r, u = firsts.Count); firsts.Add(b * R + r); }
                _unique[n] = u;
            }
        int U = _u = firsts.Count;
        _ids = Buffers.Ensure(_ids, T * U);
        for (int u = 0; u < U; u++)
            for (int t = 0; t < T; t++) _ids[t * U + u] = questions[firsts[u] * T + t];
        var o = _rnn.ForwardTokens(_ids, T, U, _embed.Weight);
        _q = Buffers.Ensure(_q, N * H);
        for (int n = 0; n < N; n++) o.HN.Data.AsSpan(_unique[n] * H, H).CopyTo(_q.AsSpan(n * H, H));
        _e = Buffers.Ensure(_e, N * H);
        _fuseQ.Forward(_q, N, _e);
        _scratch = Buffers.Ensure(_scratch, N * Math.Max(H, D));
        if (_history is not null)
        {
            _facts = Buffers.Ensure(_facts, N * (H + E));
            var aw = _answerEmbed!.Weight.Value;
            for (int n = 0; n < N; n++)
            {
                _q.AsSpan(n * H, H).CopyTo(_facts.AsSpan(n * (H + E), H));
                aw.Slice(_answers[n] * E, E).CopyTo(_facts.AsSpan(n * (H + E) + H, E));
            }
            _h = Buffers.Ensure(_h, N * H);
            _history.Forward(_q, _facts, B, R, _h);
            _fuseH!.Forward(_h, N, _scratch);
            TensorPrimitives.Add(_e, _scratch.AsSpan(0, N * H), _e);
        }
        TensorPrimitives.Tanh(_e, _e);
        if (_att is not null)
        {
            _z1 = Buffers.Ensure(_z1, N * D);
            Attend(_att, features, _e, _z1);
            if (_att2 is not null)
            {
                _e2 = Buffers.Ensure(_e2, N * H);
                _z2 = Buffers.Ensure(_z2, N * D);
                _hopE!.Forward(_e, N, _e2);
                _hopZ!.Forward(_z1, N, _scratch);
                TensorPrimitives.Add(_e2, _scratch.AsSpan(0, N * H), _e2);
                TensorPrimitives.Tanh(_e2, _e2);
                Attend(_att2, features, _e2, _z2);
            }
        }
        _logits = _head.Forward(_e, _att is null ? [] : Z, N);
        _out = Buffers.Ensure(_out, N * A);
        for (int b = 0; b < B; b++)
            for (int r = 0; r < R; r++) _logits.AsSpan((r * B + b) * A, A).CopyTo(_out.AsSpan((b * R + r) * A, A));
        return _out;
    }

    /// <summary>The last hop's contexts <c>(N, D)</c>.</summary>
    private float[] Z => _att2 is null ? _z1 : _z2;

    private void Attend(AdditiveAttention att, Tensor features, float[] query, float[] context)
    {
        int B = _b, H = Config.Hidden, D = Config.FeatureDim;
        att.Begin(features.Data, B, Config.Locations, _r);
        for (int r = 0; r < _r; r++) att.Forward(r, query.AsSpan(r * B * H, B * H), context.AsSpan(r * B * D, B * D));
    }

    /// <summary>Mean cross-entropy over every round's answers <paramref name="answers"/> <c>(B, R)</c>, and the rounds answered right.</summary>
    public (double Loss, int Right) Loss(Tensor features, int[] questions, int[] answers)
    {
        var s = Forward(features, questions, answers);
        return AnswerHead.CrossEntropy(s, _b * _r, answers, null);
    }

    /// <summary>Zeroes the gradients, runs forward and backward, returns the loss and the rounds answered right.</summary>
    public (double Loss, int Right) TrainStep(Tensor features, int[] questions, int[] answers)
    {
        Store.ZeroGrad();
        int A = Config.Answers;
        var scores = Forward(features, questions, answers);
        int B = _b, R = _r, N = B * R;
        var dOut = new float[N * A];
        var result = AnswerHead.CrossEntropy(scores, N, answers, dOut);
        _dlogits = Buffers.Ensure(_dlogits, N * A);
        for (int b = 0; b < B; b++)
            for (int r = 0; r < R; r++) dOut.AsSpan((b * R + r) * A, A).CopyTo(_dlogits.AsSpan((r * B + b) * A, A));
        Backward();
        return result;
    }

    private void Backward()
    {
        int B = _b, R = _r, N = B * R, T = Config.MaxWords, H = Config.Hidden, E = Config.Embed, D = Config.FeatureDim;
        _de = Buffers.Ensure(_de, N * H);
        if (_att is not null) _dz = Buffers.Ensure(_dz, N * D);
        _head.Backward(_e, _att is null ? [] : Z, _dlogits, N, _de, _att is null ? [] : _dz);
        if (_att is not null)
        {
            var dz1 = _dz;
            if (_att2 is not null)
            {
                _de2 = Buffers.Ensure(_de2, N * H);
                Array.Clear(_de2);
                AttendBackward(_att2, _e2, _dz, _de2);
                for (int i = 0; i < N * H; i++) _de2[i] *= 1f - _e2[i] * _e2[i];
                _hopE!.Backward(_e, _de2, N, _scratch);
                TensorPrimitives.Add(_de, _scratch.AsSpan(0, N * H), _de);
                _dz1 = Buffers.Ensure(_dz1, N * D);
                _hopZ!.Backward(_z1, _de2, N, _dz1);
                dz1 = _dz1;
            }
            AttendBackward(_att, _e, dz1, _de);
        }
        for (int i = 0; i < N * H; i++) _de[i] *= 1f - _e[i] * _e[i];
        _dq = Buffers.Ensure(_dq, N * H);
        _fuseQ.Backward(_q, _de, N, _dq);
        if (_history is not null)
        {
            _dh = Buffers.Ensure(_dh, N * H);
            _fuseH!.Backward(_h, _de, N, _dh);
            _dFacts = Buffers.Ensure(_dFacts, N * (H + E));
            _history.Backward(_q, _facts, _dh, _dq, _dFacts);
            _dAnswer = Buffers.Ensure(_dAnswer, N * E);
            for (int n = 0; n < N; n++)
            {
                var row = _dFacts.AsSpan(n * (H + E), H + E);
                TensorPrimitives.Add(_dq.AsSpan(n * H, H), row[..H], _dq.AsSpan(n * H, H));
                row[H..].CopyTo(_dAnswer.AsSpan(n * E, E));
            }
            _answerEmbed!.Backward(_answers, _dAnswer);
        }
        _dOut = Buffers.Ensure(_dOut, T, _u, H);
        var dHN = new Tensor(1, _u, H);
        for (int n = 0; n < N; n++)
        {
            var row = dHN.Data.AsSpan(_unique[n] * H, H);
            TensorPrimitives.Add(row, _dq.AsSpan(n * H, H), row);
        }
        _rnn.BackwardTokens(_dOut, dHN);
    }

    /// <summary>Backward of <see cref="Attend"/>: adds the queries' gradient into <paramref name="dQuery"/> <c>(N, H)</c>.</summary>
    private void AttendBackward(AdditiveAttention att, float[] query, float[] dContext, float[] dQuery)
    {
        int B = _b, H = Config.Hidden, D = Config.FeatureDim;
        for (int r = 0; r < _r; r++)
            att.Backward(r, query.AsSpan(r * B * H, B * H), dContext.AsSpan(r * B * D, B * D), [], dQuery.AsSpan(r * B * H, B * H));
        att.End();
    }

    /// <summary>Rows of a <c>(rows, T)</c> token array compared by their tokens.</summary>
    private sealed class QuestionRows(int[] tokens, int length) : IEqualityComparer<int>
    {
        public bool Equals(int x, int y) => tokens.AsSpan(x * length, length).SequenceEqual(tokens.AsSpan(y * length, length));

        public int GetHashCode(int row)
        {
            var h = new HashCode();
            foreach (int t in tokens.AsSpan(row * length, length)) h.Add(t);
            return h.ToHashCode();
        }
    }
}
