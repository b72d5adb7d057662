using Recur.Nn;

namespace Recur.Training;

/// <summary>
/// RMSprop, exactly as PyTorch 1.13's <c>torch.optim.RMSprop</c>:
/// <code>
/// g          = g + weight_decay * p
/// square_avg = alpha * square_avg + (1 - alpha) * g * g
/// avg        = sqrt(square_avg)                                  (plain)
/// grad_avg   = alpha * grad_avg + (1 - alpha) * g;  avg = sqrt(square_avg - grad_avg^2)   (centered)
/// avg        = avg + eps
/// momentum_buffer = momentum * momentum_buffer + g / avg;  p = p - lr * momentum_buffer   (momentum &gt; 0)
/// p          = p - lr * g / avg                                  (otherwise)
/// </code>
/// State: <c>square_avg</c>, plus <c>momentum_buffer</c> when momentum &gt; 0 and <c>grad_avg</c> when centered.
/// <para>
/// char-rnn (Karpathy) trains with torch7's <c>optim.rmsprop</c> using decay rate 0.95 and
/// epsilon 1e-8: the same <c>sqrt(m) + eps</c> form as here, so
/// <c>new RmsProp(store, 2e-3, alpha: 0.95, eps: 1e-8)</c> reproduces it. PyTorch's defaults are
/// alpha 0.99, eps 1e-8. Both start <c>square_avg</c> (torch7's <c>state.m</c>) at zero; torch7's
/// doc comment says epsilon initialises m, but its code zero-fills it.
/// </para>
/// </summary>
public sealed class RmsProp : Optimizer
{
    private readonly float[] _squareAvg;
    private readonly float[]? _momentumBuffer;
    private readonly float[]? _gradAvg;

    /// <summary>Creates RMSprop over all parameters of <paramref name="store"/>.</summary>
    public RmsProp(ParameterStore store, double learningRate = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(store, learningRate)
    {
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"alpha must be in [0, 1], got {alpha}.");
        CheckNonNegative(eps, nameof(eps));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        CheckNonNegative(momentum, nameof(momentum));
        Alpha = alpha; Eps = eps; WeightDecay = weightDecay; Momentum = momentum; Centered = centered;
        _squareAvg = AddState("square_avg");
        if (momentum > 0) _momentumBuffer = AddState("momentum_buffer");
        if (centered) _gradAvg = AddState("grad_avg");
    }

    /// <summary>Smoothing constant (char-rnn's decay rate).</summary>
    public double Alpha { get; }

    /// <summary>Term added to the root for numerical stability.</summary>
    public double Eps { get; }

    /// <summary>L2 penalty coefficient added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>Whether the second moment is centered by the running mean gradient.</summary>
    public bool Centered { get; }

    /// <inheritdoc />
    protected override void StepCore(Span<float> values, ReadOnlySpan<float> grads, long step)
    {
        var k = new Kernel
        {
            NegLr = new Vector<float>((float)-LearningRate),
            Alpha = new Vector<float>((float)Alpha),
            OneMinusAlpha = new Vector<float>((float)(1 - Alpha)),
            Eps = new Vector<float>((float)Eps),
            Mom = new Vector<float>((float)Momentum),
            Wd = new Vector<float>((float)WeightDecay),
            HasWd = WeightDecay != 0,
            HasMomentum = _momentumBuffer is not null,
            Centered = Centered,
        };
        Elementwise.Run(k, values, grads, _squareAvg, _momentumBuffer, _gradAvg, Threads);
    }

    private struct Kernel : IUpdateKernel
    {
        public Vector<float> NegLr, Alpha, OneMinusAlpha, Eps, Mom, Wd;
        public bool HasWd, HasMomentum, Centered;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Invoke(ref Vector<float> p, Vector<float> g, ref Vector<float> sq, ref Vector<float> buf, ref Vector<float> ga)
        {
            if (HasWd) g = Vector.FusedMultiplyAdd(p, Wd, g);
            sq = sq * Alpha + OneMinusAlpha * g * g;
            Vector<float> avg;
            if (Centered)
            {
                ga = Vector.FusedMultiplyAdd(g, OneMinusAlpha, ga * Alpha);
                avg = Vector.SquareRoot(sq - ga * ga);
            }
            else
            {
                avg = Vector.SquareRoot(sq);
            }
            avg += Eps;
            if (HasMomentum)
            {
                buf = buf * Mom + g / avg;
                p = Vector.FusedMultiplyAdd(buf, NegLr, p);
            }
            else
            {
                p += NegLr * g / avg;
            }
        }
    }
}
