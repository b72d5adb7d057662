namespace Recur.IO;

/// <summary>
/// Everything besides the weights that a training run needs to continue exactly where it stopped:
/// stored in a checkpoint's <c>state.safetensors</c>. Integers and the loss history (doubles, kept as
/// their 64-bit patterns) are <c>I64</c> entries so nothing is rounded; optimizer moments and the
/// carried hidden state are <c>F32</c> tensors.
/// <code>
/// iteration            I64 (1)       optimizer updates done
/// rng                  I64 (4)       xoshiro256** state words of the dropout stream
/// optimizer.step       I64 (1)       the optimizer's step count
/// optimizer.NAME       F32 (P)       each optimizer buffer (exp_avg, exp_avg_sq, square_avg, sum, momentum_buffer, ...)
/// history.train_loss   I64 (n)       every iteration's loss, as IEEE-754 double bits
/// history.val_iteration, history.val_loss   I64 (m)   every evaluation
/// history.val_choice   I64 (m)       when the run chooses by another figure than the loss: that figure at every evaluation
/// elapsed_seconds      I64 (1)       training wall-clock so far, double bits
/// train_weights        F32 (P)       with --ema only: the optimizer's weights (model.safetensors holds their average)
/// </code>
/// Every other entry belongs to the task (<see cref="TaskIntegers"/>, <see cref="TaskTensors"/>): the character
/// LM keeps <c>position</c> I64 (2), the batcher's (epoch, batch) of the next batch, and <c>hidden.h</c>,
/// <c>hidden.c</c> F32 (L,B,H), the carried state (absent at an epoch start, and <c>c</c> for cells without one).
/// Metadata: <c>format = recur-train-state</c>, <c>version = 1</c>, <c>optimizer</c> (its name), and with
/// <c>history.val_choice</c> <c>best_by</c>, the name of the figure (g2p's <c>wer</c>).
/// </summary>
public sealed class TrainingState
{
    /// <summary>Metadata <c>format</c> value.</summary>
    public const string Format = "recur-train-state";

    /// <summary>Optimizer name (<c>adam</c>, <c>adamw</c>, ...), to refuse resuming with another one.</summary>
    public required string OptimizerName { get; init; }

    /// <summary>The optimizer's step count.</summary>
    public required long OptimizerSteps { get; init; }

    /// <summary>The optimizer's buffers by PyTorch name, each as long as the parameter arena.</summary>
    public required IReadOnlyDictionary<string, float[]> OptimizerBuffers { get; init; }

    /// <summary>State words of the training random stream (dropout).</summary>
    public required ulong[] RngState { get; init; }

    /// <summary>Optimizer updates done.</summary>
    public required long Iteration { get; init; }

    /// <summary>Loss of every iteration, nats per character.</summary>
    public required double[] TrainLosses { get; init; }

    /// <summary>Iteration of every evaluation.</summary>
    public required long[] ValIterations { get; init; }

    /// <summary>Validation loss of every evaluation.</summary>
    public required double[] ValLosses { get; init; }

    /// <summary>
    /// The name of the validation figure that chose <c>best/</c> when it is not the loss (g2p's <c>wer</c>), with
    /// <see cref="ValChoices"/>; null when the run chose by the loss or was saved before the figure was recorded.
    /// </summary>
    public string? BestBy { get; init; }

    /// <summary>The <see cref="BestBy"/> figure of every evaluation (as long as <see cref="ValLosses"/>), or null with it.</summary>
    public double[]? ValChoices { get; init; }

    /// <summary>Training wall-clock time so far.</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>
    /// The optimizer's own weights when the run averages them (<c>--ema</c>): the checkpoint's
    /// <c>model.safetensors</c> then holds the averaged weights (the ones evaluated and sampled), and these
    /// are the weights training continues from. Null without averaging.
    /// </summary>
    public float[]? TrainWeights { get; init; }

