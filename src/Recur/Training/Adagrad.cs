using Recur.Nn;

namespace Recur.Training;

/// <summary>
/// Adagrad, exactly as PyTorch 1.13's <c>torch.optim.Adagrad</c> (dense gradients):
/// <code>
/// g   = g + weight_decay * p
/// clr = lr / (1 + (step - 1) * lr_decay)
/// sum = sum + g * g                       (sum starts at initial_accumulator_value)
/// p   = p - clr * g / (sqrt(sum) + eps)
/// </code>
/// State: <c>sum</c>.
/// <para>
/// min-char-rnn writes <c>p += -lr * g / np.sqrt(mem + 1e-8)</c> with lr 0.1, i.e. epsilon
/// <em>inside</em> the square root; set <see cref="EpsilonInsideSqrt"/> (with eps 1e-8) for a
/// faithful port. PyTorch's default eps is 1e-10, added outside the root.
/// </para>
/// </summary>
public sealed class Adagrad : Optimizer
{
    private readonly float[] _sum;

    /// <summary>Creates Adagrad over all parameters of <paramref name="store"/>.</summary>
    public Adagrad(ParameterStore store, double learningRate = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool epsilonInsideSqrt = false)
        : base(store, learningRate)
    {
        CheckNonNegative(lrDecay, nameof(lrDecay));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        CheckNonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue));
        CheckNonNegative(eps, nameof(eps));
        LrDecay = lrDecay; WeightDecay = weightDecay; InitialAccumulatorValue = initialAccumulatorValue;
        Eps = eps; EpsilonInsideSqrt = epsilonInsideSqrt;
        _sum = AddState("sum", (float)initialAccumulatorValue);
    }

    /// <summary>Learning-rate decay per step.</summary>
    public double LrDecay { get; }

    /// <summary>L2 penalty coefficient added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Starting value of the <c>sum</c> accumulator.</summary>
    public double InitialAccumulatorValue { get; }

    /// <summary>Term added for numerical stability.</summary>
    public double Eps { get; }

    /// <summary>When true the denominator is <c>sqrt(sum + eps)</c> (min-char-rnn) instead of <c>sqrt(sum) + eps</c> (PyTorch).</summary>
    public bool EpsilonInsideSqrt { get; }

    /// <inheritdoc />
    protected override void StepCore(Span<float> values, ReadOnlySpan<float> grads, long step)
    {
        double clr = LearningRate / (1 + (step - 1) * LrDecay);
        var k = new Kernel
        {
            NegClr = new Vector<float>((float)-clr),
            Wd = new Vector<float>((float)WeightDecay),
            HasWd = WeightDecay != 0,
            Eps = new Vector<float>((float)Eps),
            Inside = EpsilonInsideSqrt,
        };
        Elementwise.Run(k, values, grads, _sum, default, default, Threads);
    }

    private struct Kernel : IUpdateKernel
    {
        public Vector<float> NegClr, Wd, Eps;
        public bool HasWd, Inside;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Invoke(ref Vector<float> p, Vector<float> g, ref Vector<float> sum, ref Vector<float> s1, ref Vector<float> s2)
        {
            if (HasWd) g = Vector.FusedMultiplyAdd(p, Wd, g);
            sum += g * g;
            var std = Inside ? Vector.SquareRoot(sum + Eps) : Vector.SquareRoot(sum) + Eps;
            p += NegClr * g / std;
        }
    }
}
