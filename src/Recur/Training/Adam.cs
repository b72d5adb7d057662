using Recur.Nn;

namespace Recur.Training;

/// <summary>
/// Adam with L2 weight decay (coupled, added to the gradient), exactly as PyTorch 1.13's
/// <c>torch.optim.Adam</c>; <see cref="AdamW"/> is the decoupled variant. With step <c>t</c>
/// (1-based):
/// <code>
/// g          = g + weight_decay * p                 (Adam only)
/// p          = p * (1 - lr * weight_decay)          (AdamW only)
/// exp_avg    = beta1 * exp_avg + (1 - beta1) * g
/// exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
/// v          = max(max_exp_avg_sq, exp_avg_sq) -> max_exp_avg_sq   (amsgrad) else exp_avg_sq
/// denom      = sqrt(v) / sqrt(1 - beta2^t) + eps
/// p          = p - lr / (1 - beta1^t) * exp_avg / denom
/// </code>
/// The bias corrections and step size are computed in double and rounded to float, as PyTorch
/// does with its Python-float scalars.
/// State: <c>exp_avg</c>, <c>exp_avg_sq</c>, and <c>max_exp_avg_sq</c> when amsgrad.
/// </summary>
public class Adam : Optimizer
{
    private readonly float[] _expAvg;
    private readonly float[] _expAvgSq;
    private readonly float[]? _maxExpAvgSq;
    private readonly bool _decoupled;

    /// <summary>Creates Adam over all parameters of <paramref name="store"/>.</summary>
    public Adam(ParameterStore store, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : this(store, learningRate, beta1, beta2, eps, weightDecay, amsgrad, decoupled: false)
    {
    }

    /// <summary>Shared constructor for <see cref="Adam"/> and <see cref="AdamW"/>.</summary>
    private protected Adam(ParameterStore store, double learningRate, double beta1, double beta2,
        double eps, double weightDecay, bool amsgrad, bool decoupled)
        : base(store, learningRate)
    {
        CheckUnitInterval(beta1, nameof(beta1));
        CheckUnitInterval(beta2, nameof(beta2));
        CheckNonNegative(eps, nameof(eps));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay; Amsgrad = amsgrad;
        _decoupled = decoupled;
        _expAvg = AddState("exp_avg");
        _expAvgSq = AddState("exp_avg_sq");
        if (amsgrad) _maxExpAvgSq = AddState("max_exp_avg_sq");
    }

    /// <summary>Decay of the first-moment running average.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second-moment running average.</summary>
    public double Beta2 { get; }

    /// <summary>Term added to the denominator for numerical stability.</summary>
    public double Eps { get; }

    /// <summary>Weight decay: L2 penalty for <see cref="Adam"/>, decoupled decay for <see cref="AdamW"/>.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether the AMSGrad variant (running maximum of the second moment) is used.</summary>
    public bool Amsgrad { get; }

    /// <inheritdoc />
    protected sealed override void StepCore(Span<float> values, ReadOnlySpan<float> grads, long step)
    {
        double bc1 = 1 - Math.Pow(Beta1, step);
        double bc2 = 1 - Math.Pow(Beta2, step);
        double stepSize = LearningRate / bc1;
        var k = new Kernel
        {
            NegStepSize = new Vector<float>((float)-stepSize),
            Bc2Sqrt = new Vector<float>((float)Math.Sqrt(bc2)),
            Beta1 = new Vector<float>((float)Beta1),
            Beta2 = new Vector<float>((float)Beta2),
            OneMinusBeta1 = new Vector<float>((float)(1 - Beta1)),
            OneMinusBeta2 = new Vector<float>((float)(1 - Beta2)),
            Eps = new Vector<float>((float)Eps),
            Wd = new Vector<float>((float)WeightDecay),
            Decay = new Vector<float>((float)(1 - LearningRate * WeightDecay)),
            HasWd = WeightDecay != 0 && !_decoupled,
            HasDecay = WeightDecay != 0 && _decoupled,
            Amsgrad = Amsgrad,
        };
        Elementwise.Run(k, values, grads, _expAvg, _expAvgSq, _maxExpAvgSq, Threads);
    }

    private struct Kernel : IUpdateKernel
    {
        public Vector<float> NegStepSize, Bc2Sqrt, Beta1, Beta2, OneMinusBeta1, OneMinusBeta2, Eps, Wd, Decay;
        public bool HasWd, HasDecay, Amsgrad;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Invoke(ref Vector<float> p, Vector<float> g, ref Vector<float> m, ref Vector<float> v, ref Vector<float> vmax)
        {
            if (HasWd) g = Vector.FusedMultiplyAdd(p, Wd, g);
            if (HasDecay) p *= Decay;
            m = Vector.FusedMultiplyAdd(g, OneMinusBeta1, m * Beta1);
            v = v * Beta2 + OneMinusBeta2 * g * g;
            Vector<float> second = v;
            if (Amsgrad)
            {
                vmax = Vector.Max(vmax, v);
                second = vmax;
            }
            var denom = Vector.SquareRoot(second) / Bc2Sqrt + Eps;
            p += NegStepSize * m / denom;
        }
    }
}

/// <summary>
/// AdamW: Adam with decoupled weight decay (Loshchilov &amp; Hutter), exactly as PyTorch 1.13's
/// <c>torch.optim.AdamW</c>: before the Adam update, <c>p = p * (1 - lr * weight_decay)</c>; the
/// gradient itself is not modified. Default weight decay 1e-2, as in PyTorch.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates AdamW over all parameters of <paramref name="store"/>.</summary>
    public AdamW(ParameterStore store, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : base(store, learningRate, beta1, beta2, eps, weightDecay, amsgrad, decoupled: true)
    {
    }
}
