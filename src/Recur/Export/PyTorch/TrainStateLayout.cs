using Recur.IO;

namespace Recur.Export.PyTorch;

/// <summary>
/// A checkpoint's <c>state.safetensors</c> with its arena-wide buffers cut per parameter, for PyTorch's per-parameter
/// optimizer state, and joined back. The trained parameters are the first ones of <c>model.safetensors</c>, in
/// registration order, whose lengths add up to the arena (the optimizer's store comes first in every checkpoint):
/// <code>
/// optimizer.BUFFER  F32 (P)   ⇄  optimizer.BUFFER.NAME  F32 (shape of NAME), for every trained parameter NAME
/// train_weights     F32 (P)   ⇄  train_weights.NAME     F32 (shape of NAME)
/// </code>
/// Every other entry (iteration, rng, optimizer.step, history.*, elapsed_seconds, the task's position and carried
/// state) passes through unchanged.
/// </summary>
public static class TrainStateLayout
{
    private const string Optimizer = "optimizer.", TrainWeights = "train_weights";

    /// <summary>
    /// The trained parameters (name, shape), in arena order: the leading entries of <paramref name="weights"/> that fill
    /// <paramref name="arena"/>.
    /// </summary>
    public static IReadOnlyList<(string Name, int[] Shape)> Arena(SafeTensorsFile weights, long arena)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var list = new List<(string, int[])>();
        long total = 0;
        foreach (string name in weights.Names)
        {
            if (total == arena) break;
            var t = weights.GetTensor(name);
            list.Add((name, t.Shape));
            total += t.Length;
        }
        if (total != arena)
            throw new CheckpointFormatException($"the optimizer's buffers hold {arena} values, which is no leading run of the model's parameters; "
                + "the state does not belong to these weights.");
        return list;
    }

    /// <summary>The per-parameter form of <paramref name="state"/> for the parameters of <paramref name="weights"/>.</summary>
    public static SafeTensorsFile Split(SafeTensorsFile state, SafeTensorsFile weights)
    {
        ArgumentNullException.ThrowIfNull(state);
        var wide = state.Tensors.Where(kv => kv.Key.StartsWith(Optimizer, StringComparison.Ordinal) || kv.Key == TrainWeights).ToList();
        var arena = wide.Count == 0 ? [] : Arena(weights, wide[0].Value.Length);
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (string name in state.Names)
        {
            if (!state.Tensors.TryGetValue(name, out var t)) continue;
            if (!name.StartsWith(Optimizer, StringComparison.Ordinal) && name != TrainWeights) { tensors.Add(new(name, t)); continue; }
            int offset = 0;
            foreach (var (p, shape) in arena)
            {
                int n = shape.Aggregate(1, (a, d) => a * d);
                tensors.Add(new($"{name}.{p}", new Tensor(t.Data.AsSpan(offset, n).ToArray(), shape)));
                offset += n;
            }
        }
        var meta = new Dictionary<string, string>(state.Metadata) { ["layout"] = "per-parameter" };
        return new SafeTensorsFile(tensors, state.Names.Where(state.Integers.ContainsKey).Select(n => KeyValuePair.Create(n, state.Integers[n])), meta);
    }

    /// <summary>
    /// Recur's form of a per-parameter <paramref name="split"/> state: each buffer joined over <paramref name="arena"/>
    /// (the trained parameters' names and lengths, in order), metadata for <paramref name="optimizer"/>.
    /// </summary>
    public static SafeTensorsFile Join(SafeTensorsFile split, IReadOnlyList<(string Name, int Length)> arena, string optimizer)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(arena);
        int P = arena.Sum(a => a.Length);
        var buffers = new List<string>();
        foreach (string name in split.Tensors.Keys)
        {
            string? stem = name.StartsWith(Optimizer, StringComparison.Ordinal) ? Optimizer + name[Optimizer.Length..].Split('.')[0]
                : name.StartsWith(TrainWeights + ".", StringComparison.Ordinal) ? TrainWeights : null;
            if (stem is not null && !buffers.Contains(stem)) buffers.Add(stem);
        }
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var stem in buffers)
        {
            var joined = new float[P];
            int offset = 0;
            foreach (var (p, n) in arena)
            {
                if (!split.Tensors.TryGetValue($"{stem}.{p}", out var t) || t.Length != n)
                    throw new CheckpointFormatException($"the training state's '{stem}.{p}' is missing or does not hold {n} values.");
                t.Data.AsSpan(0, n).CopyTo(joined.AsSpan(offset));
                offset += n;
            }
            tensors.Add(new(stem, new Tensor(joined, P)));
        }
        foreach (var (name, t) in split.Tensors)
            if (!name.StartsWith(Optimizer, StringComparison.Ordinal) && !name.StartsWith(TrainWeights + ".", StringComparison.Ordinal))
                tensors.Add(new(name, t));
        var meta = new Dictionary<string, string> { ["format"] = TrainingState.Format, ["version"] = "1", ["optimizer"] = optimizer };
        if (split.Metadata.TryGetValue("best_by", out var by)) meta["best_by"] = by;
        return new SafeTensorsFile(tensors, split.Integers, meta);
    }
}
