using System.Text.Encodings.Web;
using System.Text.Json;
using Recur.Imaging;
using Recur.IO;
using Recur.Plotting;

namespace Recur.Cli.Commands;

/// <summary>
/// An eval's examples file (<c>vqa.jsonl</c>, <c>tags.jsonl</c>, ...): one JSON object a line, gathered in memory (the
/// selection bounds it) and written at once with <see cref="AtomicFile"/>, so a reader (<c>recur board</c>) never sees
/// half a file.
/// </summary>
internal sealed class ExampleLines(string path)
{
    /// <summary>Examples kept from the start of each split, right or wrong.</summary>
    public const int FirstPerSplit = 500;

    /// <summary>Wrong examples kept past those, per split.</summary>
    public const int MoreWrongPerSplit = 1000;

    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly MemoryStream _bytes = new();

    /// <summary>The file written.</summary>
    public string FilePath { get; } = path;

    /// <summary>Lines added.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// The examples file <paramref name="fileName"/> beside the scores <paramref name="jsonPath"/>, with the scores' suffix
    /// (<c>eval-ensemble.json</c> goes with <c>pronunciations-ensemble.jsonl</c>).
    /// </summary>
    public static ExampleLines Beside(string jsonPath, string fileName)
    {
        string full = Path.GetFullPath(jsonPath), stem = Path.GetFileNameWithoutExtension(full);
        string suffix = stem.StartsWith("eval", StringComparison.Ordinal) ? stem["eval".Length..] : "";
        string name = Path.GetFileNameWithoutExtension(fileName) + suffix + Path.GetExtension(fileName);
        return new ExampleLines(Path.Combine(Path.GetDirectoryName(full)!, name));
    }

    /// <summary>
    /// The folder beside the file that holds its examples' pictures (<c>examples/</c>): the board's examples tab draws them,
    /// its files tab leaves the folder out.
    /// </summary>
    public const string PictureFolder = "examples";

    /// <summary>
    /// Writes <paramref name="image"/> as the picture of example <paramref name="index"/> of <paramref name="split"/>,
    /// <c>examples/NAME-SPLIT-INDEX.png</c> beside the file (NAME the file's own, <c>clips</c> for <c>clips.jsonl</c>), and
    /// returns that path relative to the file's folder, with forward slashes, for the line's <c>picture</c>.
    /// </summary>
    public string Picture(string split, int index, PixelImage image)
    {
        string name = $"{Path.GetFileNameWithoutExtension(FilePath)}-{split}-{index:D5}.png";
        string folder = Path.Combine(Path.GetDirectoryName(FilePath)!, PictureFolder);
        Directory.CreateDirectory(folder);
        Png.Save(Path.Combine(folder, name), image);
        return PictureFolder + "/" + name;
    }

    /// <summary>A new selection for one split: the first <see cref="FirstPerSplit"/>, then up to <see cref="MoreWrongPerSplit"/> wrong.</summary>
    public static ExampleSelection Selection() => new(FirstPerSplit, MoreWrongPerSplit);

    /// <summary>Adds one line: <paramref name="write"/> writes the members of its object.</summary>
    public void Add(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using (var w = new Utf8JsonWriter(_bytes, Options))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }
        _bytes.WriteByte((byte)'\n');
        Count++;
    }

    /// <summary>Writes the file (replacing the one there).</summary>
    public void Save() => AtomicFile.WriteAllBytes(FilePath, _bytes.GetBuffer().AsSpan(0, (int)_bytes.Length));

    /// <summary>
    /// An array of weights rounded to 4 decimals (shorter lines, no precision a picture needs): the member
    /// <paramref name="name"/>, or an array value when it is null.
    /// </summary>
    public static void Weights(Utf8JsonWriter w, string? name, ReadOnlySpan<float> weights)
    {
        if (name is null) w.WriteStartArray();
        else w.WriteStartArray(name);
        foreach (float x in weights) w.WriteNumberValue(Math.Round((double)x, 4));
        w.WriteEndArray();
    }

    /// <summary>An array of strings.</summary>
    public static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (string s in values) w.WriteStringValue(s);
        w.WriteEndArray();
    }
}
