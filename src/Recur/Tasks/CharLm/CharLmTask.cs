using System.Text;
using Recur.Data;
using Recur.IO;
using Recur.Models;
using Recur.Nn;
using Recur.Training;

namespace Recur.Tasks.CharLm;

/// <summary>
/// The character-level language model as a task (char-rnn): the training split is cut into <c>B</c>
/// contiguous streams (<see cref="StreamBatcher"/>); a step takes the next <c>T</c> characters of every
/// stream and runs <see cref="CharModel.TrainStep"/> (forward, mean cross-entropy, BPTT over the chunk) from
/// the hidden state the previous step left (truncated BPTT), resetting that state at each epoch start.
/// Evaluation scores the whole validation split (sequential streams, state carried) in nats per character.
/// </summary>
public sealed class CharLmTask : ITrainingTask
{
    private readonly int[] _x, _y;

    private readonly Action<string, CheckpointProgress>? _write;

    /// <summary>
    /// The task over <paramref name="tokens"/> (the whole text encoded with <paramref name="vocabulary"/>,
    /// split into train/val/test by the options' fractions) for <paramref name="model"/>; <paramref name="data"/> is the
    /// text's record (by default its tokens' length and checksum) and <paramref name="write"/> writes the model's
    /// checkpoint files (by default <see cref="CharCheckpoint.WriteModelFiles"/>).
    /// </summary>
    public CharLmTask(TrainOptions options, Vocabulary vocabulary, int[] tokens, CharModel model, DataInfo? data = null,
        Action<string, CheckpointProgress>? write = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(model);
        Options = options;
        Vocabulary = vocabulary;
        Model = model;
        Splits = DataSplits.Create(tokens, options.ValFrac, options.TestFrac);
        Batcher = new StreamBatcher(Splits.Train, options.BatchSize, options.SeqLength, "train");
        if (options.ValFrac > 0 && Splits.Val.Length < 2)
            throw new ArgumentException($"the validation split has {Splits.Val.Length} character(s); it needs at least 2. "
                + "Use a larger --val-frac, more text, or --val-frac 0.");
        Data = data ?? new DataInfo(options.Data ?? "<memory>", tokens.Length, CheckpointFiles.TokenChecksum(tokens));
        _write = write;
        _x = new int[options.SeqLength * options.BatchSize];
        _y = new int[_x.Length];
    }

    /// <inheritdoc/>
    public string Name => CharCheckpoint.TaskName;

    /// <summary>The run's options (architecture, sequence length, batch size, splits).</summary>
    public TrainOptions Options { get; }

    /// <summary>The model's characters.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The model being trained.</summary>
    public CharModel Model { get; }

    /// <summary>The train / validation / test splits.</summary>
    public DataSplits Splits { get; }

    /// <summary>The training batcher (its position is the next batch).</summary>
    public StreamBatcher Batcher { get; }

    /// <summary>The text's source, size and checksum (recorded in checkpoints).</summary>
    public DataInfo Data { get; }

    /// <inheritdoc/>
    public ParameterStore Store => Model.Store;

    /// <inheritdoc/>
    public int Threads { get => Model.Threads; set => Model.Threads = value; }

    /// <inheritdoc/>
    public int BatchesPerEpoch => Batcher.BatchesPerEpoch;

    /// <inheritdoc/>
    public double EpochProgress => Batcher.EpochProgress;

    /// <inheritdoc/>
    public long ItemsPerStep => (long)Options.SeqLength * Options.BatchSize;

    /// <inheritdoc/>
    public string ItemName => "tok";

    /// <inheritdoc/>
    public string LossUnit => "nats/char";

    /// <inheritdoc/>
    public bool HasValidation => Options.ValFrac > 0;

    /// <inheritdoc/>
    public double TrainStep(Rng rng)
    {
        var info = Batcher.Next(_x, _y);
        if (info.StartsEpoch) Model.ResetState();
        return Model.TrainStep(_x, _y, Options.SeqLength, Options.BatchSize, rng);
    }

