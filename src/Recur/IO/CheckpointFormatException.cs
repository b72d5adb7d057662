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
}