    /// <summary>The task's own integer entries (e.g. the character LM's <c>position</c>).</summary>
    public IReadOnlyDictionary<string, IntegerArray> TaskIntegers { get; init; } = new Dictionary<string, IntegerArray>();

    /// <summary>The task's own tensors (e.g. the character LM's carried <c>hidden.h</c>, <c>hidden.c</c>).</summary>
    public IReadOnlyDictionary<string, Tensor> TaskTensors { get; init; } = new Dictionary<string, Tensor>();

    /// <summary>Writes <paramref name="state"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var ints = new List<KeyValuePair<string, IntegerArray>>
        {
            new("iteration", new IntegerArray([state.Iteration])),
            new("rng", IntegerArray.FromUInt64(state.RngState)),
            new("optimizer.step", new IntegerArray([state.OptimizerSteps])),
            new("history.train_loss", Bits(state.TrainLosses)),
            new("history.val_iteration", new IntegerArray((long[])state.ValIterations.Clone())),
            new("history.val_loss", Bits(state.ValLosses)),
            new("elapsed_seconds", Bits([state.ElapsedSeconds])),
        };
        bool chooses = state.BestBy is not null && state.ValChoices is not null;
        if (chooses)
        {
            if (state.ValChoices!.Length != state.ValLosses.Length)
                throw new ArgumentException($"{state.ValChoices.Length} choosing figures for {state.ValLosses.Length} evaluations.", nameof(state));
            ints.Add(new("history.val_choice", Bits(state.ValChoices)));
        }
        foreach (var (name, v) in state.TaskIntegers) ints.Add(new(CheckTaskName(name), v));
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, buf) in state.OptimizerBuffers) tensors.Add(new("optimizer." + name, new Tensor(buf, buf.Length)));
        foreach (var (name, t) in state.TaskTensors) tensors.Add(new(CheckTaskName(name), t));
        if (state.TrainWeights is not null) tensors.Add(new("train_weights", new Tensor(state.TrainWeights, state.TrainWeights.Length)));
        var meta = new Dictionary<string, string> { ["format"] = Format, ["version"] = "1", ["optimizer"] = state.OptimizerName };
        if (chooses) meta["best_by"] = state.BestBy!;
        SafeTensors.Write(path, new SafeTensorsFile(tensors, ints, meta));
    }

    private static readonly HashSet<string> GenericIntegers = ["iteration", "rng", "optimizer.step", "history.train_loss", "history.val_iteration",
        "history.val_loss", "history.val_choice", "elapsed_seconds"];

    private static string CheckTaskName(string name)
        => GenericIntegers.Contains(name) || name == "train_weights" || name.StartsWith("optimizer.", StringComparison.Ordinal)
            ? throw new ArgumentException($"'{name}' is a trainer entry of the state file; a task cannot use it.", nameof(name))
            : name;

    /// <summary>
    /// Reads a state file and checks it against the run it should continue: the optimizer buffers
    /// must have <paramref name="parameterCount"/> elements. The task's own entries are returned as they are
    /// (the task checks them). Throws <see cref="CheckpointFormatException"/> naming what does not fit.
    /// </summary>
    public static TrainingState Read(string path, int parameterCount)
    {
        if (!File.Exists(path))
            throw new CheckpointFormatException($"{path}: missing; this checkpoint has no training state to resume from (use --init-from to start "
                + "from its weights).");
        var f = SafeTensors.Read(path);
        if (!f.Metadata.TryGetValue("format", out var fmt) || fmt != Format)
            throw new CheckpointFormatException($"{path}: not a Recur training state (metadata format should be {Format}).");
        if (!f.Metadata.TryGetValue("version", out var ver) || ver != "1")
            throw new CheckpointFormatException($"{path}: training-state version {ver ?? "(none)"} is not supported (this Recur reads version 1).");
        if (!f.Metadata.TryGetValue("optimizer", out var opt) || string.IsNullOrEmpty(opt))
            throw new CheckpointFormatException($"{path}: metadata names no optimizer.");
        long One(string name)
        {
            var a = f.GetIntegers(name);
            if (a.Data.Length != 1) throw new CheckpointFormatException($"{path}: '{name}' should hold 1 value, holds {a.Data.Length}.");
            return a.Data[0];
        }
        long iteration = One("iteration");
        long steps = One("optimizer.step");
        if (iteration < 0 || steps < 0) throw new CheckpointFormatException($"{path}: negative iteration ({iteration}) or step count ({steps}).");
        var rng = f.GetIntegers("rng").ToUInt64();
        if (rng.Length != 4 || rng.All(w => w == 0)) throw new CheckpointFormatException($"{path}: 'rng' should hold 4 state words, not all zero.");
        var buffers = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, t) in f.Tensors)
        {
            if (!name.StartsWith("optimizer.", StringComparison.Ordinal)) continue;
            if (t.Rank != 1 || t.Length != parameterCount)
                throw new CheckpointFormatException($"{path}: optimizer buffer '{name}' has shape {t.ShapeString}, expected "
                    + $"({parameterCount}) for this model.");
            buffers[name["optimizer.".Length..]] = t.Data;
        }
        var trainLosses = Doubles(f.GetIntegers("history.train_loss").Data);
        var valIters = f.GetIntegers("history.val_iteration").Data;
        var valLosses = Doubles(f.GetIntegers("history.val_loss").Data);
        if (trainLosses.Length != iteration)
            throw new CheckpointFormatException($"{path}: loss history has {trainLosses.Length} entries for {iteration} iterations.");
        if (valIters.Length != valLosses.Length)
            throw new CheckpointFormatException($"{path}: {valIters.Length} evaluation iterations but {valLosses.Length} evaluation losses.");
        double[]? choices = null;
        string? bestBy = null;
        if (f.Metadata.TryGetValue("best_by", out var by) && !string.IsNullOrEmpty(by) && f.Integers.ContainsKey("history.val_choice"))
        {
            choices = Doubles(f.GetIntegers("history.val_choice").Data);
            if (choices.Length != valLosses.Length)
                throw new CheckpointFormatException($"{path}: {choices.Length} choosing figures ({by}) but {valLosses.Length} evaluation losses.");
            bestBy = by;
        }
        var elapsed = Doubles(f.GetIntegers("elapsed_seconds").Data);
        float[]? trainWeights = null;
        if (f.Tensors.TryGetValue("train_weights", out var tw))
        {
            if (tw.Rank != 1 || tw.Length != parameterCount)
                throw new CheckpointFormatException($"{path}: 'train_weights' has shape {tw.ShapeString}, expected ({parameterCount}) for this model.");
            trainWeights = tw.Data;
        }
        return new TrainingState
        {
            OptimizerName = opt,
            OptimizerSteps = steps,
            OptimizerBuffers = buffers,
            RngState = rng,
            Iteration = iteration,
            TrainLosses = trainLosses,
            ValIterations = valIters,
            ValLosses = valLosses,
            BestBy = bestBy,
            ValChoices = choices,
            ElapsedSeconds = elapsed.Length == 1 && double.IsFinite(elapsed[0]) ? elapsed[0] : 0,
            TrainWeights = trainWeights,
            TaskIntegers = f.Integers.Where(kv => !GenericIntegers.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            TaskTensors = f.Tensors.Where(kv => kv.Key != "train_weights" && !kv.Key.StartsWith("optimizer.", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        };
    }

    private static IntegerArray Bits(ReadOnlySpan<double> values)
    {
        var data = new long[values.Length];
        for (int i = 0; i < data.Length; i++) data[i] = BitConverter.DoubleToInt64Bits(values[i]);
        return new IntegerArray(data);
    }

    private static double[] Doubles(long[] bits)
    {
        var r = new double[bits.Length];
        for (int i = 0; i < r.Length; i++) r[i] = BitConverter.Int64BitsToDouble(bits[i]);
        return r;
    }
}
