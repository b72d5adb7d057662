using System.Text;

namespace Recur.Export;

/// <summary>
/// A minimal Protocol Buffers writer (the wire format: varints, 64-bit and length-delimited fields), enough to write
/// ONNX models without a dependency: each message is built into its own buffer and nested as bytes.
/// </summary>
public sealed class ProtoWriter
{
    private readonly MemoryStream _s = new();

    /// <summary>The message's bytes so far.</summary>
    public byte[] ToArray() => _s.ToArray();

    private void Varint(ulong v)
    {
        while (v >= 0x80) { _s.WriteByte((byte)(v | 0x80)); v >>= 7; }
        _s.WriteByte((byte)v);
    }

    private void Tag(int field, int wire) => Varint(((ulong)field << 3) | (uint)wire);

    /// <summary>An integer field (int32, int64 and enums share the varint encoding; negatives take ten bytes).</summary>
    public ProtoWriter Int(int field, long value) { Tag(field, 0); Varint(unchecked((ulong)value)); return this; }

    /// <summary>A float field (32-bit).</summary>
    public ProtoWriter Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> b = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(b, value);
        _s.Write(b);
        return this;
    }

    /// <summary>A length-delimited field of raw bytes.</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value) { Tag(field, 2); Varint((ulong)value.Length); _s.Write(value); return this; }

    /// <summary>A string field (UTF-8).</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A nested message.</summary>
    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    /// <summary>A packed repeated integer field.</summary>
    public ProtoWriter PackedInts(int field, IEnumerable<long> values)
    {
        var inner = new ProtoWriter();
        foreach (long v in values) inner.Varint(unchecked((ulong)v));
        return Bytes(field, inner.ToArray());
    }
}
