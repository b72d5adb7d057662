using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Recur.IO;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face), byte for byte:
/// <code>
/// [ u64 little-endian N ][ N bytes UTF-8 JSON header, space-padded ][ data buffer ]
/// header = { "name": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}, ...,
///            "__metadata__": {"key": "value", ...} }      (metadata optional)
/// </code>
/// Offsets are relative to the start of the data buffer; each tensor's bytes are row-major,
/// little-endian and exactly <c>prod(shape) * sizeof(dtype)</c> long; tensors tile the buffer with
/// no gap or overlap. Files written here pad the header with spaces to a multiple of 8 bytes,
/// store integers before floats (so 8-byte values stay 8-byte aligned), and are written atomically.
/// The reader accepts <c>F32</c>, <c>F64</c>, <c>I64</c> and <c>I32</c>, and validates everything it
/// reads before allocating, reporting any malformed file as a <see cref="CheckpointFormatException"/>.
/// </summary>
public static class SafeTensors
{
    /// <summary>The reserved header key holding string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Writes float tensors as <c>F32</c> plus optional metadata to <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Write(path, new SafeTensorsFile(tensors, null, metadata));
    }

    /// <summary>Writes <paramref name="content"/> (floats as <c>F32</c>, integers as <c>I64</c>) to <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, SafeTensorsFile content)
    {
        ArgumentNullException.ThrowIfNull(content);
        AtomicFile.Write(path, s => WriteTo(s, content));
    }

    /// <summary>The file as bytes (what <see cref="Write(string, SafeTensorsFile)"/> stores).</summary>
    public static byte[] ToBytes(SafeTensorsFile content)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var ms = new MemoryStream();
        WriteTo(ms, content);
        return ms.ToArray();
    }

    /// <summary>Writes the safetensors encoding of <paramref name="content"/> to <paramref name="stream"/>.</summary>
    public static void WriteTo(Stream stream, SafeTensorsFile content)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(content);

        // Order: integers (8-byte elements) first, then floats, each in insertion order.
        var order = new List<(string Name, string DType, int[] Shape, long Bytes)>();
        foreach (string name in content.Names)
        {
            if (content.Integers.TryGetValue(name, out var a)) order.Add((name, "I64", a.Shape, 8L * a.Data.Length));
        }
        foreach (string name in content.Names)
        {
            if (content.Tensors.TryGetValue(name, out var t)) order.Add((name, "F32", t.Shape, 4L * t.Data.Length));
        }

        var json = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(json,
            new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (content.Metadata.Count > 0)
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in content.Metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, dtype, shape, bytes) in order)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", dtype);
                w.WriteStartArray("shape");
                foreach (int d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        int headerLen = json.WrittenCount;
        int padded = (headerLen + 7) & ~7;
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        stream.Write(len);
        stream.Write(json.WrittenSpan);
        for (int i = headerLen; i < padded; i++) stream.WriteByte((byte)' ');

        byte[] chunk = new byte[1 << 16];
        foreach (var (name, dtype, _, _) in order)
        {
            if (dtype == "I64") WriteElements<long>(stream, content.Integers[name].Data, chunk);
            else WriteElements<float>(stream, content.Tensors[name].Data, chunk);
        }
    }

    private static void WriteElements<T>(Stream stream, T[] data, byte[] chunk) where T : unmanaged
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }
        int size = Unsafe.SizeOf<T>();
        int per = chunk.Length / size;
        for (int i = 0; i < data.Length; i += per)
        {
            int n = Math.Min(per, data.Length - i);
            var bytes = chunk.AsSpan(0, n * size);
            MemoryMarshal.AsBytes(data.AsSpan(i, n)).CopyTo(bytes);
            for (int j = 0; j < n; j++) bytes.Slice(j * size, size).Reverse();
            stream.Write(bytes);
        }
    }

    /// <summary>
    /// Reads a safetensors file. Throws <see cref="CheckpointFormatException"/> (naming the file, the
    /// entry and the offset) for any malformed content: short or truncated files, a header length past
    /// the end of the file, invalid JSON, unknown dtypes, negative or inconsistent shapes and offsets,
    /// overlapping, gapped or out-of-range tensors. A missing file is a <see cref="FileNotFoundException"/>.
    /// </summary>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long fileLength = RandomAccess.GetLength(h);
        return Parse(fileLength, (offset, dest) => ReadExactly(h, offset, dest), path);
    }

    /// <summary>Parses a safetensors file held in memory (same validation as <see cref="Read"/>).</summary>
    public static SafeTensorsFile Parse(ReadOnlyMemory<byte> bytes, string source = "<memory>")
    {
        return Parse(bytes.Length, (offset, dest) => bytes.Span.Slice(checked((int)offset), dest.Length).CopyTo(dest), source);
    }

    private delegate void ReadAt(long offset, Span<byte> destination);

    private static void ReadExactly(SafeFileHandle h, long offset, Span<byte> dest)
    {
        while (dest.Length > 0)
        {
            int n = RandomAccess.Read(h, dest, offset);
            if (n <= 0) throw new EndOfStreamException($"unexpected end of file at byte {offset}.");
            dest = dest[n..];
            offset += n;
        }
    }

    private sealed record Entry(string Name, string DType, int[] Shape, long Begin, long End);

    private static SafeTensorsFile Parse(long fileLength, ReadAt read, string source)
    {
        CheckpointFormatException Bad(string what) => new($"{source}: {what}");

        if (fileLength < 8)
            throw Bad($"file is {fileLength} bytes, too short to hold the 8-byte header length; it is truncated or not a safetensors file.");
        Span<byte> lenBytes = stackalloc byte[8];
        ReadChecked(read, 0, lenBytes, source);
        ulong headerLenU = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLenU > (ulong)(fileLength - 8))
            throw Bad($"header length field (bytes 0-7) says {headerLenU} bytes but only {fileLength - 8} bytes follow; the file is truncated or not "
                + "a safetensors file.");
        if (headerLenU > MaxHeaderBytes)
            throw Bad($"header length {headerLenU} exceeds the {MaxHeaderBytes}-byte limit.");
        if (headerLenU < 2)
            throw Bad($"header length {headerLenU} is too short to hold a JSON object.");
        int headerLen = (int)headerLenU;
        byte[] header = new byte[headerLen];
        ReadChecked(read, 8, header, source);
        if (header[0] != (byte)'{')
            throw Bad($"header (byte 8) does not start with '{{' (found 0x{header[0]:X2}); not a safetensors file.");
        long bufferStart = 8 + (long)headerLen;
        long bufferLength = fileLength - bufferStart;

        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(header,
                new JsonDocumentOptions { MaxDepth = 8, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Bad("header JSON is not an object.");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                string name = prop.Name;
                if (name == MetadataKey)
                {
                    if (sawMetadata) throw Bad($"header has '{MetadataKey}' twice.");
                    sawMetadata = true;
                    if (prop.Value.ValueKind == JsonValueKind.Null) continue;
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw Bad($"'{MetadataKey}' must be an object of strings, found {prop.Value.ValueKind}.");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw Bad($"metadata value for '{m.Name}' must be a string, found {m.Value.ValueKind}.");
                        if (!metadata.TryAdd(m.Name, m.Value.GetString()!))
                            throw Bad($"metadata key '{m.Name}' appears twice.");
                    }
                    continue;
                }
                if (!seen.Add(name)) throw Bad($"tensor '{name}' appears twice in the header.");
                entries.Add(ParseEntry(name, prop.Value, bufferLength, Bad));
            }
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"{source}: header (bytes 8..{bufferStart}) is not valid JSON: "
                + $"{CheckpointFormatException.OneLine(e.Message, 160)}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new CheckpointFormatException($"{source}: header (bytes 8..{bufferStart}) is malformed: "
                + $"{CheckpointFormatException.OneLine(e.Message, 160)}", e);
        }

        // Tensors must tile the data buffer exactly: sorted by offset, no gap, no overlap, no tail.
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long expect = 0;
        string prev = "the start of the data buffer";
        foreach (var e in sorted)
        {
            if (e.Begin < expect)
                throw Bad($"tensor '{e.Name}' begins at data offset {e.Begin} but {prev} ends at {expect}: tensors overlap.");
            if (e.Begin > expect)
                throw Bad($"tensor '{e.Name}' begins at data offset {e.Begin} but {prev} ends at {expect}: there is a gap of unreferenced bytes.");
            expect = e.End;
            prev = $"tensor '{e.Name}'";
        }
        if (expect != bufferLength)
            throw Bad($"data buffer is {bufferLength} bytes but the tensors cover {expect}: " +
                      (expect < bufferLength ? "trailing bytes after the last tensor." : "the file is truncated."));

        var file = new SafeTensorsFile(metadata);
        foreach (var e in sorted)
        {
            long count = e.DType is "F64" or "I64" ? (e.End - e.Begin) / 8 : (e.End - e.Begin) / 4;
            if (count > Array.MaxLength)
                throw Bad($"tensor '{e.Name}' has {count} elements, more than one array can hold.");
            long at = bufferStart + e.Begin;
            switch (e.DType)
            {
                case "F32":
                {
                    var data = new float[count];
                    ReadElements(read, at, data, source);
                    file.AddTensor(e.Name, new Tensor(data, e.Shape), "F32");
                    break;
                }
                case "F64":
                {
                    var d = new double[count];
                    ReadElements(read, at, d, source);
                    var data = new float[count];
                    for (long i = 0; i < count; i++) data[i] = (float)d[i];
                    file.AddTensor(e.Name, new Tensor(data, e.Shape), "F64");
                    break;
                }
                case "I64":
                {
                    var data = new long[count];
                    ReadElements(read, at, data, source);
                    file.AddInteger(e.Name, new IntegerArray(data, e.Shape), "I64");
                    break;
                }
                case "I32":
                {
                    var d = new int[count];
                    ReadElements(read, at, d, source);
                    var data = new long[count];
                    for (long i = 0; i < count; i++) data[i] = d[i];
                    file.AddInteger(e.Name, new IntegerArray(data, e.Shape), "I32");
                    break;
                }
            }
        }
        return file;
    }

    private static readonly string[] Supported = ["F32", "F64", "I64", "I32"];

    private static Entry ParseEntry(string name, JsonElement v, long bufferLength, Func<string, CheckpointFormatException> bad)
    {
        if (v.ValueKind != JsonValueKind.Object)
            throw bad($"tensor '{name}': header entry must be an object, found {v.ValueKind}.");
        string? dtype = null;
        int[]? shape = null;
        long begin = -1, end = -1;
        foreach (var p in v.EnumerateObject())
        {
            switch (p.Name)
            {
                case "dtype":
                    if (dtype is not null) throw bad($"tensor '{name}': 'dtype' given twice.");
                    if (p.Value.ValueKind != JsonValueKind.String) throw bad($"tensor '{name}': 'dtype' must be a string.");
                    dtype = p.Value.GetString()!;
                    break;
                case "shape":
                {
                    if (shape is not null) throw bad($"tensor '{name}': 'shape' given twice.");
                    if (p.Value.ValueKind != JsonValueKind.Array) throw bad($"tensor '{name}': 'shape' must be an array.");
                    int rank = p.Value.GetArrayLength();
                    if (rank > 32) throw bad($"tensor '{name}': rank {rank} is too large (at most 32).");
                    shape = new int[rank];
                    int i = 0;
                    foreach (var d in p.Value.EnumerateArray())
                    {
                        if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dl))
                            throw bad($"tensor '{name}': shape element {i} is not an integer.");
                        if (dl < 0) throw bad($"tensor '{name}': shape element {i} is negative ({dl}).");
                        if (dl > int.MaxValue) throw bad($"tensor '{name}': shape element {i} = {dl} is too large.");
                        shape[i++] = (int)dl;
                    }
                    break;
                }
                case "data_offsets":
                {
                    if (begin >= 0) throw bad($"tensor '{name}': 'data_offsets' given twice.");
                    if (p.Value.ValueKind != JsonValueKind.Array || p.Value.GetArrayLength() != 2)
                        throw bad($"tensor '{name}': 'data_offsets' must be an array [begin, end].");
                    var a = p.Value[0];
                    var b = p.Value[1];
                    if (a.ValueKind != JsonValueKind.Number || !a.TryGetInt64(out begin) ||
                        b.ValueKind != JsonValueKind.Number || !b.TryGetInt64(out end))
                        throw bad($"tensor '{name}': 'data_offsets' must hold two integers.");
                    if (begin < 0 || end < 0) throw bad($"tensor '{name}': negative data offset [{begin}, {end}].");
                    break;
                }
                default:
                    throw bad($"tensor '{name}': unexpected header field '{p.Name}'.");
            }
        }
        if (dtype is null) throw bad($"tensor '{name}': missing 'dtype'.");
        if (shape is null) throw bad($"tensor '{name}': missing 'shape'.");
        if (begin < 0) throw bad($"tensor '{name}': missing 'data_offsets'.");
        if (Array.IndexOf(Supported, dtype) < 0)
            throw bad($"tensor '{name}': dtype '{dtype}' is not supported (supported: {string.Join(", ", Supported)}).");
        if (end < begin) throw bad($"tensor '{name}': data_offsets [{begin}, {end}] end before they begin.");
        if (end > bufferLength)
            throw bad($"tensor '{name}': data_offsets [{begin}, {end}] run past the end of the {bufferLength}-byte data buffer (truncated file?).");
        long elementSize = dtype is "F64" or "I64" ? 8 : 4;
        // The product cannot overflow before it passes the buffer length, which is below 2^63 / 2^31.
        long volume = 1;
        foreach (int d in shape)
        {
            volume *= d;
            if (volume > bufferLength) { volume = long.MaxValue; break; }
            if (volume == 0) break;
        }
        if (volume == long.MaxValue || volume * elementSize != end - begin)
            throw bad($"tensor '{name}': shape {Tensor.FormatShape(shape)} of {dtype} needs " +
                      (volume == long.MaxValue ? "more bytes than the file holds" : $"{volume * elementSize} bytes") +
                      $" but data_offsets [{begin}, {end}] span {end - begin}.");
        return new Entry(name, dtype, shape, begin, end);
    }

    private static void ReadChecked(ReadAt read, long offset, Span<byte> dest, string source)
    {
        try { read(offset, dest); }
        catch (EndOfStreamException e)
        {
            throw new CheckpointFormatException($"{source}: file ended early while reading {dest.Length} bytes at byte {offset}.", e);
        }
    }

    private static void ReadElements<T>(ReadAt read, long at, T[] data, string source) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(data.AsSpan());
        const int chunk = 1 << 24;
        for (int o = 0; o < bytes.Length; o += chunk)
        {
            int n = Math.Min(chunk, bytes.Length - o);
            ReadChecked(read, at + o, bytes.Slice(o, n), source);
        }
        if (!BitConverter.IsLittleEndian)
        {
            int size = Unsafe.SizeOf<T>();
            for (int i = 0; i < bytes.Length; i += size) bytes.Slice(i, size).Reverse();
        }
    }
}
