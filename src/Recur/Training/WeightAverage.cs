using System.Numerics;
using System.Runtime.CompilerServices;

namespace Recur.Training;

/// <summary>
/// An exponential moving average of the weights (Polyak-Ruppert averaging with exponential forgetting,
/// as <c>torch.optim.swa_utils.AveragedModel</c> with an EMA function, or TensorFlow's
/// <c>ExponentialMovingAverage</c> with <c>num_updates</c>). After update <c>k</c> (1-based):
/// <c>avg ← avg + (1 − d_k)(w − avg)</c> with <c>d_k = min(decay, (1 + k) / (10 + k))</c>, so the first
/// updates follow the weights closely and the average does not stay near the initialisation.
/// The arithmetic is element-wise and split across threads at vector boundaries, so the result is
/// bit-identical for any thread count.
/// </summary>
public sealed class WeightAverage
{
    /// <summary>Starts the average at <paramref name="initial"/> (copied).</summary>
    public WeightAverage(double decay, ReadOnlySpan<float> initial)
    {
        if (!(decay > 0 && decay < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, $"the averaging decay must be in (0, 1), got {decay}.");
        Decay = decay;
        Values = initial.ToArray();
    }

    /// <summary>The decay <c>d</c> (e.g. 0.999: an average over roughly the last 1,000 updates).</summary>
    public double Decay { get; }

    /// <summary>The averaged weights, as long as the parameter arena's used part.</summary>
    public float[] Values { get; }

    /// <summary>The decay used at update <paramref name="k"/> (1-based): <c>min(Decay, (1 + k) / (10 + k))</c>.</summary>
    public double DecayAt(long k) => Math.Min(Decay, (1.0 + k) / (10.0 + k));

    /// <summary>Folds <paramref name="weights"/> into the average as update number <paramref name="k"/> (1-based).</summary>
    public void Update(ReadOnlySpan<float> weights, long k, int threads)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "updates are numbered from 1.");
        var kernel = new Kernel { Rate = new Vector<float>((float)(1 - DecayAt(k))) };
        Elementwise.Run(kernel, Values, weights, default, default, default, threads);
    }

    private struct Kernel : IUpdateKernel
    {
        public Vector<float> Rate;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Invoke(ref Vector<float> p, Vector<float> g, ref Vector<float> s0, ref Vector<float> s1, ref Vector<float> s2)
            => p = Vector.FusedMultiplyAdd(g - p, Rate, p);
    }
}
