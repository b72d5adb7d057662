using System.Globalization;
using Recur.Models;

namespace Recur.Training;

/// <summary>
/// Everything that defines a character-model training run (char-rnn / torch-rnn habits, PyTorch
/// names). Stored in a checkpoint's <c>config.json</c> under <c>"training"</c> (snake_case keys), so
/// a resumed run continues with the same settings. Defaults are those of <c>recur train FILE</c>.
/// </summary>
public sealed record TrainOptions
{
    /// <summary>Recurrent cell: <c>lstm</c>, <c>gru</c>, <c>gru-cho</c> (reset before the product) or <c>rnn</c>.</summary>
    public string Model { get; init; } = "lstm";

    /// <summary>For <c>rnn</c>: <c>tanh</c> or <c>relu</c>.</summary>
    public string Nonlinearity { get; init; } = "tanh";

    /// <summary>Hidden width <c>H</c> of every recurrent layer.</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Number of stacked recurrent layers.</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Embedding width; 0 feeds one-hot vectors (min-char-rnn).</summary>
    public int Embed { get; init; } = 64;

    /// <summary>Dropout between layers and before the output layer.</summary>
    public double Dropout { get; init; }

    /// <summary>DropConnect on the recurrent weights W_hh (AWD-LSTM's weight drop); 0 = off.</summary>
    public double WeightDrop { get; init; }

    /// <summary>Sequence blocks: state size per channel (<see cref="CharModelConfig.StateSize"/>).</summary>
    public int StateSize { get; init; } = 16;

    /// <summary>Sequence blocks: inner width factor (<see cref="CharModelConfig.Expand"/>).</summary>
    public int Expand { get; init; } = 2;

    /// <summary>Sequence blocks: Mamba's convolution width (<see cref="CharModelConfig.ConvWidth"/>).</summary>
    public int ConvWidth { get; init; } = 4;

    /// <summary>Sequence blocks: attention heads (<see cref="CharModelConfig.Heads"/>).</summary>
    public int Heads { get; init; } = 4;

    /// <summary>Sequence blocks: the Transformer's longest context (<see cref="CharModelConfig.Context"/>).</summary>
    public int Context { get; init; } = 256;

    /// <summary>Highway connections between stacked layers (<see cref="CharModelConfig.Highway"/>); off by default.</summary>
    public bool Highway { get; init; }

    /// <summary>
    /// Decay of an exponential moving average of the weights (<see cref="WeightAverage"/>), 0 = off. When on,
    /// evaluation, samples and checkpoints use the averaged weights; training updates its own.
    /// </summary>
    public double Ema { get; init; }

    /// <summary>Truncated-BPTT length <c>T</c>: characters per stream per iteration.</summary>
    public int SeqLength { get; init; } = 64;

    /// <summary>Number of parallel streams <c>B</c>.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary><c>adam</c>, <c>adamw</c>, <c>rmsprop</c>, <c>adagrad</c> or <c>sgd</c>.</summary>
    public string Optimizer { get; init; } = "adam";

    /// <summary>Base learning rate.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Multiplier applied to the learning rate every <see cref="LrDecayEvery"/> epochs (1 = no decay).</summary>
    public double LrDecay { get; init; } = 1.0;

    /// <summary>Epochs between learning-rate decays (may be fractional; converted to whole iterations).</summary>
    public double LrDecayEvery { get; init; } = 1.0;

    /// <summary>
    /// <c>step</c> (constant, or <see cref="LrDecay"/> every <see cref="LrDecayEvery"/> epochs) or
    /// <c>cosine</c> (from <see cref="LearningRate"/> down to <see cref="LrMin"/> over the run: the larger of
    /// the fraction of iterations done, against <see cref="MaxIters"/>/<see cref="MaxEpochs"/>, and the
    /// fraction of <see cref="Minutes"/> used).
    /// </summary>
    public string LrSchedule { get; init; } = "step";

    /// <summary>The cosine schedule's final learning rate (PyTorch's <c>eta_min</c>).</summary>
    public double LrMin { get; init; }

    /// <summary>Weight decay: L2 added to the gradient (adam, rmsprop, adagrad, sgd) or decoupled (adamw).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Gradient clipping threshold: the global L2 norm (<c>norm</c>) or each element (<c>value</c>); 0 disables.</summary>
    public double GradClip { get; init; } = 5.0;

    /// <summary><c>norm</c> (PyTorch <c>clip_grad_norm_</c>) or <c>value</c> (<c>clip_grad_value_</c>, min-char-rnn).</summary>
    public string ClipMode { get; init; } = "norm";

    /// <summary>Stop after this many epochs (0 = no limit).</summary>
    public double MaxEpochs { get; init; } = 50;

