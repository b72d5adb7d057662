namespace Recur.Data;

/// <summary>
/// An IDX file (LeCun's MNIST format) is malformed or is not what the reader needs: a bad magic
/// number, an unsupported element type, a header whose size does not match the data, corrupt gzip
/// data, or (for a labelled image set) a wrong shape, a count that differs between the image and
/// label files, or a label out of range. The message names the file, what was expected and what
/// was found. Plain I/O failures (a missing file, a permission error) stay <see cref="IOException"/>s.
/// </summary>
public sealed class IdxFormatException : Exception
{
    /// <summary>A format error with a message.</summary>
    public IdxFormatException(string message) : base(message) { }

    /// <summary>A format error caused by <paramref name="inner"/>.</summary>
    public IdxFormatException(string message, Exception inner) : base(message, inner) { }
}