    /// <inheritdoc/>
    public string BestBy => TaskMetrics.LossName;

    /// <inheritdoc/>
    public TaskMetrics Evaluate()
    {
        double loss = Evaluate(Splits.Val);
        return new TaskMetrics(loss, new Dictionary<string, double> { ["bpc"] = loss / Math.Log(2) });
    }

    /// <summary>
    /// Mean cross-entropy (nats per character) of the model on <paramref name="tokens"/>, with the training
    /// state saved before and restored after, so training continues unaffected.
    /// </summary>
    public double Evaluate(ReadOnlyMemory<int> tokens)
    {
        var carried = Model.SaveCarried();
        try { return Evaluate(Model, tokens, Options.BatchSize, Options.SeqLength); }
        finally { Model.RestoreCarried(carried); }
    }

    /// <summary>
    /// Mean cross-entropy (nats per character) of <paramref name="model"/> on <paramref name="tokens"/>:
    /// the <c>n - 1</c> next-character predictions are cut into <c>min(batchSize, n - 1)</c> contiguous
    /// streams (<see cref="SequentialBatcher"/>) read in chunks of <paramref name="seqLength"/> steps from a
    /// zero state carried across chunks; the result is <c>-(1/N) sum log p(x_{t+1} | x_{≤t})</c> over all
    /// <c>N</c> scored predictions. Leaves the model's carried state at the end of the streams.
    /// </summary>
    public static double Evaluate(CharModel model, ReadOnlyMemory<int> tokens, int batchSize, int seqLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (tokens.Length < 2) throw new ArgumentException($"evaluation needs at least 2 characters, got {tokens.Length}.", nameof(tokens));
        int b = Math.Min(batchSize, tokens.Length - 1);
        var seq = new SequentialBatcher(tokens, b, seqLength, "evaluation");
        model.ResetState();
        var x = new int[seq.SeqLength * b];
        var y = new int[x.Length];
        double total = 0;
        for (int k = 0; k < seq.ChunkCount; k++)
        {
            int steps = seq.StepsIn(k);
            var xs = steps == seq.SeqLength ? x : new int[steps * b];
            var ys = steps == seq.SeqLength ? y : new int[steps * b];
            seq.Fill(k, xs, ys);
            total += model.EvalStep(xs, ys, steps, b) * steps * b;
        }
        return total / seq.TargetCount;
    }

    /// <inheritdoc/>
    public void SaveState(IDictionary<string, IntegerArray> integers, IDictionary<string, Tensor> tensors)
    {
        var pos = Batcher.Position;
        integers["position"] = new IntegerArray([pos.Epoch, pos.Batch]);
        if (pos.Batch == 0) return; // an epoch start resets the state anyway
        if (Model.HiddenState is { } h) tensors["hidden.h"] = h.Clone();
        if (Model.CellState is { } c) tensors["hidden.c"] = c.Clone();
        if (Model.Blocks?.States is { } states)
            for (int l = 0; l < states.Count; l++)
            {
                integers[$"hidden.block{l}.position"] = new IntegerArray([states[l].Position]);
                foreach (var (name, buf) in states[l].Buffers) tensors[$"hidden.block{l}.{name}"] = new Tensor(buf.ToArray(), buf.Length);
            }
    }

    /// <summary>A block model's carried states from a checkpoint's tensors, or null when it saved none (an epoch start).</summary>
    private Nn.Blocks.BlockState[]? LoadBlockStates(TrainingState state, string path)
    {
        if (Model.Blocks is not { } blocks || !state.TaskIntegers.ContainsKey("hidden.block0.position")) return null;
        var states = blocks.NewStates(Options.BatchSize);
        for (int l = 0; l < states.Length; l++)
        {
            if (!state.TaskIntegers.TryGetValue($"hidden.block{l}.position", out var pos) || pos.Data.Length != 1 || pos.Data[0] < 0
                || pos.Data[0] > int.MaxValue)
                throw new CheckpointFormatException($"{path}: 'hidden.block{l}.position' is missing or malformed.");
            states[l].Position = (int)pos.Data[0];
            foreach (var (name, buf) in states[l].Buffers)
            {
                if (!state.TaskTensors.TryGetValue($"hidden.block{l}.{name}", out var t) || t.Length != buf.Length)
                    throw new CheckpointFormatException($"{path}: 'hidden.block{l}.{name}' is missing or has the wrong length (expected {buf.Length}).");
                t.Data.AsSpan(0, buf.Length).CopyTo(buf);
            }
        }
        return states;
    }

