namespace Recur.Models.Captioning;

/// <summary>
/// The moving-average baseline <c>b</c> of hard attention's REINFORCE term (<see cref="HardAttention"/>): its value, in nats
/// of <c>log p(y | s, a)</c> per caption, and the number of batches it has averaged (0: not yet started). A training run
/// keeps it in its checkpoint's state, so that a resumed run continues with the same baseline.
/// </summary>
public readonly record struct ReinforceBaseline(float Value, long Updates);

/// <summary>
/// The random choices of one hard-attention training step over <c>T</c> steps of <c>B</c> captions: which captions read the
/// expected (soft) context <c>(B)</c>, and for the others either the uniform <c>u (T, B)</c> that picks each step's location
/// from <c>α_t</c> (<see cref="HardAttention.Sample"/>) or, for tests, the locations themselves <c>(T, B)</c>.
/// </summary>
public sealed class HardAttentionDraws
{
    private HardAttentionDraws(bool[] expected, double[]? uniforms, int[]? locations)
    {
        Expected = expected; Uniforms = uniforms; Locations = locations;
    }

    /// <summary>Per caption <c>(B)</c>: true when it reads the expected context <c>Σ_i α_ti a_i</c> at every step.</summary>
    internal bool[] Expected { get; }

    /// <summary>The uniforms in [0, 1) that pick each step's location <c>(T, B)</c>, or null when <see cref="Locations"/> are given.</summary>
    internal double[]? Uniforms { get; }

    /// <summary>The locations themselves <c>(T, B)</c>, or null when drawn from <see cref="Uniforms"/>.</summary>
    internal int[]? Locations { get; }

    /// <summary>Steps <c>T</c>.</summary>
    internal int Steps => (Uniforms?.Length ?? Locations!.Length) / Expected.Length;

    /// <summary>
    /// Draws from <paramref name="rng"/>: first one uniform per caption (it reads the expected context when the uniform is below
    /// <paramref name="expectedProbability"/>), then <c>T B</c> uniforms, time-major, whatever the captions chose, so that a
    /// step always takes the same number of draws from the stream.
    /// </summary>
    public static HardAttentionDraws Draw(Rng rng, int steps, int batch, float expectedProbability)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (steps < 1 || batch < 1) throw new ArgumentException($"draws need at least one step and one caption, got {steps} x {batch}.");
        var expected = new bool[batch];
        for (int b = 0; b < batch; b++) expected[b] = rng.NextDouble() < expectedProbability;
        var uniforms = new double[steps * batch];
        for (int i = 0; i < uniforms.Length; i++) uniforms[i] = rng.NextDouble();
        return new HardAttentionDraws(expected, uniforms, null);
    }

    /// <summary>Given choices (tests, reference fixtures): <paramref name="expected"/> <c>(B)</c> and <paramref name="locations"/> <c>(T, B)</c>.</summary>
    public static HardAttentionDraws Forced(bool[] expected, int[] locations)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(locations);
        if (expected.Length == 0 || locations.Length == 0 || locations.Length % expected.Length != 0)
            throw new ArgumentException($"{locations.Length} locations are not (T, B) for B = {expected.Length}.");
        return new HardAttentionDraws((bool[])expected.Clone(), null, (int[])locations.Clone());
    }
}
