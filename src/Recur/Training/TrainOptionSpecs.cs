using System.Globalization;
using Recur.Models;
using Recur.Nn.Cells;

namespace Recur.Training;

/// <summary>The value type of a training option.</summary>
public enum OptionKind
{
    /// <summary>A whole number.</summary>
    Int,
    /// <summary>A real number.</summary>
    Real,
    /// <summary>One word of a fixed list.</summary>
    Choice,
    /// <summary>On or off: <c>--flag</c> alone turns it on (<c>--flag true|false</c> says which).</summary>
    Flag,
}

/// <summary>
/// One option of a <typeparamref name="T"/> (the shared <see cref="TrainOptions"/>, or a task's own settings), declared
/// once: its command-line flag, value name, help, group, range or choices, and whether a resumed run may change it.
/// Parsing, usage text, validation and the resume check are all built from these declarations.
/// </summary>
/// <typeparam name="T">The record the option is a member of.</typeparam>
public record OptionSpec<T>
{
    /// <summary>The flag without dashes (<c>hidden</c> for <c>--hidden</c>); also the name messages use.</summary>
    public required string Flag { get; init; }

    /// <summary>The value's placeholder in usage text (<c>H</c>, <c>RATE</c>).</summary>
    public required string Value { get; init; }

    /// <summary>One line of help (without the default, which usage text adds).</summary>
    public required string Help { get; init; }

    /// <summary>The usage section it is listed under.</summary>
    public required string Group { get; init; }

    /// <summary>The value type.</summary>
    public required OptionKind Kind { get; init; }

    /// <summary>Inclusive lower bound of a number.</summary>
    public double Min { get; init; } = double.NegativeInfinity;

    /// <summary>Upper bound of a number (inclusive unless <see cref="MaxExclusive"/>).</summary>
    public double Max { get; init; } = double.PositiveInfinity;

    /// <summary>True when <see cref="Max"/> itself is not allowed.</summary>
    public bool MaxExclusive { get; init; }

    /// <summary>The allowed words of a choice.</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>For a choice: words accepted besides <see cref="Choices"/> (a family such as <c>rhn-dN</c>), or null.</summary>
    public Func<string, bool>? AlsoAccepts { get; init; }

    /// <summary>For a choice: the accepted words as messages list them, when <see cref="Choices"/> alone does not say it.</summary>
    public string? ChoicesText { get; init; }

    /// <summary>False for options a resumed run must keep (architecture, batch shape, optimizer, splits).</summary>
    public bool Resumable { get; init; } = true;

    /// <summary>What 0 means, when it is special ("off", "no limit", "all cores").</summary>
    public string? ZeroMeans { get; init; }

    /// <summary>Reads the option from options.</summary>
    public required Func<T, object> Get { get; init; }

    /// <summary>Returns options with the option set (the value is an int, long, ulong, double or string as <see cref="Kind"/> says).</summary>
    public required Func<T, object, T> With { get; init; }

    /// <summary>The accepted values in words, for messages: <c>in [1, 16384]</c>, <c>one of adam, sgd</c>.</summary>
    public string RangeText
    {
        get
        {
            if (Kind == OptionKind.Choice) return $"one of {ChoicesText ?? string.Join(", ", Choices)}";
            if (Kind == OptionKind.Flag) return "true or false";
            string hi = double.IsPositiveInfinity(Max) ? "" : OptionSpec.Num(Max);
            string text = double.IsPositiveInfinity(Max) ? $"at least {OptionSpec.Num(Min)}" : $"in [{OptionSpec.Num(Min)}, {hi}{(MaxExclusive ? ")" : "]")}";
            return ZeroMeans is null ? text : $"{text} (0 = {ZeroMeans})";
        }
    }

    /// <summary>True when <paramref name="value"/> is acceptable.</summary>
    public bool Accepts(object value)
    {
        if (Kind == OptionKind.Choice) return value is string s && (Choices.Contains(s) || AlsoAccepts?.Invoke(s) == true);
        if (Kind == OptionKind.Flag) return value is bool;
        double v = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        return v >= Min && (MaxExclusive ? v < Max : v <= Max) && !double.IsNaN(v);
    }

}

/// <summary>A training option (<see cref="TrainOptionSpecs.All"/>).</summary>
public sealed record OptionSpec : OptionSpec<TrainOptions>
{
    /// <summary>Formats a value as the command line writes it.</summary>
    public static string Num(object v) => v is bool b ? (b ? "true" : "false") : Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";
}

