using Recur.Data;

namespace Recur.IO;

/// <summary>
/// Everything besides the weights that a training run needs to continue exactly where it stopped:
/// stored in a checkpoint's <c>state.safetensors</c>. Integers and the loss history (doubles, kept as
/// their 64-bit patterns) are <c>I64</c> entries so nothing is rounded; optimizer moments and the
/// carried hidden state are <c>F32</c> tensors.
/// <code>
/// iteration            I64 (1)       optimizer updates done
/// position             I64 (2)       batcher (epoch, batch) of the next batch
/// rng                  I64 (4)       xoshiro256** state words of the dropout stream
/// optimizer.step       I64 (1)       the optimizer's step count
/// optimizer.NAME       F32 (P)       each optimizer buffer (exp_avg, exp_avg_sq, square_avg, sum, momentum_buffer, ...)
/// hidden.h, hidden.c   F32 (L,B,H)   carried state (absent at an epoch start / for GRU and RNN)
/// history.train_loss   I64 (n)       every iteration's loss, as IEEE-754 double bits
/// history.val_iteration, history.val_loss   I64 (m)   every evaluation
/// elapsed_seconds      I64 (1)       training wall-clock so far, double bits
/// train_weights        F32 (P)       with --ema only: the optimizer's weights (model.safetensors holds their average)
/// </code>
/// Metadata: <c>format = recur-train-state</c>, <c>version = 1</c>, <c>optimizer</c> (its name).
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

    /// <summary>The next training batch.</summary>
    public required StreamPosition Position { get; init; }

    /// <summary>Optimizer updates done.</summary>
    public required long Iteration { get; init; }

    /// <summary>Carried hidden state <c>(L, B, H)</c>, or null.</summary>
    public Tensor? Hidden { get; init; }

    /// <summary>Carried LSTM cell state <c>(L, B, H)</c>, or null.</summary>
    public Tensor? Cell { get; init; }

    /// <summary>Loss of every iteration, nats per character.</summary>
    public required double[] TrainLosses { get; init; }

    /// <summary>Iteration of every evaluation.</summary>
    public required long[] ValIterations { get; init; }

    /// <summary>Validation loss of every evaluation.</summary>
    public required double[] ValLosses { get; init; }

    /// <summary>Training wall-clock time so far.</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>
    /// The optimizer's own weights when the run averages them (<c>--ema</c>): the checkpoint's
    /// <c>model.safetensors</c> then holds the averaged weights (the ones evaluated and sampled), and these
    /// are the weights training continues from. Null without averaging.
    /// </summary>
    public float[]? TrainWeights { get; init; }

    /// <summary>Writes <paramref name="state"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var ints = new List<KeyValuePair<string, IntegerArray>>
        {
            new("iteration", new IntegerArray([state.Iteration])),
            new("position", new IntegerArray([state.Position.Epoch, state.Position.Batch])),
            new("rng", IntegerArray.FromUInt64(state.RngState)),
            new("optimizer.step", new IntegerArray([state.OptimizerSteps])),
            new("history.train_loss", Bits(state.TrainLosses)),
            new("history.val_iteration", new IntegerArray((long[])state.ValIterations.Clone())),
            new("history.val_loss", Bits(state.ValLosses)),
            new("elapsed_seconds", Bits([state.ElapsedSeconds])),
        };
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, buf) in state.OptimizerBuffers) tensors.Add(new("optimizer." + name, new Tensor(buf, buf.Length)));
        if (state.Hidden is not null) tensors.Add(new("hidden.h", state.Hidden));
        if (state.Cell is not null) tensors.Add(new("hidden.c", state.Cell));
        if (state.TrainWeights is not null) tensors.Add(new("train_weights", new Tensor(state.TrainWeights, state.TrainWeights.Length)));
        var meta = new Dictionary<string, string> { ["format"] = Format, ["version"] = "1", ["optimizer"] = state.OptimizerName };
        SafeTensors.Write(path, new SafeTensorsFile(tensors, ints, meta));
    }

    /// <summary>
    /// Reads a state file and checks it against the run it should continue: the optimizer buffers
    /// must have <paramref name="parameterCount"/> elements, the hidden state <c>(layers, batch, hidden)</c>.
    /// Throws <see cref="CheckpointFormatException"/> naming what does not fit.
    /// </summary>
    public static TrainingState Read(string path, int parameterCount, int layers, int batchSize, int hidden)
    {
        if (!File.Exists(path)) throw new CheckpointFormatException($"{path}: missing; this checkpoint has no training state to resume from (use --init-from to start from its weights).");
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
        var pos = f.GetIntegers("position").Data;
        if (pos.Length != 2 || pos[0] < 0 || pos[1] < 0 || pos[0] > int.MaxValue || pos[1] > int.MaxValue)
            throw new CheckpointFormatException($"{path}: 'position' should be (epoch, batch), non-negative.");
        var rng = f.GetIntegers("rng").ToUInt64();
        if (rng.Length != 4 || rng.All(w => w == 0)) throw new CheckpointFormatException($"{path}: 'rng' should hold 4 state words, not all zero.");
        var buffers = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, t) in f.Tensors)
        {
            if (!name.StartsWith("optimizer.", StringComparison.Ordinal)) continue;
            if (t.Rank != 1 || t.Length != parameterCount)
                throw new CheckpointFormatException($"{path}: optimizer buffer '{name}' has shape {t.ShapeString}, expected ({parameterCount}) for this model.");
            buffers[name["optimizer.".Length..]] = t.Data;
        }
        Tensor? Hidden(string name)
        {
            if (!f.Tensors.TryGetValue(name, out var t)) return null;
            if (!t.HasShape(layers, batchSize, hidden))
                throw new CheckpointFormatException($"{path}: '{name}' has shape {t.ShapeString}, expected ({layers}, {batchSize}, {hidden}).");
            return t;
        }
        var trainLosses = Doubles(f.GetIntegers("history.train_loss").Data);
        var valIters = f.GetIntegers("history.val_iteration").Data;
        var valLosses = Doubles(f.GetIntegers("history.val_loss").Data);
        if (trainLosses.Length != iteration)
            throw new CheckpointFormatException($"{path}: loss history has {trainLosses.Length} entries for {iteration} iterations.");
        if (valIters.Length != valLosses.Length)
            throw new CheckpointFormatException($"{path}: {valIters.Length} evaluation iterations but {valLosses.Length} evaluation losses.");
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
            Position = new StreamPosition((int)pos[0], (int)pos[1]),
            Iteration = iteration,
            Hidden = Hidden("hidden.h"),
            Cell = Hidden("hidden.c"),
            TrainLosses = trainLosses,
            ValIterations = valIters,
            ValLosses = valLosses,
            ElapsedSeconds = elapsed.Length == 1 && double.IsFinite(elapsed[0]) ? elapsed[0] : 0,
            TrainWeights = trainWeights,
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
