namespace Recur.IO;

/// <summary>How .NET's deflate, zlib and gzip streams say that their input is damaged.</summary>
internal static class CompressedData
{
    /// <summary>
    /// True when <paramref name="e"/> reports damaged compressed input: <see cref="InvalidDataException"/>, or the
    /// runtime's internal <c>System.IO.Compression.ZLibException</c> (an <see cref="IOException"/> that zlib raises for
    /// some damage, such as a distance too far back), which is not public and so is recognised by its name.
    /// </summary>
    public static bool IsDamage(Exception e) =>
        e is InvalidDataException || (e is IOException && e.GetType().FullName == "System.IO.Compression.ZLibException");
}
