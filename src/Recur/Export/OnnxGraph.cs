using System.Runtime.InteropServices;

namespace Recur.Export;

/// <summary>
/// Builds an ONNX model (ModelProto, IR version 7, the default opset 13) node by node: float and int64 initializers,
/// graph inputs and outputs with fixed or named (symbolic) dimensions, and nodes with int, float, string and int-list
/// attributes. <see cref="ToBytes"/> writes the protobuf (field numbers of onnx.proto).
/// </summary>
public sealed class OnnxGraph(string name)
{
    public const int FloatType = 1, Int64Type = 7;
    private readonly List<ProtoWriter> _nodes = [], _initializers = [], _inputs = [], _outputs = [];
    private int _names;

    /// <summary>A fresh value name with <paramref name="stem"/>.</summary>
    public string Fresh(string stem) => $"{stem}_{_names++}";

    /// <summary>Adds a float constant; returns its name.</summary>
    public string Constant(string name, ReadOnlySpan<float> data, params long[] dims) => Initializer(name, FloatType, MemoryMarshal.AsBytes(data), dims);

    /// <summary>Adds an int64 constant; returns its name.</summary>
    public string Constant(string name, ReadOnlySpan<long> data, params long[] dims) => Initializer(name, Int64Type, MemoryMarshal.AsBytes(data), dims);

    /// <summary>A TensorProto of element <paramref name="type"/> with raw little-endian <paramref name="bytes"/>.</summary>
    private string Initializer(string name, int type, ReadOnlySpan<byte> bytes, long[] dims)
    {
        var t = new ProtoWriter();
        foreach (long d in dims) t.Int(1, d);
        t.Int(2, type).String(8, name).Bytes(9, bytes);
        _initializers.Add(t);
        return name;
    }

    /// <summary>A graph input of <paramref name="type"/> and dimensions (a string is a symbolic dimension, a number a fixed one).</summary>
    public string Input(string name, int type, params object[] dims) { _inputs.Add(ValueInfo(name, type, dims)); return name; }

    /// <summary>A graph output.</summary>
    public void Output(string name, int type, params object[] dims) => _outputs.Add(ValueInfo(name, type, dims));

    private static ProtoWriter ValueInfo(string name, int type, object[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims)
        {
            var dim = new ProtoWriter();
            if (d is string s) dim.String(2, s); else dim.Int(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture));
            shape.Message(1, dim);
        }
        var tensor = new ProtoWriter().Int(1, type).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensor));
    }

    /// <summary>Adds a node of operator <paramref name="op"/> ("" for an omitted optional input); returns its outputs' names.</summary>
    public string[] Node(string op, string[] inputs, int outputs = 1, params (string Name, object Value)[] attributes)
        => Node(op, inputs, [.. Enumerable.Range(0, outputs).Select(_ => Fresh(op.ToLowerInvariant()))], attributes);

    /// <summary>Adds a node whose outputs have the given names.</summary>
    public string[] Node(string op, string[] inputs, string[] outs, params (string Name, object Value)[] attributes)
    {
        var n = new ProtoWriter();
        foreach (var i in inputs) n.String(1, i);
        foreach (var o in outs) n.String(2, o);
        n.String(3, Fresh("node")).String(4, op);
        foreach (var (an, av) in attributes)
        {
            var a = new ProtoWriter().String(1, an);
            switch (av)
            {
                case int i: a.Int(3, i).Int(20, 2); break;
                case long l: a.Int(3, l).Int(20, 2); break;
                case float f: a.Float(2, f).Int(20, 1); break;
                case string s: a.String(4, s).Int(20, 3); break;
                case long[] ls: a.PackedInts(8, ls).Int(20, 7); break;
                case string[] ss: foreach (var s in ss) a.String(9, s); a.Int(20, 8); break;
                default: throw new ArgumentException($"attribute {an}: unsupported value type {av.GetType().Name}.");
            }
            n.Message(5, a);
        }
        _nodes.Add(n);
        return outs;
    }

    /// <summary>The single-output form of Node.</summary>
    public string Op(string op, string[] inputs, params (string Name, object Value)[] attributes) => Node(op, inputs, 1, attributes)[0];

    /// <summary>The model's bytes.</summary>
    public byte[] ToBytes(string producer = "recur", int opset = 13)
    {
        var g = new ProtoWriter();
        foreach (var n in _nodes) g.Message(1, n);
        g.String(2, name);
        foreach (var t in _initializers) g.Message(5, t);
        foreach (var i in _inputs) g.Message(11, i);
        foreach (var o in _outputs) g.Message(12, o);
        var m = new ProtoWriter().Int(1, 7).String(2, producer).String(3, typeof(OnnxGraph).Assembly.GetName().Version?.ToString() ?? "0").Message(7, g);
        m.Message(8, new ProtoWriter().String(1, "").Int(2, opset));
        return m.ToArray();
    }
}
