namespace Recur.Data;

/// <summary>
/// One batch of token ids, time-major: <c>Inputs[t * BatchSize + b]</c> is the input at time step
/// <c>t</c> of stream <c>b</c> (shape <c>(Steps, BatchSize)</c>), and <c>Targets</c> has the same layout
/// holding the token that follows each input.
/// </summary>
public sealed class TokenBatch
{
    /// <summary>A batch over the given buffers (no copy).</summary>
    public TokenBatch(int[] inputs, int[] targets, int steps, int batchSize, BatchInfo info = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        Guard.Length(inputs.Length, steps * batchSize, nameof(inputs));
        Guard.Length(targets.Length, steps * batchSize, nameof(targets));
        Inputs = inputs; Targets = targets; Steps = steps; BatchSize = batchSize; Info = info;
    }

    /// <summary>Input ids, <c>(Steps, BatchSize)</c> time-major.</summary>
    public int[] Inputs { get; }

    /// <summary>Target ids (the next token of each input), <c>(Steps, BatchSize)</c> time-major.</summary>
    public int[] Targets { get; }

    /// <summary>Number of time steps <c>T</c>.</summary>
    public int Steps { get; }

    /// <summary>Number of parallel streams <c>B</c>.</summary>
    public int BatchSize { get; }

    /// <summary>Where the batch sits in its epoch (training batches only).</summary>
    public BatchInfo Info { get; }
}

/// <summary>
/// Where a training batch sits: <see cref="Epoch"/> (0-based) and <see cref="Batch"/> within it.
/// <see cref="StartsEpoch"/> is true for the first batch of an epoch: the streams jumped back to
/// their beginnings, so callers reset the recurrent hidden state before it. <see cref="EndsEpoch"/>
/// is true for the last batch of an epoch.
/// </summary>
public readonly record struct BatchInfo(int Epoch, int Batch, bool StartsEpoch, bool EndsEpoch);

/// <summary>The resumable position of a <see cref="StreamBatcher"/>: the next batch to hand out.</summary>
public readonly record struct StreamPosition(int Epoch, int Batch);

/// <summary>
/// The char-rnn / torch-rnn training batcher. The split's inputs <c>x = tokens[0 .. n-2]</c> and
/// targets <c>y = tokens[1 .. n-1]</c> are cut to <c>K = floor((n - 1) / (B T))</c> batches per epoch
/// (the tail is dropped, as torch-rnn does); stream <c>b</c> is the contiguous slice
/// <c>[b L, (b + 1) L)</c> with <c>L = K T</c>, and batch <c>k</c> hands out steps
/// <c>[k T, (k + 1) T)</c> of every stream:
/// <code>inputs[t, b] = tokens[b L + k T + t],  targets[t, b] = tokens[b L + k T + t + 1]</code>
/// laid out time-major <c>(T, B)</c>. Consecutive batches continue each stream, so the hidden state
/// carries over (truncated BPTT); after the last batch the streams wrap to their starts and the
/// epoch counter advances. The position is a plain <see cref="StreamPosition"/> for exact resume.
/// </summary>
public sealed class StreamBatcher
{
    private readonly ReadOnlyMemory<int> _tokens;

    /// <summary>A batcher over <paramref name="tokens"/> with <paramref name="batchSize"/> streams of <paramref name="seqLength"/> steps.</summary>
    /// <param name="tokens">The split's token ids.</param>
    /// <param name="batchSize">Number of parallel streams <c>B</c>.</param>
    /// <param name="seqLength">Time steps per batch <c>T</c> (the BPTT truncation length).</param>
    /// <param name="splitName">Names the split in error messages.</param>
    public StreamBatcher(ReadOnlyMemory<int> tokens, int batchSize, int seqLength, string splitName = "train")
    {
        Guard.Positive(batchSize, nameof(batchSize));
        Guard.Positive(seqLength, nameof(seqLength));
        long need = (long)batchSize * seqLength + 1;
        if (tokens.Length < need)
            throw new ArgumentException(
                $"the {splitName} split has {tokens.Length} tokens, but batch size {batchSize} x sequence length {seqLength} needs at least {need} " +
                $"({seqLength} inputs per stream plus one target); use a smaller batch size or sequence length, or more text.", nameof(tokens));
        _tokens = tokens;
        BatchSize = batchSize;
        SeqLength = seqLength;
        BatchesPerEpoch = (int)((tokens.Length - 1) / ((long)batchSize * seqLength));
        StreamLength = BatchesPerEpoch * seqLength;
    }

