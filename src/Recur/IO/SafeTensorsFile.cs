namespace Recur.IO;

/// <summary>
/// The contents of a safetensors file: float tensors, integer arrays and string metadata, each in
/// file order. Build one to write with <see cref="SafeTensors.Write(string, SafeTensorsFile)"/>, or
/// get one from <see cref="SafeTensors.Read"/>.
/// </summary>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IntegerArray> _integers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _dtypes = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];

    /// <summary>
    /// Contents to write: float tensors (stored as <c>F32</c>), integer arrays (stored as <c>I64</c>)
    /// and optional metadata. Names must be unique across both kinds and must not be <c>__metadata__</c>.
    /// </summary>
    public SafeTensorsFile(
        IEnumerable<KeyValuePair<string, Tensor>>? tensors = null,
        IEnumerable<KeyValuePair<string, IntegerArray>>? integers = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (integers is not null)
            foreach (var (name, a) in integers) AddInteger(name, a, "I64");
        if (tensors is not null)
            foreach (var (name, t) in tensors) AddTensor(name, t, "F32");
        var md = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null)
            foreach (var (k, v) in metadata)
            {
                ArgumentNullException.ThrowIfNull(k);
                md[k] = v ?? throw new ArgumentException($"metadata value for '{k}' is null.", nameof(metadata));
            }
        Metadata = md;
    }

    /// <summary>Float tensors by name (<c>F32</c> as stored, <c>F64</c> rounded to float).</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>Integer arrays by name (<c>I64</c> as stored, <c>I32</c> widened).</summary>
    public IReadOnlyDictionary<string, IntegerArray> Integers => _integers;

    /// <summary>The <c>__metadata__</c> string map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The dtype each entry has in the file (<c>F32</c>, <c>F64</c>, <c>I64</c>, <c>I32</c>).</summary>
    public IReadOnlyDictionary<string, string> DTypes => _dtypes;

    /// <summary>All entry names: integers first then tensors when built for writing; file order when read.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>
    /// The float tensor called <paramref name="name"/>; an integer entry is converted to float. Throws a
    /// <see cref="CheckpointFormatException"/> naming the missing entry otherwise.
    /// </summary>
    public Tensor GetTensor(string name)
    {
        if (_tensors.TryGetValue(name, out var t)) return t;
        if (_integers.TryGetValue(name, out var a))
        {
            var data = new float[a.Data.Length];
            for (int i = 0; i < data.Length; i++) data[i] = a.Data[i];
            return new Tensor(data, a.Shape);
        }
        throw new CheckpointFormatException($"the file has no tensor named '{name}' (it has: {string.Join(", ", _names)}).");
    }

    /// <summary>The integer array called <paramref name="name"/>, or a <see cref="CheckpointFormatException"/>.</summary>
    public IntegerArray GetIntegers(string name)
    {
        if (_integers.TryGetValue(name, out var a)) return a;
        throw new CheckpointFormatException(_tensors.ContainsKey(name)
            ? $"entry '{name}' is a float tensor ({_dtypes[name]}), expected an integer array."
            : $"the file has no integer array named '{name}' (it has: {string.Join(", ", _names)}).");
    }

    internal void AddTensor(string name, Tensor t, string dtype)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(t, name);
        _tensors.Add(name, t);
        _dtypes.Add(name, dtype);
        _names.Add(name);
    }

    internal void AddInteger(string name, IntegerArray a, string dtype)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(a, name);
        _integers.Add(name, a);
        _dtypes.Add(name, dtype);
        _names.Add(name);
    }

    private void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == SafeTensors.MetadataKey)
            throw new ArgumentException($"'{SafeTensors.MetadataKey}' is reserved and cannot name a tensor.", nameof(name));
        if (_dtypes.ContainsKey(name))
            throw new ArgumentException($"duplicate tensor name '{name}'.", nameof(name));
    }

    internal SafeTensorsFile(IReadOnlyDictionary<string, string> metadata) => Metadata = metadata;
}
