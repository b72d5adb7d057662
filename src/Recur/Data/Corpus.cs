using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Recur.Data;

/// <summary>
/// A text corpus read strictly as UTF-8: a missing or empty file, a NUL byte (binary content) or
/// any invalid UTF-8 sequence is a <see cref="CorpusException"/> naming the file and the byte offset.
/// A leading UTF-8 byte-order mark is dropped; nothing else is changed (line endings stay as they are).
/// </summary>
public sealed class Corpus
{
    /// <summary>The name of the embedded tiny-shakespeare resource.</summary>
    public const string TinyShakespeareResource = "Recur.Data.tinyshakespeare.txt";

    private Corpus(string text, string source, long byteLength)
    {
        Text = text;
        Source = source;
        ByteLength = byteLength;
    }

    /// <summary>The decoded text.</summary>
    public string Text { get; }

    /// <summary>Where the text came from (a path, or <c>embedded:...</c>).</summary>
    public string Source { get; }

    /// <summary>Size of the UTF-8 encoding in bytes (without a byte-order mark).</summary>
    public long ByteLength { get; }

    /// <summary>Loads <paramref name="path"/> as strict UTF-8 text.</summary>
    public static Corpus Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            throw new CorpusException($"{path}: is a folder, expected a UTF-8 text file.");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e) { throw new CorpusException($"{path}: file not found.", e); }
        catch (DirectoryNotFoundException e) { throw new CorpusException($"{path}: folder not found.", e); }
        catch (UnauthorizedAccessException e) { throw new CorpusException($"{path}: permission denied.", e); }
        catch (IOException e) { throw new CorpusException($"{path}: cannot read the file: {e.Message}", e); }
        return FromBytes(bytes, path);
    }

    /// <summary>Decodes <paramref name="bytes"/> as strict UTF-8; <paramref name="source"/> names it in errors.</summary>
    public static Corpus FromBytes(ReadOnlySpan<byte> bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        int bom = bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        var body = bytes[bom..];
        if (body.Length == 0)
            throw new CorpusException($"{source}: file is empty{(bom > 0 ? " (only a byte-order mark)" : "")}; a corpus needs text.");
        int nul = body.IndexOf((byte)0);
        if (nul >= 0)
            throw new CorpusException($"{source}: NUL byte at byte offset {nul + bom}; this looks like a binary file, not UTF-8 text.");
        char[] chars = new char[body.Length];
        var status = Utf8.ToUtf16(body, chars, out int read, out int written, replaceInvalidSequences: false, isFinalBlock: true);
        if (status != OperationStatus.Done)
        {
            long at = read + bom;
            string seen = Convert.ToHexString(body.Slice(read, Math.Min(4, body.Length - read)));
            throw new CorpusException($"{source}: invalid UTF-8 at byte offset {at} (bytes {seen}); the file must be UTF-8 text.");
        }
        return new Corpus(new string(chars, 0, written), source, body.Length);
    }

    /// <summary>A corpus over text already in memory.</summary>
    public static Corpus FromText(string text, string source = "<text>")
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw new CorpusException($"{source}: text is empty; a corpus needs text.");
        return FromBytes(Encoding.UTF8.GetBytes(text), source);
    }

    /// <summary>The source name of the embedded tiny-shakespeare.</summary>
    public const string EmbeddedSource = "embedded:tinyshakespeare.txt";

    /// <summary>The text a run's recorded source names: the embedded tiny-shakespeare for <see cref="EmbeddedSource"/>, else the file.</summary>
    public static Corpus FromSource(string source) => source == EmbeddedSource ? TinyShakespeare() : Load(source);

    /// <summary>Karpathy's tiny-shakespeare (1,115,394 bytes), embedded in the library.</summary>
    public static Corpus TinyShakespeare()
    {
        using Stream s = typeof(Corpus).Assembly.GetManifestResourceStream(TinyShakespeareResource)
            ?? throw new CorpusException($"embedded resource {TinyShakespeareResource} is missing from {typeof(Corpus).Assembly.GetName().Name}.");
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return FromBytes(bytes, EmbeddedSource);
    }
}

/// <summary>A corpus cannot be used: missing, empty, binary or not UTF-8. The message names the file and offset.</summary>
public sealed class CorpusException : Exception
{
    /// <summary>An error with a message.</summary>
    public CorpusException(string message) : base(message) { }

    /// <summary>An error caused by <paramref name="inner"/>.</summary>
    public CorpusException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Train / validation / test splits of a token sequence, contiguous and in order:
/// <c>train = tokens[0 : floor(n (1 - val - test))]</c>, <c>val</c> the next part up to
/// <c>floor(n (1 - test))</c>, <c>test</c> the rest. With <c>test = 0</c> this is nanoGPT's
/// <c>data[:int(n*0.9)]</c> / <c>data[int(n*0.9):]</c> for <c>val = 0.1</c>. The splits are views
/// (no copy) of the token array.
/// </summary>
public sealed class DataSplits
{
    private DataSplits(ReadOnlyMemory<int> train, ReadOnlyMemory<int> val, ReadOnlyMemory<int> test)
    {
        Train = train; Val = val; Test = test;
    }

    /// <summary>The training tokens.</summary>
    public ReadOnlyMemory<int> Train { get; }

    /// <summary>The validation tokens (empty when the fraction is 0).</summary>
    public ReadOnlyMemory<int> Val { get; }

    /// <summary>The test tokens (empty when the fraction is 0).</summary>
    public ReadOnlyMemory<int> Test { get; }

    /// <summary>
    /// Splits <paramref name="tokens"/>. Fractions must be in [0, 1) with a sum below 1, and a positive
    /// fraction must leave at least one token in its split.
    /// </summary>
    public static DataSplits Create(ReadOnlyMemory<int> tokens, double valFraction, double testFraction = 0)
    {
        if (!(valFraction >= 0 && valFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(valFraction), valFraction, $"val fraction must be in [0, 1), got {valFraction}.");
        if (!(testFraction >= 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, $"test fraction must be in [0, 1), got {testFraction}.");
        if (!(valFraction + testFraction < 1))
            throw new ArgumentException(
                $"val fraction {valFraction} + test fraction {testFraction} must be below 1 to leave training data.", nameof(valFraction));
        int n = tokens.Length;
        int trainEnd = (int)Math.Floor(n * (1.0 - valFraction - testFraction));
        int valEnd = testFraction == 0 ? n : (int)Math.Floor(n * (1.0 - testFraction));
        valEnd = Math.Max(valEnd, trainEnd);
        if (trainEnd == 0)
            throw new ArgumentException($"{n} tokens leave no training data with val fraction {valFraction} and test fraction {testFraction}.", nameof(tokens));
        if (valFraction > 0 && valEnd == trainEnd)
            throw new ArgumentException(
                $"val fraction {valFraction} of {n} tokens gives an empty validation split; use more data or a larger fraction.", nameof(valFraction));
        if (testFraction > 0 && valEnd == n)
            throw new ArgumentException(
                $"test fraction {testFraction} of {n} tokens gives an empty test split; use more data or a larger fraction.", nameof(testFraction));
        return new DataSplits(tokens[..trainEnd], tokens[trainEnd..valEnd], tokens[valEnd..]);
    }
}
