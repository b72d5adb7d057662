namespace Recur.Export.PyTorch;

/// <summary>
/// The Python sources of the PyTorch export, kept as real <c>.py</c> files under <c>Export/PyTorch/Python/</c> (so they
/// can be read, linted and run as Python) and embedded in the assembly as resources <c>Recur.Export.PyTorch.Python.NAME</c>.
/// </summary>
public static class PythonSources
{
    private const string Prefix = "Recur.Export.PyTorch.Python.";

    /// <summary>The names of every embedded source (<c>cells.py</c>, <c>charlm_model.py</c>, ...).</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(PythonSources).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Select(n => n[Prefix.Length..]).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The text of the source <paramref name="name"/>; throws when the assembly does not hold it.</summary>
    public static string Read(string name)
    {
        using var s = typeof(PythonSources).Assembly.GetManifestResourceStream(Prefix + name)
            ?? throw new InvalidOperationException($"the Python source {name} is not embedded in {typeof(PythonSources).Assembly.GetName().Name}.");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
