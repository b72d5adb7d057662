namespace Recur;

/// <summary>
/// Seeded pseudo-random numbers (xoshiro256**, seeded through SplitMix64). The whole state is
/// four 64-bit words, readable and writable through <see cref="State"/>, so a checkpoint can
/// resume a run bit for bit. Gaussians use Box–Muller without a cached second value, so the
/// state really is just those four words.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private float[]? _keepScript; // a test's keep decisions for FillKeepMask (WithKeepDecisions); null = draw them
    private int _keepAt;

    /// <summary>A generator seeded with <paramref name="seed"/>.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>
    /// Testing hook: a generator (seeded with <paramref name="seed"/> for every other draw) whose <see cref="FillKeepMask"/>
    /// takes its keep decisions from <paramref name="keep"/> in order (nonzero = kept) instead of drawing them, so that a
    /// test can hand a model the dropout masks a reference drew; the scaling stays the caller's. Running out throws.
    /// </summary>
    internal static Rng WithKeepDecisions(ReadOnlySpan<float> keep, ulong seed = 1) => new(seed) { _keepScript = keep.ToArray() };

    /// <summary>Keep decisions of <see cref="WithKeepDecisions"/> not yet used (0 for a drawing generator).</summary>
    internal int KeepDecisionsLeft => _keepScript is null ? 0 : _keepScript.Length - _keepAt;

    /// <summary>The generator state, for checkpoints.</summary>
    public ulong[] State
    {
        get => [_s0, _s1, _s2, _s3];
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Guard.Length(value.Length, 4, nameof(State));
            if ((value[0] | value[1] | value[2] | value[3]) == 0)
                throw new ArgumentException("an all-zero xoshiro state is invalid.", nameof(State));
            (_s0, _s1, _s2, _s3) = (value[0], value[1], value[2], value[3]);
        }
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => Step(ref _s0, ref _s1, ref _s2, ref _s3);

    /// <summary>One xoshiro256** step on the given state words: returns the output and advances the state.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong Step(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        ulong result = BitOperations.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = BitOperations.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 24 bits of precision.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 bits of precision.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be positive.");
        return (int)((NextUInt64() >> 33) * (ulong)n >> 31);
    }

    /// <summary>A standard normal sample (Box–Muller).</summary>
    public float NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]
        double u2 = NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    /// <summary>Fills <paramref name="dst"/> with U(lo, hi).</summary>
    public void FillUniform(Span<float> dst, float lo, float hi)
    {
        float w = hi - lo;
        for (int i = 0; i < dst.Length; i++) dst[i] = lo + w * NextFloat();
    }

    /// <summary>
    /// A Bernoulli keep-mask: each element is <paramref name="keep"/> with probability <c>1 - p</c> and 0
    /// otherwise. Every 64 random bits decide two elements: the low 32 bits the first, the high 32 the second
    /// (an element is kept when its 32-bit draw <c>u</c> satisfies <c>u >= round(p * 2^32)</c>), so an odd
    /// length leaves the last draw's high half unused. The generator state lives in registers for the
    /// whole span and the selection is branch-free (dropout at p = 0.3 would otherwise mispredict often).
    /// </summary>
    public void FillKeepMask(Span<float> mask, float p, float keep)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, $"p must be in [0, 1), got {p}.");
        if (_keepScript is not null) { FillScripted(mask, keep); return; }
        long threshold = (long)Math.Round(p * 4294967296.0);
        int keepBits = BitConverter.SingleToInt32Bits(keep);
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        int n = mask.Length;
        for (int i = 0; i < n; i += 2)
        {
            ulong x = Step(ref s0, ref s1, ref s2, ref s3);
            // all ones when the draw is at or above the threshold, else zero
            mask[i] = BitConverter.Int32BitsToSingle(keepBits & ~(int)(((long)(uint)x - threshold) >> 63));
            if (i + 1 < n) mask[i + 1] = BitConverter.Int32BitsToSingle(keepBits & ~(int)(((long)(x >> 32) - threshold) >> 63));
        }
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    private void FillScripted(Span<float> mask, float keep)
    {
        if (mask.Length > KeepDecisionsLeft)
            throw new InvalidOperationException($"a mask of {mask.Length} asked of {KeepDecisionsLeft} scripted keep decisions left.");
        for (int i = 0; i < mask.Length; i++) mask[i] = _keepScript![_keepAt++] != 0f ? keep : 0f;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