/// <summary>Declarations of a task's own options (<see cref="OptionSpec{T}"/> over its settings record).</summary>
public static class SettingSpecs
{
    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static OptionSpec<T> Int<T>(string flag, string value, string group, string help, double min, double max,
        Func<T, object> get, Func<T, object, T> with, string? zero = null)
        => new() { Flag = flag, Value = value, Group = group, Help = help, Kind = OptionKind.Int, Min = min, Max = max, Get = get,
            With = with, ZeroMeans = zero };

    /// <summary>A real number in [<paramref name="min"/>, <paramref name="max"/>] (or below max when <paramref name="maxExclusive"/>).</summary>
    public static OptionSpec<T> Real<T>(string flag, string value, string group, string help, double min, double max,
        Func<T, object> get, Func<T, object, T> with, bool maxExclusive = false, string? zero = null)
        => new()
        {
            Flag = flag, Value = value, Group = group, Help = help, Kind = OptionKind.Real, Min = min, Max = max, Get = get, With = with,
            MaxExclusive = maxExclusive, ZeroMeans = zero,
        };

    /// <summary>One word of <paramref name="choices"/>.</summary>
    public static OptionSpec<T> Choice<T>(string flag, string group, string help, IReadOnlyList<string> choices, Func<T, object> get, Func<T, object, T> with)
        => new() { Flag = flag, Value = string.Join("|", choices), Group = group, Help = help, Kind = OptionKind.Choice, Choices = choices,
            Get = get, With = with };

    /// <summary>On or off.</summary>
    public static OptionSpec<T> Flag<T>(string flag, string group, string help, Func<T, object> get, Func<T, object, T> with)
        => new() { Flag = flag, Value = "", Group = group, Help = help, Kind = OptionKind.Flag, Get = get, With = with };

    /// <summary>The value as an int.</summary>
    public static int I(object v) => Convert.ToInt32(v, CultureInfo.InvariantCulture);

    /// <summary>The value as a double.</summary>
    public static double D(object v) => Convert.ToDouble(v, CultureInfo.InvariantCulture);
}

/// <summary>Every option of <see cref="TrainOptions"/>, declared once.</summary>
public static class TrainOptionSpecs
{
    private const string Model = "model", Optimisation = "optimisation", Stopping = "stopping", Data = "data and evaluation";

    /// <summary>Models that are neither cells nor blocks, with the command that trains them.</summary>
    public static IReadOnlyDictionary<string, string> TaskModels => CharModelConfig.TaskModels;

