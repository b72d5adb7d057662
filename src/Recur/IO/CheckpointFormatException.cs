namespace Recur.IO;

/// <summary>
/// A checkpoint or tensor file is malformed: truncated, corrupted, or not what it claims to be.
/// The message says what is wrong and where (file, tensor name, byte offset), so a user can act on
/// it. Every structural problem a reader finds is reported with this one type; plain I/O failures
/// (a missing file, a permission error) stay <see cref="IOException"/>s.
/// </summary>
public sealed class CheckpointFormatException : Exception
{
    /// <summary>A format error with a message.</summary>
    public CheckpointFormatException(string message) : base(message) { }

    /// <summary>A format error caused by <paramref name="inner"/>.</summary>
    public CheckpointFormatException(string message, Exception inner) : base(message, inner) { }

    /// <summary>
    /// The refusal of a file that is not valid JSON: the parser's reason on one line, at most 160 characters (its
    /// message may quote a token that runs to the end of a damaged file).
    /// </summary>
    internal static CheckpointFormatException NotJson(string path, Exception e) =>
        new($"{path}: not valid JSON ({OneLine(e.Message, 160)}); the file is truncated or corrupted.", e);

    /// <summary><paramref name="text"/> with every run of white space made one space, cut to <paramref name="max"/> characters.</summary>
    internal static string OneLine(string text, int max)
    {
        var joined = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return joined.Length <= max ? joined : string.Concat(joined.AsSpan(0, max - 3), "...");
    }
}