    /// <summary>Stop after this many iterations in total (0 = no limit).</summary>
    public long MaxIters { get; init; }

    /// <summary>Wall-clock budget of this invocation in minutes (0 = no limit); the run then evaluates and saves.</summary>
    public double Minutes { get; init; }

    /// <summary>Fraction of the text (from the end, before the test part) used for validation.</summary>
    public double ValFrac { get; init; } = 0.1;

    /// <summary>Fraction of the text carved from the very end for a test split.</summary>
    public double TestFrac { get; init; }

    /// <summary>Evaluate on the whole validation split (and checkpoint) every this many iterations.</summary>
    public int EvalEvery { get; init; } = 1000;

    /// <summary>
    /// torch-rnn's start for cells with a forget gate: the forget slices of the two biases set to sum to this
    /// value (e.g. 1); 0 keeps PyTorch's draw (the default; see docs/PARITY.md for why).
    /// </summary>
    public double ForgetBias { get; init; }

    /// <summary>The forget bias to initialise with, or null for PyTorch's draw.</summary>
    public float? InitialForgetBias => ForgetBias != 0 ? (float)ForgetBias : null;

    /// <summary>
    /// Batch examples of similar length (tasks over examples of different lengths): each run of this many batches of
    /// the shuffled epoch is sorted by length before it is cut into batches, and the batches are shuffled (0 = off).
    /// </summary>
    public int Bucket { get; init; }

    /// <summary>Stop after this many evaluations in a row without a new best validation loss (0 = never; early stopping).</summary>
    public int Patience { get; init; }

    /// <summary>Print a sample every this many iterations (0 = never); the caller does the printing.</summary>
    public int SampleEvery { get; init; }

    /// <summary>Seed of the initialisation and dropout random stream.</summary>
    public ulong Seed { get; init; } = 1234;

    /// <summary>GEMM threads; 0 uses every core. Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Where the text came from (a path, or <c>embedded:tinyshakespeare.txt</c>); recorded for resume.</summary>
    public string? Data { get; init; }

    /// <summary>The model architecture these options describe, for a vocabulary of <paramref name="vocabSize"/> characters.</summary>
    public CharModelConfig ToModelConfig(int vocabSize) => new()
    {
        Cell = Model,
        Nonlinearity = Nonlinearity,
        VocabSize = vocabSize,
        Embed = Embed,
        Hidden = Hidden,
        Layers = Layers,
        Dropout = (float)Dropout,
        WeightDrop = (float)WeightDrop,
        StateSize = StateSize,
        Expand = Expand,
        ConvWidth = ConvWidth,
        Heads = Heads,
        Context = Context,
        Highway = Highway,
    };

    /// <summary>
    /// The settings a resumed run may not change (architecture, sequence length, batch size, optimizer, splits):
    /// one phrase per difference between the saved run's <paramref name="saved"/> and <paramref name="requested"/>, in
    /// command-line words. Empty when the resume is allowed.
    /// </summary>
    public static IReadOnlyList<string> ResumeConflicts(TrainOptions saved, TrainOptions requested)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(requested);
        var diffs = new List<string>();
        foreach (var spec in TrainOptionSpecs.Declared)
        {
            if (spec.Resumable) continue;
            object a = spec.Get(saved), b = spec.Get(requested);
            if (!Equals(a, b)) diffs.Add($"--{spec.Flag} {OptionSpec.Num(b)} (the run used {OptionSpec.Num(a)})");
        }
        return diffs;
    }

    /// <summary>The thread count to use: <see cref="Threads"/>, or every core when it is 0.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    /// <summary>
    /// Checks every field; throws <see cref="ArgumentException"/> naming the option (by its command-line
    /// name), the value seen and the accepted range.
    /// </summary>
    public void Validate()
    {
        static void Fail(string option, object value, string range) =>
            throw new ArgumentException($"--{option} must be {range}, got {Convert.ToString(value, CultureInfo.InvariantCulture)}.");
        foreach (var spec in TrainOptionSpecs.Declared)
        {
            object v = spec.Get(this);
            if (!spec.Accepts(v)) Fail(spec.Flag, v, spec.RangeText);
        }
        if (!(LrMin <= LearningRate)) Fail("lr-min", LrMin, $"in [0, --lr {LearningRate.ToString(CultureInfo.InvariantCulture)}]");
        if (LrSchedule == "cosine" && MaxIters == 0 && MaxEpochs == 0 && Minutes == 0)
            Fail("lr-schedule", LrSchedule, "used with a limit to anneal over (--max-iters, --max-epochs or --minutes)");
        if (!(ValFrac + TestFrac < 1)) Fail("val-frac + test-frac", ValFrac + TestFrac, "below 1");
    }
}