    /// <summary>All declarations, in usage order.</summary>
    public static IReadOnlyList<OptionSpec> All { get; } =
    [
        Choice("model", Model, "recurrent cell (Nn/Cells; rnn = tanh; rhn-dN = RHN of recurrence depth N, rhn = rhn-d3) or sequence block (Nn/Blocks)",
            [.. CellRegistry.Names, .. Recur.Nn.Blocks.BlockRegistry.Names], o => o.Model, (o, v) => o with { Model = (string)v }, resumable: false)
            with
            {
                AlsoAccepts = n => CellRegistry.Find(n) is not null || Recur.Nn.Blocks.BlockRegistry.Contains(n) || TaskModels.ContainsKey(n),
                ChoicesText = CellRegistry.NamesText + ", " + string.Join(", ", Recur.Nn.Blocks.BlockRegistry.Names) + ", "
                    + string.Join(", ", TaskModels.Select(t => $"{t.Key} ({t.Value})"))
            },
        Choice("nonlinearity", Model, "for --model rnn", ["tanh", "relu"],
            o => o.Nonlinearity, (o, v) => o with { Nonlinearity = (string)v }, resumable: false),
        Int("hidden", "H", Model, "units per layer", 1, 16384, o => o.Hidden, (o, v) => o with { Hidden = I(v) }, resumable: false),
        Int("layers", "L", Model, "stacked recurrent layers", 1, 64, o => o.Layers, (o, v) => o with { Layers = I(v) }, resumable: false),
        Int("embed", "E", Model, "embedding width (0 = one-hot input, as min-char-rnn)", 0, 16384,
            o => o.Embed, (o, v) => o with { Embed = I(v) }, resumable: false, zero: "one-hot"),
        Real("dropout", "P", Model,
            "dropout between layers and before the output layer; in block models also on each sub-block's output (the transformer: head only)", 0, 1,
            o => o.Dropout, (o, v) => o with { Dropout = D(v) }, maxExclusive: true),
        Int("state-size", "N", Model, "blocks: state size per channel (lru, mamba)", 1, 4096,
            o => o.StateSize, (o, v) => o with { StateSize = I(v) }, resumable: false),
        Int("expand", "E", Model, "blocks: inner width factor (mamba, rwkv's channel mix, the transformer's MLP)", 1, 16,
            o => o.Expand, (o, v) => o with { Expand = I(v) }, resumable: false),
        Int("conv-width", "K", Model, "blocks: mamba's causal convolution width", 1, 64,
            o => o.ConvWidth, (o, v) => o with { ConvWidth = I(v) }, resumable: false),
        Int("heads", "H", Model, "blocks: attention heads (transformer)", 1, 256, o => o.Heads, (o, v) => o with { Heads = I(v) }, resumable: false),
        Int("context", "C", Model, "blocks: the transformer's longest context (learned positions)", 1, 1 << 20,
            o => o.Context, (o, v) => o with { Context = I(v) }, resumable: false),
        Real("weight-drop", "P", Model, "DropConnect on W_hh, one mask per iteration (AWD-LSTM's weight drop)", 0, 1,
            o => o.WeightDrop, (o, v) => o with { WeightDrop = D(v) }, maxExclusive: true, zero: "off"),
        Flag("highway", Model, "highway connections between stacked layers: a layer whose input x is H wide passes on g*h + (1-g)*x, g = sigmoid(W_g x + b_g)",
            o => o.Highway, (o, v) => o with { Highway = (bool)v }, resumable: false),
        Real("forget-bias", "F", Model, "start the forget gates' bias at F (torch-rnn used 1)", -10, 10,
            o => o.ForgetBias, (o, v) => o with { ForgetBias = D(v) }, resumable: false, zero: "PyTorch's draw"),
        Int("seq-length", "T", Optimisation, "truncated-BPTT length", 1, 100_000, o => o.SeqLength, (o, v) => o with { SeqLength = I(v) }, resumable: false),
        Int("batch-size", "B", Optimisation, "sequences per batch", 1, 100_000, o => o.BatchSize, (o, v) => o with { BatchSize = I(v) }, resumable: false),
        Choice("optimizer", Optimisation, "optimizer; rmsprop uses char-rnn's alpha 0.95", OptimizerRegistry.Names,
            o => o.Optimizer, (o, v) => o with { Optimizer = (string)v }, resumable: false),
        Real("lr", "RATE", Optimisation, "learning rate", 1e-12, 1e3, o => o.LearningRate, (o, v) => o with { LearningRate = D(v) }, maxExclusive: true),
        Real("lr-decay", "F", Optimisation, "multiply the learning rate by F every --lr-decay-every epochs (1 = constant)", 1e-6, 1,
            o => o.LrDecay, (o, v) => o with { LrDecay = D(v) }),
        Real("lr-decay-every", "N", Optimisation, "epochs between decays (may be fractional)", 1e-3, 1e6,
            o => o.LrDecayEvery, (o, v) => o with { LrDecayEvery = D(v) }),
        Choice("lr-schedule", Optimisation, "step: --lr-decay; cosine: anneal to --lr-min over the run's limit", ["step", "cosine"],
            o => o.LrSchedule, (o, v) => o with { LrSchedule = (string)v }),
        Real("lr-min", "RATE", Optimisation, "the cosine schedule's final rate", 0, 1e3, o => o.LrMin, (o, v) => o with { LrMin = D(v) }),
        Real("weight-decay", "W", Optimisation, "L2 (decoupled for adamw)", 0, 1e3, o => o.WeightDecay, (o, v) => o with { WeightDecay = D(v) }),
        Real("grad-clip", "C", Optimisation, "clipping threshold", 0, 1e9, o => o.GradClip, (o, v) => o with { GradClip = D(v) }, zero: "off"),
        Choice("clip-mode", Optimisation, "global L2 norm (clip_grad_norm_) or each element (clip_grad_value_)", ["norm", "value"],
            o => o.ClipMode, (o, v) => o with { ClipMode = (string)v }),
        Real("ema", "D", Optimisation, "evaluate, sample and save a moving average of the weights with decay D", 0, 1,
            o => o.Ema, (o, v) => o with { Ema = D(v) }, maxExclusive: true, zero: "off"),
        Real("max-epochs", "N", Stopping, "epochs", 0, 1e9, o => o.MaxEpochs, (o, v) => o with { MaxEpochs = D(v) }, zero: "no limit"),
        Int("max-iters", "N", Stopping, "total iterations", 0, int.MaxValue,
            o => o.MaxIters, (o, v) => o with { MaxIters = Convert.ToInt64(v, CultureInfo.InvariantCulture) }, zero: "no limit"),
        Real("minutes", "M", Stopping, "wall-clock budget of this invocation; given without --max-epochs and --max-iters, it alone stops the run",
            0, 1e7, o => o.Minutes, (o, v) => o with { Minutes = D(v) }, zero: "no limit"),
        Int("patience", "N", Stopping, "stop after N evaluations without a new best (validation loss; g2p: word error rate)", 0, 1_000_000,
            o => o.Patience, (o, v) => o with { Patience = I(v) }, zero: "off"),
        Real("val-frac", "F", Data, "validation fraction", 0, 1, o => o.ValFrac, (o, v) => o with { ValFrac = D(v) }, resumable: false, maxExclusive: true),
        Real("test-frac", "F", Data, "test fraction carved from the end", 0, 1,
            o => o.TestFrac, (o, v) => o with { TestFrac = D(v) }, resumable: false, maxExclusive: true),
        Int("eval-every", "N", Data, "validation pass + checkpoint every N iterations", 1, int.MaxValue,
            o => o.EvalEvery, (o, v) => o with { EvalEvery = I(v) }),
        Int("sample-every", "N", Data, "print a sample every N iterations", 0, int.MaxValue,
            o => o.SampleEvery, (o, v) => o with { SampleEvery = I(v) }, zero: "never"),
        Int("seed", "S", Data, "initialisation, dropout and shuffling", 0, int.MaxValue,
            o => o.Seed, (o, v) => o with { Seed = Convert.ToUInt64(v, CultureInfo.InvariantCulture) }, resumable: false),
        Int("threads", "N", Data, "threads; results do not depend on it", 0, 1024, o => o.Threads, (o, v) => o with { Threads = I(v) }, zero: "all cores"),
    ];

