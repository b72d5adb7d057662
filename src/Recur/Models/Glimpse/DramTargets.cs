namespace Recur.Models.Glimpse;

/// <summary>
/// The targets and rewards of a <see cref="DeepRecurrentAttentionModel"/>, span in, span out. A scene of <c>n</c> objects
/// (classes <c>y_0 .. y_{n-1}</c> in reading order) has targets <c>(S)</c> for the <c>S = N + 1</c> slots:
/// <c>y_0 .. y_{n-1}</c>, then the end symbol <c>K</c> at slot <c>n</c>, then <see cref="Ignore"/> (slots the scene does not
/// score). Slot <c>s</c> is <em>active</em> when <c>s ≤ n</c>.
/// </summary>
public static class DramTargets
{
    /// <summary>The target of a slot after the end symbol: not scored.</summary>
    public const int Ignore = -100;

    /// <summary>
    /// Fills <paramref name="targets"/> <c>(S)</c> for the classes <paramref name="classes"/> in reading order (at most
    /// <c>S - 1</c> of them, each in <c>[0, end)</c>), the end symbol <paramref name="end"/> after them.
    /// </summary>
    public static void Fill(ReadOnlySpan<int> classes, int end, Span<int> targets)
    {
        if (classes.Length >= targets.Length)
            throw new ArgumentException($"a scene of {classes.Length} object(s) needs {classes.Length + 1} slots, the model has {targets.Length}.");
        for (int s = 0; s < targets.Length; s++)
        {
            int y = s < classes.Length ? classes[s] : s == classes.Length ? end : Ignore;
            if (s < classes.Length && (uint)y >= (uint)end) throw new ArgumentException($"object classes must be in [0, {end}), got {y}.");
            targets[s] = y;
        }
    }

    /// <summary>
    /// The number of objects of one scene's targets <paramref name="row"/> <c>(S)</c> (the slot of its end symbol), checking the
    /// shape: classes in <c>[0, end)</c>, one <paramref name="end"/>, then only <see cref="Ignore"/>.
    /// </summary>
    public static int Count(ReadOnlySpan<int> row, int end)
    {
        int n = row.IndexOf(end);
        if (n < 0) throw new ArgumentException($"a scene's targets must hold the end symbol {end}.");
        for (int s = 0; s < row.Length; s++)
        {
            bool ok = s < n ? (uint)row[s] < (uint)end : s == n || row[s] == Ignore;
            if (!ok) throw new ArgumentException($"targets are classes in [0, {end}), the end symbol {end}, then {Ignore}; slot {s} holds {row[s]}.");
        }
        return n;
    }

    /// <summary>
    /// The returns <paramref name="returns"/> <c>(T, B)</c> of the policy: the location of glimpse <c>t</c> acts on the slots
    /// <c>s ≥ ⌊t / G⌋</c>, so its return is the reward to go, <c>R_t = Σ_{s ≥ ⌊t/G⌋, s active} c_s</c>, with
    /// <paramref name="correct"/> <c>c (S, B)</c> 1 where a slot's argmax is its target; 0 where glimpse <c>t</c> is past the
    /// scene's end slot (<paramref name="active"/> <c>(T, B)</c> says which glimpses count).
    /// </summary>
    public static void Returns(ReadOnlySpan<float> correct, ReadOnlySpan<int> counts, int slots, int perObject, Span<float> returns, Span<bool> active)
    {
        int B = counts.Length, T = slots * perObject;
        Guard.Length(correct.Length, slots * B, nameof(correct));
        Guard.Length(returns.Length, T * B, nameof(returns));
        Guard.Length(active.Length, T * B, nameof(active));
        for (int b = 0; b < B; b++)
        {
            float toGo = 0f;
            for (int t = T - 1; t >= 0; t--)
            {
                int s = t / perObject;
                bool on = s <= counts[b];
                if (on && t % perObject == perObject - 1) toGo += correct[s * B + b];
                returns[t * B + b] = on ? toGo : 0f;
                active[t * B + b] = on;
            }
        }
    }

    /// <summary>
    /// The sequence read from one scene's argmaxes <paramref name="predicted"/> <c>(S)</c>: the classes before the first end
    /// symbol <paramref name="end"/> (all <c>S</c> of them when none is the end: the model never said it was done).
    /// </summary>
    public static int[] Sequence(ReadOnlySpan<int> predicted, int end)
    {
        int n = predicted.IndexOf(end);
        return (n < 0 ? predicted : predicted[..n]).ToArray();
    }
}
