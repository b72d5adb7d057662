namespace Recur;

/// <summary>Argument checks whose messages name the argument, the expected and the actual value.</summary>
internal static class Guard
{
    public static void Shape(Tensor? t, string name, params int[] expected)
    {
        if (t is null) throw new ArgumentNullException(name, $"{name} must not be null; expected shape {Tensor.FormatShape(expected)}.");
        if (!t.HasShape(expected))
            throw new ArgumentException(
                $"{name} has shape {t.ShapeString}, expected {Tensor.FormatShape(expected)}.", name);
    }

    public static void Rank(Tensor? t, string name, int rank, string meaning)
    {
        if (t is null) throw new ArgumentNullException(name, $"{name} must not be null; expected a rank-{rank} tensor {meaning}.");
        if (t.Rank != rank)
            throw new ArgumentException($"{name} has shape {t.ShapeString}, expected rank {rank} {meaning}.", name);
    }

    public static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive, got {value}.");
    }

    public static void Length(int actual, int expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has length {actual}, expected {expected}.", name);
    }
}
