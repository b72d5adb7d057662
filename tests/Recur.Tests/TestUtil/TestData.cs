namespace Recur.Tests.TestUtil;

/// <summary>Seeded test inputs.</summary>
internal static class TestData
{
    /// <summary><paramref name="n"/> values uniform in [-1, 1) from seed <paramref name="seed"/>.</summary>
    public static float[] Uniform(int n, ulong seed)
    {
        var a = new float[n];
        new Rng(seed).FillUniform(a, -1f, 1f);
        return a;
    }
}