    /// <summary>Number of streams <c>B</c>.</summary>
    public int BatchSize { get; }

    /// <summary>Steps per batch <c>T</c>.</summary>
    public int SeqLength { get; }

    /// <summary>Batches in one epoch <c>K</c>.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>Steps in each stream per epoch <c>L = K T</c>.</summary>
    public int StreamLength { get; }

    /// <summary>Input positions never used because they do not fill a whole batch.</summary>
    public int TokensDropped => _tokens.Length - 1 - BatchSize * StreamLength;

    /// <summary>Epochs completed so far (the epoch of the next batch).</summary>
    public int Epoch { get; private set; }

    /// <summary>Index of the next batch within its epoch, in <c>[0, BatchesPerEpoch)</c>.</summary>
    public int Batch { get; private set; }

    /// <summary>Progress in epochs, <c>Epoch + Batch / BatchesPerEpoch</c>.</summary>
    public double EpochProgress => Epoch + (double)Batch / BatchesPerEpoch;

    /// <summary>The next batch to hand out; set it to resume exactly where a checkpoint stopped.</summary>
    public StreamPosition Position
    {
        get => new(Epoch, Batch);
        set
        {
            if (value.Epoch < 0 || value.Batch < 0 || value.Batch >= BatchesPerEpoch)
                throw new ArgumentOutOfRangeException(nameof(value), value,
                    $"position (epoch {value.Epoch}, batch {value.Batch}) is invalid: epoch must be >= 0 and batch in [0, {BatchesPerEpoch}) " +
                    "(was the checkpoint made with other data, batch size or sequence length?).");
            (Epoch, Batch) = (value.Epoch, value.Batch);
        }
    }

    /// <summary>
    /// Fills <paramref name="inputs"/> and <paramref name="targets"/> (each <c>T * B</c> ints,
    /// time-major) with the next batch, advances, and says where that batch was.
    /// </summary>
    public BatchInfo Next(Span<int> inputs, Span<int> targets)
    {
        int b = BatchSize, t = SeqLength;
        Guard.Length(inputs.Length, t * b, nameof(inputs));
        Guard.Length(targets.Length, t * b, nameof(targets));
        var info = new BatchInfo(Epoch, Batch, Batch == 0, Batch == BatchesPerEpoch - 1);
        var tokens = _tokens.Span;
        int offset = Batch * t;
        for (int s = 0; s < b; s++)
        {
            var src = tokens.Slice(s * StreamLength + offset, t + 1);
            for (int i = 0; i < t; i++)
            {
                inputs[i * b + s] = src[i];
                targets[i * b + s] = src[i + 1];
            }
        }
        if (++Batch == BatchesPerEpoch) { Batch = 0; Epoch++; }
        return info;
    }

    /// <summary>The next batch in newly allocated arrays.</summary>
    public TokenBatch Next()
    {
        var x = new int[SeqLength * BatchSize];
        var y = new int[SeqLength * BatchSize];
        var info = Next(x, y);
        return new TokenBatch(x, y, SeqLength, BatchSize, info);
    }
}

