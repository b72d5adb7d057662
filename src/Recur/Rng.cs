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

    /// <summary>A generator seeded with <paramref name="seed"/>.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

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
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
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

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
