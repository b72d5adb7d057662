using System.Buffers;
using System.Text.Json;
using Recur.IO;

namespace Recur.Training;

/// <summary>Temporary: the config writer of the checkpoint formats not yet on <see cref="CheckpointFormat{TSaved}"/>.</summary>
internal static class LegacyModelFiles
{
    public static void WriteConfig(string directory, string format, string task, Action<Utf8JsonWriter> sections,
        TrainOptions? training, CheckpointProgress? progress, DataInfo? data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", format);
            w.WriteNumber("version", CheckpointFiles.Version);
            w.WriteString("task", task);
            sections(w);
            if (training is not null) { w.WritePropertyName("training"); CheckpointSections.Write(w, training); }
            if (progress is not null) { w.WritePropertyName("progress"); CheckpointSections.Write(w, progress); }
            if (data is not null) { w.WritePropertyName("data"); CheckpointSections.Write(w, data); }
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(Path.Combine(directory, CheckpointFiles.ConfigFile), [.. buffer.WrittenSpan, (byte)'\n']);
    }
}