    /// <inheritdoc/>
    public void LoadState(TrainingState state, string path)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.TaskIntegers.TryGetValue("position", out var p))
            throw new CheckpointFormatException($"{path}: 'position' is missing.");
        var pos = p.Data;
        if (pos.Length != 2 || pos[0] < 0 || pos[1] < 0 || pos[0] > int.MaxValue || pos[1] > int.MaxValue)
            throw new CheckpointFormatException($"{path}: 'position' should be (epoch, batch), non-negative.");
        int L = Model.Config.Layers, B = Options.BatchSize, H = Model.Config.Hidden;
        Tensor? Hidden(string name)
        {
            if (!state.TaskTensors.TryGetValue(name, out var t)) return null;
            if (!t.HasShape(L, B, H))
                throw new CheckpointFormatException($"{path}: '{name}' has shape {t.ShapeString}, expected ({L}, {B}, {H}).");
            return t;
        }
        var (h, c) = (Hidden("hidden.h"), Hidden("hidden.c"));
        try { Batcher.Position = new StreamPosition((int)pos[0], (int)pos[1]); }
        catch (ArgumentOutOfRangeException e) { throw new ArgumentException(e.Message, e); }
        var blockStates = LoadBlockStates(state, path);
        Model.SetState(h, c);
        Model.Blocks?.SetStates(blockStates);
    }

    /// <inheritdoc/>
    public void WriteModel(string directory, CheckpointProgress progress)
    {
        if (_write is not null) _write(directory, progress);
        else CharCheckpoint.WriteModelFiles(directory, Model, Vocabulary, Options, progress, Data);
    }

    /// <inheritdoc/>
    public string Describe()
    {
        var o = Options;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{o.Model}{(o.Model == "rnn" ? "-" + o.Nonlinearity : "")} hidden {o.Hidden} x {o.Layers} layer(s){(o.Highway ? " with highways" : "")}, "
            + $"embed {o.Embed}, {Store.Count:N0} parameters; vocabulary {Vocabulary.Count}; "
            + $"train {Splits.Train.Length:N0} / val {Splits.Val.Length:N0}{(Splits.Test.Length > 0 ? $" / test {Splits.Test.Length:N0}" : "")} characters; "
            + $"batch {o.BatchSize} x seq {o.SeqLength}");
    }

    /// <inheritdoc/>
    public string? Preview(ulong seed) => SampleText(Model, Vocabulary, 200, 1.0, seed);

    /// <summary>
    /// A sample of <paramref name="length"/> characters from <paramref name="model"/> after <paramref name="prime"/>
    /// (fed through the model first; empty starts from a newline when the vocabulary has one): each next
    /// character is drawn from <c>softmax(logits / temperature)</c> with a random stream of its own seeded by
    /// <paramref name="seed"/>. It runs on a <see cref="CharSampler"/> (a copy of the weights), so the model
    /// and any training random stream are left untouched.
    /// </summary>
    public static string SampleText(CharModel model, Vocabulary vocabulary, int length, double temperature, ulong seed, string prime = "")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"temperature must be positive, got {temperature}.");
        var sampler = new CharSampler(model);
        if (prime.Length > 0) sampler.Prime(prime, vocabulary);
        else sampler.Prime([vocabulary.TryGetId(new Rune('\n'), out int nl) ? nl : 0]);
        return string.Concat(sampler.Sample(vocabulary, length, (float)temperature, 0, false, new Rng(seed)));
    }
}
