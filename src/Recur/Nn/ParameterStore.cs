namespace Recur.Nn;

/// <summary>
/// One contiguous arena of parameter values and one of gradients, with named views into both
/// (llm.c's layout): an optimizer is one loop over <see cref="Values"/> and <see cref="Grads"/>,
/// and a checkpoint is one write. Layers register their tensors by PyTorch state-dict name
/// (e.g. <c>rnn.weight_ih_l0</c>) when they are constructed.
/// </summary>
public sealed class ParameterStore
{
    private float[] _values = [];
    private float[] _grads = [];
    private readonly List<Parameter> _parameters = [];
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    private int _count;

    /// <summary>All parameter values, concatenated in registration order.</summary>
    public float[] Values => _values;

    /// <summary>All gradients, aligned with <see cref="Values"/>.</summary>
    public float[] Grads => _grads;

    /// <summary>Total number of scalars.</summary>
    public int Count => _count;

    /// <summary>The registered parameters, in order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Looks a parameter up by name.</summary>
    public Parameter this[string name] =>
        _byName.TryGetValue(name, out var p) ? p
        : throw new KeyNotFoundException($"no parameter named '{name}'; have: {string.Join(", ", _byName.Keys)}.");

    /// <summary>True when a parameter of that name exists.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Registers a zero-initialised parameter of the given shape.</summary>
    public Parameter Add(string name, params int[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_byName.ContainsKey(name)) throw new ArgumentException($"a parameter named '{name}' already exists.", nameof(name));
        int length = 1;
        foreach (int s in shape)
        {
            if (s <= 0) throw new ArgumentException($"parameter '{name}' has non-positive size in shape {Tensor.FormatShape(shape)}.", nameof(shape));
            length = checked(length * s);
        }
        var p = new Parameter(this, name, (int[])shape.Clone(), _count, length);
        int newCount = checked(_count + length);
        Array.Resize(ref _values, newCount);
        Array.Resize(ref _grads, newCount);
        _count = newCount;
        _parameters.Add(p);
        _byName.Add(name, p);
        return p;
    }

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGrad() => Array.Clear(_grads);
}

/// <summary>A named view into a <see cref="ParameterStore"/>'s value and gradient arenas.</summary>
public sealed class Parameter
{
    internal Parameter(ParameterStore store, string name, int[] shape, int offset, int length)
    {
        Store = store; Name = name; Shape = shape; Offset = offset; Length = length;
    }

    /// <summary>The arena this view points into.</summary>
    public ParameterStore Store { get; }

    /// <summary>PyTorch state-dict name.</summary>
    public string Name { get; }

    /// <summary>PyTorch shape.</summary>
    public int[] Shape { get; }

    /// <summary>Offset into the arenas.</summary>
    public int Offset { get; }

    /// <summary>Number of scalars.</summary>
    public int Length { get; }

    /// <summary>The values (a view, not a copy).</summary>
    public Span<float> Value => Store.Values.AsSpan(Offset, Length);

    /// <summary>The gradient (a view, not a copy).</summary>
    public Span<float> Grad => Store.Grads.AsSpan(Offset, Length);

    /// <summary>A copy of the values as a tensor.</summary>
    public Tensor ToTensor() => new(Value.ToArray(), Shape);

    /// <summary>Copies <paramref name="t"/>'s values in; its shape must match.</summary>
    public void CopyFrom(Tensor t)
    {
        Guard.Shape(t, Name, Shape);
        t.Data.CopyTo(Value);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}{Tensor.FormatShape(Shape)}";
}
