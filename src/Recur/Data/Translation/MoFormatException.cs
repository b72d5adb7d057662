namespace Recur.Data.Translation;

/// <summary>
/// A gettext <c>.mo</c> catalogue is malformed or cannot be read: a bad magic number, an unknown revision, a string table
/// or a string outside the file, text that is not valid in the catalogue's charset, a charset the reader does not
/// convert, or a <c>Plural-Forms</c> expression it cannot evaluate. The message is one line naming the file, what was
/// expected and what was found. Plain I/O failures (a missing file) stay <see cref="IOException"/>s.
/// </summary>
public sealed class MoFormatException : Exception
{
    /// <summary>A format error with a message.</summary>
    public MoFormatException(string message) : base(message) { }

    /// <summary>A format error caused by <paramref name="inner"/>.</summary>
    public MoFormatException(string message, Exception inner) : base(message, inner) { }
}
