using Recur.Nn;

namespace Recur.Training;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
/// weight decay, exactly as PyTorch 1.13's <c>torch.optim.SGD</c>:
/// <code>
/// d = g + weight_decay * p
/// if momentum != 0:
///     buf = d                                   (first step)
///     buf = momentum * buf + (1 - dampening) * d (later steps)
///     d = d + momentum * buf   if nesterov else   d = buf
/// p = p - lr * d
/// </code>
/// State: <c>momentum_buffer</c> (only when momentum is non-zero).
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly float[]? _buf;

    /// <summary>Creates SGD over all parameters of <paramref name="store"/>.</summary>
    public Sgd(ParameterStore store, double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
        : base(store, learningRate)
    {
        CheckNonNegative(momentum, nameof(momentum));
        CheckNonNegative(dampening, nameof(dampening));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException(
                $"Nesterov momentum requires momentum > 0 and dampening = 0 (got momentum {momentum}, dampening {dampening}).", nameof(nesterov));
        Momentum = momentum; Dampening = dampening; Nesterov = nesterov; WeightDecay = weightDecay;
        if (momentum != 0) _buf = AddState("momentum_buffer");
    }

    /// <summary>Momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>Dampening of the momentum's gradient term.</summary>
    public double Dampening { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>L2 penalty coefficient added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc />
    protected override void StepCore(Span<float> values, ReadOnlySpan<float> grads, long step)
    {
        var k = new Kernel
        {
            NegLr = new Vector<float>((float)-LearningRate),
            Wd = new Vector<float>((float)WeightDecay),
            HasWd = WeightDecay != 0,
            Mom = new Vector<float>((float)Momentum),
            OneMinusDamp = new Vector<float>((float)(1 - Dampening)),
            HasMomentum = _buf is not null,
            First = step == 1,
            Nesterov = Nesterov,
        };
        Elementwise.Run(k, values, grads, _buf, default, default, Threads);
    }

    private struct Kernel : IUpdateKernel
    {
        public Vector<float> NegLr, Wd, Mom, OneMinusDamp;
        public bool HasWd, HasMomentum, First, Nesterov;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Invoke(ref Vector<float> p, Vector<float> g, ref Vector<float> buf, ref Vector<float> s1, ref Vector<float> s2)
        {
            var d = HasWd ? Vector.FusedMultiplyAdd(p, Wd, g) : g;
            if (HasMomentum)
            {
                buf = First ? d : Vector.FusedMultiplyAdd(d, OneMinusDamp, buf * Mom);
                d = Nesterov ? Vector.FusedMultiplyAdd(buf, Mom, d) : buf;
            }
            p = Vector.FusedMultiplyAdd(d, NegLr, p);
        }
    }
}
