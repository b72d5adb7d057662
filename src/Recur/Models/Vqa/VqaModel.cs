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
/// With <see cref="VqaConfig.Members"/> <c>M &gt; 1</c> the model is an ensemble of <c>M</c> such networks
/// (<c>members.{k}.embed</c>, ...), initialised one after the other and trained side by side (on one batch, or each on a
/// batch of its own), each on its own cross-entropy (the training loss is their mean); it answers with their choice
/// probabilities averaged, as the scores' logarithm: <c>s = log(1/M Σ_m softmax(s_m))</c> (<see cref="AverageChoices"/>).
/// </summary>
public sealed class VqaModel
{
    private readonly VqaNetwork[] _members;
    private int[] _ids = [];                         // (T, B): the questions time-major
    private float[][] _scores = [];                  // M x (B, 4): each member's choice scores of the last forward
    private float[] _mean = [], _dscores = [];       // (B, 4): the ensemble's scores; a member's score gradient
    private int _b;

    public VqaModel(VqaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        _members = [.. Enumerable.Range(0, config.Members).Select(k => new VqaNetwork(Store, config.Members == 1 ? "" : $"members.{k}", config))];
    }

    public VqaConfig Config { get; }
    public ParameterStore Store { get; }

    /// <summary>Threads for the products.</summary>
    public int Threads
    {
        get => _members[0].Threads;
        set { foreach (var m in _members) m.Threads = value; }
    }

