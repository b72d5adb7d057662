using System.Globalization;
using Recur.IO;
using Xunit;

namespace Recur.Tests.Training;

/// <summary>Loads the PyTorch fixtures written by Fixtures/make_training_fixtures.py and compares against them.</summary>
internal static class TrainingFixtures
{
    public static SafeTensorsFile Load(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "training", file);
        Assert.True(File.Exists(path), $"fixture {path} is missing; regenerate with /usr/bin/python3 tests/Recur.Tests/Fixtures/make_training_fixtures.py");
        return SafeTensors.Read(path);
    }

    public static double Number(SafeTensorsFile f, string key) =>
        double.Parse(f.Metadata[key], NumberStyles.Float, CultureInfo.InvariantCulture);

    public static double Number(SafeTensorsFile f, string key, double fallback) =>
        f.Metadata.TryGetValue(key, out var s) ? double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture) : fallback;

    public static bool Flag(SafeTensorsFile f, string key) => f.Metadata.TryGetValue(key, out var s) && s == "true";

    /// <summary>
    /// Element-wise agreement: <c>|a - e| &lt;= rtol * (|e| + floor)</c>, where floor is
    /// <paramref name="floorFraction"/> of the reference's largest magnitude (so elements that are
    /// tiny compared with the rest of the tensor are judged on the tensor's scale).
    /// </summary>
    public static void Close(string what, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double rtol = 1e-5, double floorFraction = 1e-3)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxAbs = 0;
        foreach (float e in expected) maxAbs = Math.Max(maxAbs, Math.Abs(e));
        double floor = floorFraction * maxAbs + 1e-30;
        double worst = 0; int at = -1;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            double scaled = d / (rtol * (Math.Abs(expected[i]) + floor));
            if (scaled > worst) { worst = scaled; at = i; }
        }
        Assert.True(worst <= 1.0,
            $"{what}: element {at} is {(at >= 0 ? actual[at] : 0):G9}, expected {(at >= 0 ? expected[at] : 0):G9} (error {worst:F2}x the tolerance rtol={rtol:G})");
    }
}
