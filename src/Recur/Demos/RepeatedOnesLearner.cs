using Recur.Models;
using Recur.Nn;
using Recur.Training;

namespace Recur.Demos;

/// <summary>Hyperparameters of <see cref="RepeatedOnesLearner"/>.</summary>
public sealed record RepeatedOnesLearnOptions
{
    /// <summary>Adam steps per attempt.</summary>
    public int Iterations { get; init; } = 1000;

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 0.03;

    /// <summary>Length T of the random training sequences.</summary>
    public int SeqLength { get; init; } = 16;

    /// <summary>Sequences B per training batch.</summary>
    public int Batch { get; init; } = 32;

    /// <summary>Fresh random initialisations tried before giving up on a perfect validation score.</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>Seed of the initialisations and of the training and validation sequences.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Checks every field; the message names the field and the value.</summary>
    public void Validate()
    {
        if (Iterations < 1) throw new ArgumentException($"iterations must be positive, got {Iterations}.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"learning rate must be a positive number, got {LearningRate}.");
        if (SeqLength < 2) throw new ArgumentException($"seq-length must be at least 2 (the task looks one step back), got {SeqLength}.");
        if (Batch < 1) throw new ArgumentException($"batch must be positive, got {Batch}.");
        if (MaxAttempts < 1) throw new ArgumentException($"max attempts must be positive, got {MaxAttempts}.");
    }
}

/// <summary>One training run of <see cref="RepeatedOnesLearner.Learn"/> from one random initialisation.</summary>
/// <param name="Attempt">1-based.</param>
/// <param name="Loss">The last batch's training loss.</param>
/// <param name="ValidationAccuracy">Fraction of validation steps right, in [0, 1].</param>
public sealed record RepeatedOnesAttempt(int Attempt, double Loss, double ValidationAccuracy);

/// <summary>The weights <see cref="RepeatedOnesLearner.Learn"/> kept, and every attempt it made.</summary>
/// <param name="WeightXh">W_xh <c>(3, 1)</c>.</param>
/// <param name="WeightHh">W_hh <c>(3, 3)</c>, row-major.</param>
/// <param name="WeightHy">W_hy <c>(1, 3)</c>.</param>
/// <param name="Attempts">Every attempt, in order; the kept one is the best (the first perfect one, or the best of all).</param>
/// <param name="Kept">Index into <paramref name="Attempts"/> of the attempt whose weights these are.</param>
public sealed record RepeatedOnesLearned(float[] WeightXh, float[] WeightHh, float[] WeightHy, IReadOnlyList<RepeatedOnesAttempt> Attempts, int Kept)
{
    /// <summary>The slide's architecture with the learned weights.</summary>
    public RepeatedOnes Network() => new(WeightXh, WeightHh, WeightHy);
}

/// <summary>
/// Learns the three matrices of the lectures' "detect repeated ones" network (<see cref="RepeatedOnes"/>)
/// from data instead of building them by hand: the same architecture and shapes, a ReLU RNN without biases,
/// <c>h_t = ReLU(W_hh h_{t-1} + W_xh x_t)</c>, <c>h_0 = (0, 0, 1)</c>, readout <c>y_t = ReLU(W_hy h_t)</c>
/// (<c>W_xh (3, 1)</c>, <c>W_hh (3, 3)</c>, <c>W_hy (1, 3)</c>) on the library's <see cref="Rnn"/> and
/// <see cref="Linear"/> layers, trained with <see cref="Adam"/> on random 0/1 sequences whose target is 1
/// exactly when the current and the previous input are both 1 (the previous input of step 0 is 0).
/// A step counts as right when <c>y_t &gt; 0.5</c> equals its target.
/// <para>
/// Loss: the mean over the <c>T*B</c> steps of the squared error of the readout, with <c>z_t = W_hy h_t</c>:
/// <c>ReLU(z_t)^2</c> for target 0 and <c>(z_t - 1)^2</c> for target 1. That is the squared error of
/// <c>y_t = ReLU(z_t)</c> wherever <c>z_t &gt; 0</c> or the target is 0; where the target is 1 and
/// <c>z_t &lt;= 0</c> it keeps a gradient, so the readout cannot die (with the plain squared error on
/// <c>ReLU(z_t)</c> most initialisations settle on "always 0", 75% right).
/// </para>
/// <para>
/// Even so, about half of the random initialisations end with dead hidden units or in a local minimum
/// (75% to 97% right), so <see cref="Learn"/> restarts from a fresh initialisation until one scores 100% on
/// validation sequences (or <see cref="RepeatedOnesLearnOptions.MaxAttempts"/> run out, keeping the best).
/// </para>
/// </summary>
public sealed class RepeatedOnesLearner
{
    /// <summary>Hidden units, as on the slide.</summary>
    public const int Hidden = 3;

    private const int ValidationSequences = 64;
    private const int ValidationLength = 100;

    /// <summary>A learner with the given options (validated).</summary>
    public RepeatedOnesLearner(RepeatedOnesLearnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
    }

    /// <summary>The options.</summary>
    public RepeatedOnesLearnOptions Options { get; }

