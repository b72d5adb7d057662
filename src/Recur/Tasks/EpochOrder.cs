using Recur.Data;
using Recur.IO;

namespace Recur.Tasks;

/// <summary>
/// The batches of a task over a fixed set of examples: each epoch visits them in an order shuffled from the run's seed
/// and the epoch number (<see cref="Order"/>), so a resumed run draws the same batches, in batches of a fixed size (the
/// last partial batch is skipped, as PyTorch's <c>drop_last</c>). Its position is part of a checkpoint's state.
/// With buckets (<see cref="Bucketed"/>) each batch holds examples of similar length, so that a padded batch wastes
/// few steps.
/// </summary>
public sealed class EpochOrder
{
    private readonly int[] _order, _batch;
    private readonly ulong _seed;
    private readonly IReadOnlyList<int>? _lengths;
    private readonly int _bucket;
    private int _epoch = -1, _next;

    /// <summary>
    /// Batches of <paramref name="batch"/> of <paramref name="count"/> examples (at least one batch); with
    /// <paramref name="lengths"/> (one per example) and <paramref name="bucket"/> &gt; 0, bucketed by length (<see cref="Bucketed"/>).
    /// </summary>
    public EpochOrder(int count, int batch, ulong seed, IReadOnlyList<int>? lengths = null, int bucket = 0)
    {
        if (batch < 1 || count < batch) throw new ArgumentException($"{count} example(s) make no batch of {batch}.");
        if (bucket < 0) throw new ArgumentException($"the bucket must be a number of batches >= 0, got {bucket}.");
        if (bucket > 0 && lengths is null) throw new ArgumentException("bucketing by length needs each example's length.");
        if (lengths is not null && lengths.Count != count) throw new ArgumentException($"{lengths.Count} lengths for {count} examples.");
        _order = new int[count];
        _batch = new int[batch];
        _seed = seed;
        _lengths = lengths;
        _bucket = bucket;
    }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => _order.Length / _batch.Length;

    /// <summary>Fractional epochs done.</summary>
    public double EpochProgress => Position.Epoch + (double)_next / BatchesPerEpoch;

    /// <summary>The next batch: (epoch, batch within the epoch).</summary>
    public StreamPosition Position
    {
        get => new(_epoch < 0 ? 0 : _epoch, _next);
        set
        {
            if (value.Epoch < 0 || value.Batch < 0 || value.Batch >= BatchesPerEpoch)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"position must have epoch >= 0 and batch in [0, {BatchesPerEpoch}).");
            Shuffle(value.Epoch);
            _next = value.Batch;
        }
    }

    /// <summary>The example indices of the next batch (valid until the next call); moves on.</summary>
    public ReadOnlySpan<int> Next()
    {
        if (_epoch < 0) Shuffle(0);
        int B = _batch.Length;
        _order.AsSpan(_next * B, B).CopyTo(_batch);
        if (++_next == BatchesPerEpoch) { Shuffle(_epoch + 1); _next = 0; }
        return _batch;
    }

    private void Shuffle(int epoch)
    {
        if (_epoch == epoch) return;
        var order = Order(_order.Length, _seed, epoch);
        if (_bucket > 0) order = Bucketed(order, _lengths!, _batch.Length, _bucket, _seed, epoch);
        order.CopyTo(_order, 0);
        _epoch = epoch;
    }

    /// <summary>
    /// The order in which epoch <paramref name="epoch"/> visits <paramref name="count"/> examples: a Fisher-Yates
    /// shuffle drawn from a stream seeded by the run's <paramref name="seed"/> and the epoch.
    /// </summary>
    public static int[] Order(int count, ulong seed, int epoch)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        FisherYates(order, new Rng(seed ^ (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1))));
        return order;
    }

    /// <summary>
    /// Bucketing by length, as torchtext's <c>BucketIterator</c>: of the shuffled <paramref name="order"/>, the examples
    /// that fill whole batches are cut into runs of <paramref name="bucket"/> batches, each run is sorted by length
    /// (stable, so ties keep their shuffled order), cut into batches, and the batches of the epoch are shuffled (a
    /// stream seeded by <paramref name="seed"/> and the epoch, apart from the example shuffle's). Every example of a
    /// whole batch is visited once; the skipped tail is the same as without buckets.
    /// </summary>
    public static int[] Bucketed(int[] order, IReadOnlyList<int> lengths, int batch, int bucket, ulong seed, int epoch)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(lengths);
        if (batch < 1 || bucket < 1) throw new ArgumentException($"batch ({batch}) and bucket ({bucket}) must be at least 1.");
        int batches = order.Length / batch, used = batches * batch, run = bucket * batch;
        var sorted = (int[])order.Clone();
        for (int start = 0; start < used; start += run)
        {
            int n = Math.Min(run, used - start);
            var part = sorted.AsSpan(start, n).ToArray().OrderBy(i => lengths[i]).ToArray(); // OrderBy is stable
            part.CopyTo(sorted, start);
        }
        var perm = new int[batches];
        for (int i = 0; i < batches; i++) perm[i] = i;
        FisherYates(perm, new Rng(seed ^ (0xD1B54A32D192ED03UL * (ulong)(epoch + 1))));
        var result = (int[])order.Clone(); // the tail beyond whole batches stays as shuffled
        for (int k = 0; k < batches; k++) sorted.AsSpan(perm[k] * batch, batch).CopyTo(result.AsSpan(k * batch, batch));
        return result;
    }

    /// <summary>Shuffles <paramref name="items"/> in place with draws from <paramref name="rng"/>, last position first.</summary>
    private static void FisherYates(Span<int> items, Rng rng)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Adds the position to a checkpoint's state.</summary>
    public void Save(IDictionary<string, IntegerArray> integers)
    {
        ArgumentNullException.ThrowIfNull(integers);
        var p = Position;
        integers["position"] = new IntegerArray([p.Epoch, p.Batch]);
    }

    /// <summary>Restores the position <see cref="Save"/> wrote; a <see cref="CheckpointFormatException"/> when it does not fit.</summary>
    public void Load(TrainingState state, string path)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.TaskIntegers.TryGetValue("position", out var p) || p.Data.Length != 2 || p.Data[0] < 0 || p.Data[1] < 0 || p.Data[0] > int.MaxValue
            || p.Data[1] >= BatchesPerEpoch)
            throw new CheckpointFormatException($"{path}: 'position' should be (epoch, batch) with batch below {BatchesPerEpoch}.");
        Position = new StreamPosition((int)p.Data[0], (int)p.Data[1]);
    }
}
