using System.Numerics.Tensors;
using Recur.Data;
using Recur.Models;
using Recur.Training;

namespace Recur.Demos;

/// <summary>Hyperparameters of <see cref="HelloDemo"/>.</summary>
public sealed record HelloOptions
{
    /// <summary>
    /// Hidden width H. The slide draws 3; with 3 units and the other defaults greedy decoding spelt "hello"
    /// for 1775 of seeds 0..1999 (1998 with 400 iterations). The default, 8, spelt it for all 2000, with the
    /// target's probability at least 0.9 at every step.
    /// </summary>
    public int Hidden { get; init; } = 8;

    /// <summary>Adam steps, each one pass over "hell" -> "ello". The default stops while the softmax is still a little unsure, so samples can wander.</summary>
    public int Iterations { get; init; } = 100;

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Seed of the initialisation (and, offset by one, of the samples).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Softmax temperature of the samples: below 1 sharper, above 1 flatter.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>How many temperature samples <see cref="HelloDemo.Samples"/> draws.</summary>
    public int SampleCount { get; init; } = 8;

    /// <summary>Checks every field; the message names the option and the value.</summary>
    public void Validate()
    {
        if (Hidden < 1 || Hidden > 1024) throw new ArgumentException($"hidden must be in [1, 1024], got {Hidden}.");
        if (Iterations < 1) throw new ArgumentException($"iterations must be positive, got {Iterations}.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"learning rate must be a positive number, got {LearningRate}.");
        if (!(Temperature > 0f) || float.IsInfinity(Temperature)) throw new ArgumentException($"temperature must be a positive number, got {Temperature}.");
        if (SampleCount < 0) throw new ArgumentException($"sample count must be non-negative, got {SampleCount}.");
    }
}

/// <summary>One row of the lecture's table: what the trained network predicts after reading <paramref name="Input"/>.</summary>
/// <param name="Input">The character read at this step.</param>
/// <param name="Probabilities">Softmax over <see cref="HelloDemo.Letters"/> <c>(4)</c>: the next character's distribution.</param>
/// <param name="Target">The character that should come next.</param>
/// <param name="Predicted">The most likely next character (argmax).</param>
public sealed record HelloStep(char Input, float[] Probabilities, char Target, char Predicted);

/// <summary>
/// The "hello" example of the CS231n RNN lecture: vocabulary <c>[h, e, l, o]</c> fed one-hot (no embedding)
/// to a one-layer vanilla RNN, <c>h_t = tanh(W_xh x_t + W_hh h_{t-1} + b)</c>, <c>y_t = W_hy h_t + b_y</c>,
/// trained with softmax cross-entropy on the input "hell" against the targets "ello" (each step predicts
/// the next character). It is the library's <see cref="CharModel"/> (cell "rnn", tanh, <c>Embed = 0</c>)
/// trained by <see cref="Adam"/>; every iteration starts from <c>h_0 = 0</c>.
/// <para>
/// The two "l"s are the point of the example: after the first the answer is "l", after the second "o", so
/// the network must use its hidden state, not just the current input. At test time it generates one
/// character at a time from "h", feeding each choice back in (<see cref="CharSampler"/>): argmax
/// (greedy) decoding or a draw from the softmax at a temperature.
/// </para>
/// </summary>
public sealed class HelloDemo
{
    /// <summary>The vocabulary, in the slide's order: ids 0..3.</summary>
    public const string Letters = "helo";

    /// <summary>The training word: input is all but its last character, the target all but its first.</summary>
    public const string Word = "hello";

    private readonly Adam _optimizer;
    private readonly int[] _inputs;   // (T) ids of "hell"
    private readonly int[] _targets;  // (T) ids of "ello"
    private readonly Rng _rng;

    /// <summary>A freshly initialised network (PyTorch's initialisation from <see cref="HelloOptions.Seed"/>).</summary>
    public HelloDemo(HelloOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Vocabulary = new Vocabulary(Letters.EnumerateRunes());
        Model = new CharModel(new CharModelConfig
        {
            Cell = "rnn", Nonlinearity = "tanh", VocabSize = Letters.Length, Embed = 0, Hidden = options.Hidden, Layers = 1
        });
        _rng = new Rng(options.Seed);
        Model.Reset(_rng);
        _optimizer = new Adam(Model.Store, options.LearningRate);
        _inputs = Vocabulary.Encode(Word[..^1]);
        _targets = Vocabulary.Encode(Word[1..]);
    }

    /// <summary>The options.</summary>
    public HelloOptions Options { get; }

    /// <summary>The vocabulary <c>[h, e, l, o]</c>.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The network.</summary>
    public CharModel Model { get; }

    /// <summary>
    /// Runs <see cref="HelloOptions.Iterations"/> Adam steps on "hell" -> "ello"; returns each step's loss
    /// (mean cross-entropy over the 4 steps, nats, before that step's update).
    /// </summary>
    public double[] Train()
    {
        var losses = new double[Options.Iterations];
        int T = _inputs.Length;
        for (int it = 0; it < losses.Length; it++)
        {
            Model.ResetState();
            losses[it] = Model.TrainStep(_inputs, _targets, T, 1, _rng);
            _optimizer.Step();
        }
        Model.ResetState();
        return losses;
    }

    /// <summary>The lecture's table: for each input character of "hell", the softmax over the next one, the target and the argmax.</summary>
    public IReadOnlyList<HelloStep> Table()
    {
        int T = _inputs.Length, V = Letters.Length;
        Model.ResetState();
        var logits = Model.Forward(_inputs, T, 1, training: false, rng: null); // (T, V)
        Model.ResetState();
        var rows = new HelloStep[T];
        for (int t = 0; t < T; t++)
        {
            var p = new float[V];
            TensorPrimitives.SoftMax(logits.Data.AsSpan(t * V, V), p);
            rows[t] = new HelloStep(Letters[_inputs[t]], p, Letters[_targets[t]], Letters[TensorPrimitives.IndexOfMax(p)]);
        }
        return rows;
    }

    /// <summary>Greedy decoding: from "h", the most likely next character, fed back, 4 times (the word's length).</summary>
    public string Greedy() => Generate(argmax: true, rng: null);

    /// <summary>
    /// <see cref="HelloOptions.SampleCount"/> words drawn from "h" at <see cref="HelloOptions.Temperature"/>, one
    /// character at a time; the same for the same seed (the draws use their own stream, seed + 1).
    /// </summary>
    public string[] Samples()
    {
        var rng = new Rng(Options.Seed + 1);
        var words = new string[Options.SampleCount];
        for (int i = 0; i < words.Length; i++) words[i] = Generate(argmax: false, rng);
        return words;
    }

    private string Generate(bool argmax, Rng? rng)
    {
        var sampler = new CharSampler(Model);
        sampler.Prime([_inputs[0]]);
        var ids = sampler.Sample(Word.Length - 1, Options.Temperature, 0, argmax, rng).ToArray();
        return Word[0] + Vocabulary.Decode(ids);
    }
}
