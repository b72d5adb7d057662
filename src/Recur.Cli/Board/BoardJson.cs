using System.Text.Json;

namespace Recur.Cli.Board;

/// <summary>Small helpers for the board's hand-written JSON (a <see cref="Utf8JsonWriter"/>; no reflection, so NativeAOT keeps it).</summary>
internal static class BoardJson
{
    /// <summary>A number, or null where it is not finite (JSON has no NaN).</summary>
    public static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    /// <summary>An array of numbers, null for those not finite.</summary>
    public static void Numbers(Utf8JsonWriter w, string name, int count, Func<int, double> value)
    {
        w.WriteStartArray(name);
        for (int i = 0; i < count; i++)
        {
            double v = value(i);
            if (double.IsFinite(v)) w.WriteNumberValue(v);
            else w.WriteNullValue();
        }
        w.WriteEndArray();
    }

    /// <summary>
    /// The JSON text <paramref name="json"/> as the value of <paramref name="name"/>, or null when it is not valid JSON (a file
    /// caught half-written).
    /// </summary>
    public static void Raw(Utf8JsonWriter w, string name, ReadOnlySpan<byte> json)
    {
        w.WritePropertyName(name);
        try
        {
            var r = new Utf8JsonReader(json);
            if (!r.Read()) { w.WriteNullValue(); return; }
            r.Skip();
            if (r.Read()) { w.WriteNullValue(); return; }  // more than one value
        }
        catch (JsonException) { w.WriteNullValue(); return; }
        w.WriteRawValue(json, skipInputValidation: true);
    }

    /// <summary>Writes the object <paramref name="body"/> makes to a byte array.</summary>
    public static byte[] Object(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