    /// <summary>
    /// <c>--bucket N</c>, outside <see cref="All"/>: only the commands whose examples differ in length (tag, g2p) declare it.
    /// </summary>
    public static OptionSpec Bucket { get; } = Int("bucket", "N", Optimisation,
        "batch examples of similar length: sort each run of N batches of the shuffled epoch by length, then shuffle the batches (torchtext's BucketIterator)",
        0, 1_000_000, o => o.Bucket, (o, v) => o with { Bucket = I(v) }, resumable: false, zero: "off");

    /// <summary>Every declaration: <see cref="All"/> and the ones only some commands take (<see cref="Bucket"/>).</summary>
    public static IReadOnlyList<OptionSpec> Declared { get; } = [.. All, Bucket];

    /// <summary>
    /// The options of tasks whose network is fixed and whose data come split (tagging, pronunciation): <see cref="All"/>
    /// without the character model's cell and block choices, its sequence length, its text splits and its sampling, with
    /// <see cref="Bucket"/>.
    /// </summary>
    public static IReadOnlyList<OptionSpec> ForSplitSequences { get; } =
    [
        .. All.Where(s => s.Flag is not ("model" or "nonlinearity" or "state-size" or "expand" or "conv-width" or "heads" or "context"
            or "weight-drop" or "highway" or "seq-length" or "val-frac" or "test-frac" or "sample-every")),
        Bucket,
    ];

    /// <summary>The declaration of <c>--<paramref name="flag"/></c>.</summary>
    public static OptionSpec Get(string flag) => All.FirstOrDefault(s => s.Flag == flag)
        ?? throw new ArgumentException($"no training option --{flag}.", nameof(flag));

    private static int I(object v) => Convert.ToInt32(v, CultureInfo.InvariantCulture);

    private static double D(object v) => Convert.ToDouble(v, CultureInfo.InvariantCulture);

    private static OptionSpec Choice(string flag, string group, string help, IReadOnlyList<string> choices, Func<TrainOptions, object> get,
        Func<TrainOptions, object, TrainOptions> with, bool resumable = true)
        => new() { Flag = flag, Value = string.Join("|", choices), Group = group, Help = help, Kind = OptionKind.Choice, Choices = choices, Get = get,
            With = with, Resumable = resumable };

    private static OptionSpec Flag(string flag, string group, string help, Func<TrainOptions, object> get,
        Func<TrainOptions, object, TrainOptions> with, bool resumable = true)
        => new() { Flag = flag, Value = "", Group = group, Help = help, Kind = OptionKind.Flag, Get = get, With = with, Resumable = resumable };

    private static OptionSpec Int(string flag, string value, string group, string help, double min, double max, Func<TrainOptions, object> get,
        Func<TrainOptions, object, TrainOptions> with, bool resumable = true, string? zero = null)
        => new() { Flag = flag, Value = value, Group = group, Help = help, Kind = OptionKind.Int, Min = min, Max = max, Get = get, With = with,
            Resumable = resumable, ZeroMeans = zero };

    private static OptionSpec Real(string flag, string value, string group, string help, double min, double max, Func<TrainOptions, object> get,
        Func<TrainOptions, object, TrainOptions> with, bool resumable = true, bool maxExclusive = false, string? zero = null)
        => new() { Flag = flag, Value = value, Group = group, Help = help, Kind = OptionKind.Real, Min = min, Max = max, Get = get, With = with,
            Resumable = resumable, MaxExclusive = maxExclusive, ZeroMeans = zero };
}
