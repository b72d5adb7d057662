namespace Recur.Imaging;

/// <summary>
/// A file that is not a PNG this decoder can read: damaged, truncated, crafted, or of an unsupported kind. The
/// message names the file and the problem.
/// </summary>
public sealed class PngFormatException : Exception
{
    public PngFormatException(string message) : base(message) { }
    public PngFormatException(string message, Exception inner) : base(message, inner) { }
}
