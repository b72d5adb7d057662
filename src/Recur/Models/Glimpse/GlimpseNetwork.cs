using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Glimpse;

/// <summary>
/// The glimpse network <c>f_g</c> of Mnih et al. 2014, from the sensor's output <c>ρ_t (k g²)</c> and the location
/// <c>l_t (2)</c> to the core's input <c>g_t (G)</c>:
/// <c>h_g = relu(W_g ρ_t + b_g)</c> (<c>glimpse.fc_g</c>), <c>h_l = relu(W_l l_t + b_l)</c> (<c>glimpse.fc_l</c>),
/// <c>g_t = relu(W_hg h_g + W_hl h_l + b)</c> (<c>glimpse.fc_hg</c> with the bias <c>b</c>, <c>glimpse.fc_hl</c> without).
/// The location is an input, not a path for gradients: <c>l_t</c> was sampled (and <c>ρ</c> is not differentiable in it).
/// Buffers for <c>T</c> steps of <c>B</c> images: <c>ρ (T, B, k g²)</c>, <c>l (T, B, 2)</c>, <c>h_g (T, B, H_g)</c>,
/// <c>h_l (T, B, H_l)</c>, <c>g (T, B, G)</c>, all after their ReLUs; the backward runs once over all <c>T B</c> rows.
/// </summary>
internal sealed class GlimpseNetwork
{
    private readonly Linear _fcG, _fcL, _fcHg, _fcHl;
    private readonly int _in, _hg, _hl, _out;
    private int _batch;
    private float[] _rho = [], _loc = [], _hgAct = [], _hlAct = [], _g = []; // (T, B, width) each, see the class comment
    private float[] _scratch = [];                                              // (B, G) W_hl h_l of one step
    private float[] _dHg = [], _dHl = [];                                       // (T, B, H_g), (T, B, H_l)

    public GlimpseNetwork(ParameterStore store, int glimpseSize, int glimpseHidden, int locationHidden, int output)
    {
        (_in, _hg, _hl, _out) = (glimpseSize, glimpseHidden, locationHidden, output);
        _fcG = new Linear(store, "glimpse.fc_g", glimpseSize, glimpseHidden);
        _fcL = new Linear(store, "glimpse.fc_l", 2, locationHidden);
        _fcHg = new Linear(store, "glimpse.fc_hg", glimpseHidden, output);
        _fcHl = new Linear(store, "glimpse.fc_hl", locationHidden, output, bias: false);
    }

    /// <summary>Threads for the GEMMs.</summary>
    public int Threads
    {
        get => _fcG.Threads;
        set { _fcG.Threads = value; _fcL.Threads = value; _fcHg.Threads = value; _fcHl.Threads = value; }
    }

    /// <summary>nn.Linear's default initialisation of the four layers.</summary>
    public void Reset(Rng rng)
    {
        _fcG.Reset(rng);
        _fcL.Reset(rng);
        _fcHg.Reset(rng);
        _fcHl.Reset(rng);
    }

    /// <summary>Sizes the caches for <paramref name="steps"/> steps of <paramref name="batch"/> images.</summary>
    public void Begin(int steps, int batch)
    {
        _batch = batch;
        int n = steps * batch;
        _rho = Buffers.Ensure(_rho, n * _in);
        _loc = Buffers.Ensure(_loc, n * 2);
        _hgAct = Buffers.Ensure(_hgAct, n * _hg);
        _hlAct = Buffers.Ensure(_hlAct, n * _hl);
        _g = Buffers.Ensure(_g, n * _out);
        _scratch = Buffers.Ensure(_scratch, batch * _out);
    }

    /// <summary>Step <paramref name="t"/>'s sensor input <c>ρ_t (B, k g²)</c>, for the caller to fill before <see cref="Forward"/>.</summary>
    public Span<float> GlimpseAt(int t) => _rho.AsSpan(t * _batch * _in, _batch * _in);

    /// <summary>Step <paramref name="t"/>'s location <c>l_t (B, 2)</c>, for the caller to fill before <see cref="Forward"/>.</summary>
    public Span<float> LocationAt(int t) => _loc.AsSpan(t * _batch * 2, _batch * 2);

    /// <summary>The glimpses <c>ρ (T, B, k g²)</c> of the first <paramref name="steps"/> steps.</summary>
    public ReadOnlySpan<float> Glimpses(int steps) => _rho.AsSpan(0, steps * _batch * _in);

    /// <summary>Step <paramref name="t"/>: <c>g_t (B, G)</c> from <see cref="GlimpseAt"/> and <see cref="LocationAt"/>.</summary>
    public ReadOnlySpan<float> Forward(int t)
    {
        int B = _batch;
        var hg = _hgAct.AsSpan(t * B * _hg, B * _hg);
        var hl = _hlAct.AsSpan(t * B * _hl, B * _hl);
        var g = _g.AsSpan(t * B * _out, B * _out);
        _fcG.Forward(GlimpseAt(t), B, hg);
        TensorPrimitives.Max(hg, 0f, hg);
        _fcL.Forward(LocationAt(t), B, hl);
        TensorPrimitives.Max(hl, 0f, hl);
        _fcHg.Forward(hg, B, g);
        _fcHl.Forward(hl, B, _scratch);
        TensorPrimitives.Add(g, _scratch, g);
        TensorPrimitives.Max(g, 0f, g);
        return g;
    }

    /// <summary>
    /// Backward over the first <paramref name="steps"/> steps at once, from <paramref name="dG"/> <c>(T, B, G)</c>, the gradient
    /// on every <c>g_t</c> (overwritten with the gradient before the last ReLU): accumulates every weight's and bias's gradient
    /// (<c>dW += dy^T x</c>, <c>db += Σ_rows dy</c> over all <c>T B</c> rows). Nothing flows into <c>ρ</c> or <c>l</c>.
    /// </summary>
    public void Backward(int steps, Span<float> dG)
    {
        int n = steps * _batch;
        _dHg = Buffers.Ensure(_dHg, n * _hg);
        _dHl = Buffers.Ensure(_dHl, n * _hl);
        ReluBackward(_g.AsSpan(0, n * _out), dG);
        _fcHg.Backward(_hgAct.AsSpan(0, n * _hg), dG, n, _dHg);
        _fcHl.Backward(_hlAct.AsSpan(0, n * _hl), dG, n, _dHl);
        ReluBackward(_hgAct.AsSpan(0, n * _hg), _dHg);
        ReluBackward(_hlAct.AsSpan(0, n * _hl), _dHl);
        _fcG.Backward(_rho.AsSpan(0, n * _in), _dHg, n, []);
        _fcL.Backward(_loc.AsSpan(0, n * 2), _dHl, n, []);
    }

    /// <summary><c>d ⊙= [y > 0]</c>, from the ReLU's output <paramref name="y"/>.</summary>
    private static void ReluBackward(ReadOnlySpan<float> y, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) if (y[i] <= 0f) d[i] = 0f;
    }
}