/// <summary>
/// Sequential evaluation over a whole split (validation or test). The <c>n - 1</c> (input, target)
/// pairs are cut into <c>B</c> contiguous streams of <c>L = floor((n - 1) / B)</c> steps (fewer than
/// <c>B</c> tail pairs are dropped, see <see cref="TokensDropped"/>), read in chunks of up to
/// <c>T</c> steps: chunk <c>k</c> covers steps <c>[k T, min((k + 1) T, L))</c>, time-major
/// <c>(steps, B)</c>, so the last chunk may be shorter. Callers reset the hidden state once before
/// chunk 0 and carry it across chunks; the mean loss over all chunks is then the mean over all
/// <see cref="TargetCount"/> predictions.
/// </summary>
public sealed class SequentialBatcher
{
    private readonly ReadOnlyMemory<int> _tokens;

    /// <summary>A sequential batcher over <paramref name="tokens"/>.</summary>
    public SequentialBatcher(ReadOnlyMemory<int> tokens, int batchSize, int seqLength, string splitName = "val")
    {
        Guard.Positive(batchSize, nameof(batchSize));
        Guard.Positive(seqLength, nameof(seqLength));
        if (tokens.Length < (long)batchSize + 1)
            throw new ArgumentException(
                $"the {splitName} split has {tokens.Length} tokens, but evaluating {batchSize} streams needs at least {batchSize + 1}; " +
                "use a smaller batch size or a larger split.", nameof(tokens));
        _tokens = tokens;
        BatchSize = batchSize;
        SeqLength = seqLength;
        StreamLength = (tokens.Length - 1) / batchSize;
        ChunkCount = (StreamLength + seqLength - 1) / seqLength;
    }

    /// <summary>Number of streams <c>B</c>.</summary>
    public int BatchSize { get; }

    /// <summary>Largest number of steps per chunk <c>T</c>.</summary>
    public int SeqLength { get; }

    /// <summary>Steps per stream <c>L</c>.</summary>
    public int StreamLength { get; }

    /// <summary>Number of chunks.</summary>
    public int ChunkCount { get; }

    /// <summary>Number of predictions scored, <c>B L</c>.</summary>
    public long TargetCount => (long)BatchSize * StreamLength;

    /// <summary>Tail pairs not scored (fewer than <c>B</c>).</summary>
    public int TokensDropped => _tokens.Length - 1 - BatchSize * StreamLength;

    /// <summary>Steps in chunk <paramref name="chunk"/>.</summary>
    public int StepsIn(int chunk)
    {
        if ((uint)chunk >= (uint)ChunkCount)
            throw new ArgumentOutOfRangeException(nameof(chunk), chunk, $"chunk {chunk} is outside [0, {ChunkCount}).");
        return Math.Min(SeqLength, StreamLength - chunk * SeqLength);
    }

    /// <summary>Fills chunk <paramref name="chunk"/> into spans of <c>StepsIn(chunk) * B</c> ints, time-major.</summary>
    public void Fill(int chunk, Span<int> inputs, Span<int> targets)
    {
        int steps = StepsIn(chunk), b = BatchSize;
        Guard.Length(inputs.Length, steps * b, nameof(inputs));
        Guard.Length(targets.Length, steps * b, nameof(targets));
        var tokens = _tokens.Span;
        int offset = chunk * SeqLength;
        for (int s = 0; s < b; s++)
        {
            var src = tokens.Slice(s * StreamLength + offset, steps + 1);
            for (int i = 0; i < steps; i++)
            {
                inputs[i * b + s] = src[i];
                targets[i * b + s] = src[i + 1];
            }
        }
    }

    /// <summary>All chunks in order, each in newly allocated arrays.</summary>
    public IEnumerable<TokenBatch> Chunks()
    {
        for (int k = 0; k < ChunkCount; k++)
        {
            int steps = StepsIn(k);
            var x = new int[steps * BatchSize];
            var y = new int[steps * BatchSize];
            Fill(k, x, y);
            yield return new TokenBatch(x, y, steps, BatchSize);
        }
    }
}
