namespace Recur.Nn;

internal static class Naming
{
    public static string Join(string prefix, string name) => string.IsNullOrEmpty(prefix) ? name : prefix + "." + name;
}

internal static class Buffers
{
    /// <summary>Returns <paramref name="t"/> when it already has <paramref name="shape"/>, else a new zero tensor.</summary>
    public static Tensor Ensure(Tensor? t, params int[] shape) => t is not null && t.HasShape(shape) ? t : new Tensor(shape);

    public static float[] Ensure(float[]? a, int length) => a is not null && a.Length == length ? a : new float[length];

    /// <summary>Returns <paramref name="a"/> when it holds <paramref name="length"/> elements, else a new zero array.</summary>
    public static T[] Ensure<T>(T[]? a, int length) => a is not null && a.Length == length ? a : new T[length];
}
