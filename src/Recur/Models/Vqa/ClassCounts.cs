using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Vqa;

/// <summary>
/// How many of each class an image holds, read from its locations' class probabilities <c>p_i (K)</c>, features
/// <c>[off, off + K)</c> of each location's <c>f_i (D)</c>: <c>m = Σ_i g_i p_i</c> <c>(B, K)</c>. Without presence
/// <c>g_i = 1</c>; with it (<see cref="VqaConfig.Presence"/>) <c>g_i = σ(w · f_i + b)</c> (<c>presence</c>, <c>D</c> to 1), a
/// learned "something is here" of each location: the classifier was trained on objects only, so an empty location still
/// spreads a whole probability over the classes (half of it on sandal for the default encoder), which an ungated sum counts as
/// objects. The features are frozen: the gradient reaches <c>w</c> and <c>b</c> only.
/// </summary>
internal sealed class ClassCounts
{
    private readonly Linear? _presence;
    private readonly int _l, _d, _off, _k;
    private float[] _g = [], _dg = []; // (B, L): each location's presence and its gradient

    public ClassCounts(ParameterStore store, string prefix, VqaConfig config)
    {
        _l = config.Locations; _d = config.FeatureDim; _off = config.ClassCountOffset; _k = config.ClassCountWidth;
        if (config.Presence) _presence = new Linear(store, Naming.Join(prefix, "presence"), _d, 1);
    }

    public int Threads { set { if (_presence is not null) _presence.Threads = value; } }

    /// <summary>
    /// The presence layer starts at zero, every location half present (<c>σ(0)</c>): the features are wide and unnormalised, and
    /// PyTorch's default initialisation would start most locations in the sigmoid's flat tails, where no gradient teaches it.
    /// </summary>
    public void Reset(Rng rng)
    {
        if (_presence is null) return;
        foreach (var p in _presence.Parameters) p.Value.Clear();
    }

    /// <summary>The presence <c>(B, L)</c> of the last <see cref="Forward"/> (all ones without presence).</summary>
    public ReadOnlySpan<float> Presence(int batch) => _g.AsSpan(0, batch * _l);

    /// <summary>Writes the counts of <paramref name="features"/> <c>(B, L, D)</c> into row b of <paramref name="output"/> at <c>b * stride + at</c>.</summary>
    public void Forward(ReadOnlySpan<float> features, int batch, Span<float> output, int stride, int at)
    {
        int B = batch, L = _l, D = _d, K = _k;
        _g = Buffers.Ensure(_g, B * L);
        if (_presence is null) _g.AsSpan().Fill(1f);
        else
        {
            _presence.Forward(features[..(B * L * D)], B * L, _g);
            TensorPrimitives.Sigmoid(_g, _g);
        }
        for (int b = 0; b < B; b++)
        {
            var counts = output.Slice(b * stride + at, K);
            counts.Clear();
            for (int i = 0; i < L; i++)
                TensorPrimitives.MultiplyAdd(features.Slice((b * L + i) * D + _off, K), _g[b * L + i], counts, counts);
        }
    }

    /// <summary>
    /// Backward of the last <see cref="Forward"/> from the counts' gradient, row b of <paramref name="dcounts"/> at
    /// <c>b * stride + at</c>: the presence layer's gradients (nothing without presence: the features are frozen).
    /// </summary>
    public void Backward(ReadOnlySpan<float> features, int batch, ReadOnlySpan<float> dcounts, int stride, int at)
    {
        if (_presence is null) return;
        int B = batch, L = _l, D = _d, K = _k;
        _dg = Buffers.Ensure(_dg, B * L);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < L; i++)
            {
                float g = _g[b * L + i];
                _dg[b * L + i] = TensorPrimitives.Dot(dcounts.Slice(b * stride + at, K), features.Slice((b * L + i) * D + _off, K)) * g * (1f - g);
            }
        _presence.Backward(features[..(B * L * D)], _dg.AsSpan(0, B * L), B * L, []);
    }
}