    /// <summary>
    /// Trains from fresh initialisations until one is perfect on the validation sequences; returns its
    /// weights (or the best attempt's). Deterministic for a fixed <see cref="RepeatedOnesLearnOptions.Seed"/>.
    /// </summary>
    public RepeatedOnesLearned Learn()
    {
        var rng = new Rng(Options.Seed);
        var validation = Sequences(new Rng(Options.Seed + 1), ValidationSequences, ValidationLength);
        var attempts = new List<RepeatedOnesAttempt>();
        (float[] Xh, float[] Hh, float[] Hy)? best = null;
        int kept = -1;
        for (int a = 1; a <= Options.MaxAttempts; a++)
        {
            var (xh, hh, hy, loss) = TrainOnce(rng);
            double acc = Accuracy(new RepeatedOnes(xh, hh, hy), validation);
            attempts.Add(new RepeatedOnesAttempt(a, loss, acc));
            if (kept < 0 || acc > attempts[kept].ValidationAccuracy)
            {
                best = (xh, hh, hy);
                kept = a - 1;
            }
            if (acc == 1.0) break;
        }
        var (bx, bh, by) = best!.Value;
        return new RepeatedOnesLearned(bx, bh, by, attempts, kept);
    }

    /// <summary>
    /// Accuracy of the slide's hand-built network and of <paramref name="learned"/> on the same
    /// <paramref name="sequences"/> fresh random sequences of <paramref name="length"/> steps (drawn from
    /// seed + 2: neither the training nor the validation stream).
    /// </summary>
    public (double HandBuilt, double Learned) Evaluate(RepeatedOnesLearned learned, int sequences = 100, int length = 100)
    {
        ArgumentNullException.ThrowIfNull(learned);
        var fresh = Sequences(new Rng(Options.Seed + 2), sequences, length);
        return (Accuracy(new RepeatedOnes(), fresh), Accuracy(learned.Network(), fresh));
    }

    /// <summary>One attempt: PyTorch's initialisation from <paramref name="rng"/>, then Adam; returns the weights and the last loss.</summary>
    private (float[] Xh, float[] Hh, float[] Hy, double Loss) TrainOnce(Rng rng)
    {
        int T = Options.SeqLength, B = Options.Batch, n = T * B;
        var store = new ParameterStore();
        var rnn = new Rnn(store, "rnn", inputSize: 1, hiddenSize: Hidden, nonlinearity: "relu", bias: false);
        var head = new Linear(store, "head", Hidden, 1, bias: false);
        rnn.Reset(rng);
        head.Reset(rng);
        var opt = new Adam(store, Options.LearningRate);
        var h0 = new Tensor(1, B, Hidden); // (1, B, 3): every stream starts at (0, 0, 1)
        for (int b = 0; b < B; b++) h0.Data[b * Hidden + 2] = 1f;
        var x = new Tensor(T, B, 1);       // (T, B, 1) inputs
        var targets = new float[n];        // (T*B)
        var dz = new Tensor(n, 1);         // (T*B, 1) dL/dz
        double loss = 0;
        for (int it = 0; it < Options.Iterations; it++)
        {
            for (int i = 0; i < n; i++) x.Data[i] = rng.NextInt(2);
            for (int i = 0; i < n; i++) targets[i] = i >= B && x.Data[i] == 1f && x.Data[i - B] == 1f ? 1f : 0f;
            store.ZeroGrad();
            var o = rnn.Forward(x, h0);
            var z = head.Forward(o.Output.Reshape(n, Hidden)); // (T*B, 1)
            loss = LossAndGradient(z.Data, targets, dz.Data);
            var dh = head.Backward(dz);                        // (T*B, 3)
            rnn.Backward(dh.Reshape(T, B, Hidden));
            opt.Step();
        }
        return (store["rnn.weight_ih_l0"].Value.ToArray(), store["rnn.weight_hh_l0"].Value.ToArray(), store["head.weight"].Value.ToArray(), loss);
    }

    /// <summary>
    /// The loss described in the class summary, over readouts <paramref name="z"/> <c>(n)</c>; writes <c>dL/dz</c> into
    /// <paramref name="dz"/> <c>(n)</c>.
    /// </summary>
    internal static double LossAndGradient(ReadOnlySpan<float> z, ReadOnlySpan<float> targets, Span<float> dz)
    {
        int n = z.Length;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            float e = targets[i] == 1f ? z[i] - 1f : MathF.Max(z[i], 0f);
            total += (double)e * e;
            dz[i] = 2f * e / n;
        }
        return total / n;
    }

    /// <summary>The task's target at step <paramref name="t"/>: 1 when the current and the previous input are both 1.</summary>
    public static int Target(IReadOnlyList<int> inputs, int t)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return t > 0 && inputs[t] == 1 && inputs[t - 1] == 1 ? 1 : 0;
    }

    /// <summary><paramref name="count"/> random 0/1 sequences of <paramref name="length"/> steps, each bit a fair coin from <paramref name="rng"/>.</summary>
    public static int[][] Sequences(Rng rng, int count, int length)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Guard.Positive(count, nameof(count));
        Guard.Positive(length, nameof(length));
        var s = new int[count][];
        for (int i = 0; i < count; i++)
        {
            s[i] = new int[length];
            for (int t = 0; t < length; t++) s[i][t] = rng.NextInt(2);
        }
        return s;
    }

    /// <summary>
    /// Fraction of the steps of <paramref name="sequences"/> where <paramref name="net"/>'s output, read as <c>y &gt;
    /// 0.5</c>, equals the target.
    /// </summary>
    public static double Accuracy(RepeatedOnes net, IReadOnlyList<int[]> sequences)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(sequences);
        long right = 0, total = 0;
        foreach (var s in sequences)
        {
            var (_, y) = net.Run(s);
            for (int t = 0; t < s.Length; t++)
            {
                if ((y[t] > 0.5f ? 1 : 0) == Target(s, t)) right++;
                total++;
            }
        }
        return total == 0 ? 0 : (double)right / total;
    }
}
