using Xunit;

namespace Recur.Tests.TestUtil;

/// <summary>The PyTorch fixture files a test class reads: the <c>*.safetensors</c> of one folder under <c>Fixtures/</c>.</summary>
internal static class FixtureFiles
{
    /// <summary>The folder <c>Fixtures/<paramref name="name"/></c> beside the test assembly.</summary>
    public static string Folder(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>The file names of the fixtures in <c>Fixtures/<paramref name="name"/></c>, in ordinal order, for a theory's data.</summary>
    public static TheoryData<string> In(string name)
    {
        var d = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Folder(name), "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal)) d.Add(f!);
        return d;
    }
}