    /// <summary>PyTorch's default initialisation, member after member.</summary>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        foreach (var m in _members) m.Reset(rng);
    }

    /// <summary>The attention weights <c>(B, L)</c> of the last forward, the first member's (empty for the blind baseline).</summary>
    public ReadOnlySpan<float> Attention => _members[0].Attention;

    /// <summary>
    /// Scores <c>(B, 4)</c> of each question's choices: <paramref name="features"/> <c>(B, L, D)</c>, <paramref name="questions"/>
    /// <c>(B, MaxWords)</c> token ids (left-padded), <paramref name="choices"/> <c>(B, 4)</c> answer ids. Valid until the next call.
    /// </summary>
    public ReadOnlySpan<float> Forward(Tensor features, int[] questions, int[] choices) => Forward(features, questions, choices, -1);

    /// <summary><see cref="Forward(Tensor, int[], int[])"/> of every member, or of member <paramref name="only"/> alone (its scores kept).</summary>
    private ReadOnlySpan<float> Forward(Tensor features, int[] questions, int[] choices, int only)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(choices);
        int B = features.Shape[0], T = Config.MaxWords, D = Config.FeatureDim, A = Config.Answers, L = Config.Locations, M = _members.Length;
        if (features.Rank != 3 || features.Shape[1] != L || features.Shape[2] != D)
            throw new ArgumentException($"features have shape {features.ShapeString}, expected (B, {L}, {D}).");
        if (questions.Length != B * T || choices.Length != B * 4)
            throw new ArgumentException($"{questions.Length} question ids and {choices.Length} choices for a batch of {B} (expected {B * T} and {B * 4}).");
        foreach (int a in choices)
            if ((uint)a >= (uint)A) throw new ArgumentOutOfRangeException(nameof(choices), a, $"answer id outside [0, {A}).");
        _b = B;
        if (_ids.Length != T * B) _ids = new int[T * B];
        for (int t = 0; t < T; t++) for (int b = 0; b < B; b++) _ids[t * B + b] = questions[b * T + t];
        if (_scores.Length != M) _scores = new float[M][];
        if (only >= 0)
        {
            _scores[only] = _members[only].Forward(features, _ids, choices, B);
            return _scores[only].AsSpan(0, B * 4);
        }
        for (int m = 0; m < M; m++) _scores[m] = _members[m].Forward(features, _ids, choices, B);
        if (M == 1) return _scores[0].AsSpan(0, B * 4);
        _mean = Buffers.Ensure(_mean, B * 4);
        AverageChoices(_scores, B, _mean);
        return _mean;
    }

    /// <summary>
    /// An ensemble's scores of <paramref name="n"/> questions from its members' <paramref name="scores"/> (each <c>(n, 4)</c> or
    /// longer): the log of the members' choice probabilities (the softmax over each question's four scores) averaged, written
    /// to <paramref name="into"/> <c>(n, 4)</c>.
    /// </summary>
    internal static void AverageChoices(IReadOnlyList<float[]> scores, int n, Span<float> into)
    {
        into = into[..(n * 4)];
        into.Clear();
        Span<float> p = stackalloc float[4];
        foreach (var s in scores)
            for (int b = 0; b < n; b++)
            {
                s.AsSpan(b * 4, 4).CopyTo(p);
                Kernels.Softmax.InPlace(p);
                TensorPrimitives.Add(into.Slice(b * 4, 4), p, into.Slice(b * 4, 4));
            }
        for (int i = 0; i < into.Length; i++) into[i] = MathF.Log(Math.Max(into[i] / scores.Count, 1e-30f));
    }

    /// <summary>
    /// Mean cross-entropy over the four choices of each question with the right ones at <paramref name="answers"/>
    /// <c>(B)</c>, and the number answered right (an ensemble's: of its averaged probabilities).
    /// </summary>
    public (double Loss, int Right) Loss(Tensor features, int[] questions, int[] choices, int[] answers)
    {
        var s = Forward(features, questions, choices).ToArray();
        return AnswerHead.CrossEntropy(s, _b, answers, null);
    }

    /// <summary>
    /// The loss <see cref="TrainStep(Tensor, int[], int[], int[])"/> takes the gradient of: the cross-entropy over the four choices, for an ensemble
    /// its members' own averaged (not the cross-entropy of the averaged probabilities, which <see cref="Loss"/> gives).
    /// </summary>
    public double TrainingLoss(Tensor features, int[] questions, int[] choices, int[] answers)
    {
        Forward(features, questions, choices);
        return _scores.Sum(s => AnswerHead.CrossEntropy(s.AsSpan(0, _b * 4), _b, answers, null).Loss) / _scores.Length;
    }

    /// <summary>
    /// An ensemble's training step with a batch of its own for each member (<paramref name="batches"/>, member k's at k:
    /// features <c>(B, L, D)</c>, questions <c>(B, MaxWords)</c>, choices <c>(B, 4)</c>, answers <c>(B)</c>), as members trained
    /// apart see the examples in orders of their own: zeroes the gradients, runs each member forward and backward on its
    /// batch, and returns the members' cross-entropies averaged (each member's gradient that of its own, divided by M).
    /// </summary>
    public double TrainStep(IReadOnlyList<(Tensor Features, int[] Questions, int[] Choices, int[] Answers)> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        int M = _members.Length;
        if (batches.Count != M) throw new ArgumentException($"{batches.Count} batches for {M} members.", nameof(batches));
        Store.ZeroGrad();
        double loss = 0;
        for (int m = 0; m < M; m++)
        {
            var (features, questions, choices, answers) = batches[m];
            Forward(features, questions, choices, only: m);
            loss += BackwardMember(m, features, choices, answers);
        }
        return loss;
    }

    /// <summary>
    /// Member <paramref name="m"/>'s backward from its scores of the last forward: the gradient of its cross-entropy divided by
    /// M; returns that cross-entropy divided by M, its share of the training loss.
    /// </summary>
    private double BackwardMember(int m, Tensor features, int[] choices, int[] answers)
    {
        int B = _b, M = _members.Length;
        _dscores = Buffers.Ensure(_dscores, B * 4);
        double loss = AnswerHead.CrossEntropy(_scores[m].AsSpan(0, B * 4), B, answers, _dscores).Loss / M;
        if (M > 1) TensorPrimitives.Multiply(_dscores, 1f / M, _dscores);
        _members[m].Backward(features, _dscores, choices);
        return loss;
    }

    /// <summary>
    /// Zeroes the gradients, runs forward and backward, returns the loss (an ensemble's: its members' cross-entropies
    /// averaged, each member's gradient that of its own) and the number answered right.
    /// </summary>
    public (double Loss, int Right) TrainStep(Tensor features, int[] questions, int[] choices, int[] answers)
    {
        Store.ZeroGrad();
        int right = AnswerHead.CrossEntropy(Forward(features, questions, choices), _b, answers, null).Right;
        double loss = 0;
        for (int m = 0; m < _members.Length; m++) loss += BackwardMember(m, features, choices, answers);
        return (loss, right);
    }
}
