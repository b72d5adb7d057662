using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Draw;

/// <summary>
/// DRAW without attention, read side (paper equation 17): <c>read(x, x̂_t, h_dec_{t-1}) = [x, x̂_t]</c>, both whole images,
/// <c>2P</c> floats per image. No parameters, no caches.
/// </summary>
internal sealed class PlainReader(int pixels) : IDrawReader
{
    public int Size => 2 * pixels;

    public int Threads { get; set; } = 1;

    public void Reset(Rng rng) { }

    public void Begin(int steps, int batch) { }

    public void Forward(int t, ReadOnlySpan<float> x, ReadOnlySpan<float> xHat, ReadOnlySpan<float> hDecPrev, Span<float> r, int ldr)
    {
        int P = pixels, B = x.Length / P;
        for (int b = 0; b < B; b++)
        {
            x.Slice(b * P, P).CopyTo(r.Slice(b * ldr, P));
            xHat.Slice(b * P, P).CopyTo(r.Slice(b * ldr + P, P));
        }
    }

    /// <summary>The gradient on <c>x̂</c> is the read gradient's second half; <c>x</c> is data and <c>h_dec</c> is not read.</summary>
    public void Backward(int t, ReadOnlySpan<float> x, ReadOnlySpan<float> xHat, ReadOnlySpan<float> hDecPrev, ReadOnlySpan<float> r,
        ReadOnlySpan<float> dr, int ldr, Span<float> dxHat, Span<float> dhDecPrev)
    {
        int P = pixels, B = x.Length / P;
        for (int b = 0; b < B; b++) dr.Slice(b * ldr + P, P).CopyTo(dxHat.Slice(b * P, P));
    }
}

/// <summary>
/// DRAW without attention, write side (paper equation 18): <c>write(h_dec_t) = W h_dec_t + b</c> over the whole canvas,
/// one <c>nn.Linear(H_dec, P)</c> named <c>write</c>. Scratch: the write <c>(B, P)</c> and <c>dh_dec (B, H_dec)</c>.
/// </summary>
internal sealed class PlainWriter : IDrawWriter
{
    private readonly Linear _write;
    private float[] _out = [], _dh = [];

    public PlainWriter(ParameterStore store, int decoderHidden, int pixels) => _write = new Linear(store, "write", decoderHidden, pixels);

    public int Threads { get => _write.Threads; set => _write.Threads = value; }

    public void Reset(Rng rng) => _write.Reset(rng);

    public void Begin(int steps, int batch)
    {
        _out = Buffers.Ensure(_out, batch * _write.OutFeatures);
        _dh = Buffers.Ensure(_dh, batch * _write.InFeatures);
    }

    public void Forward(int t, ReadOnlySpan<float> hDec, Span<float> canvas)
    {
        int n = hDec.Length / _write.InFeatures;
        var w = _out.AsSpan(0, n * _write.OutFeatures);
        _write.Forward(hDec, n, w);
        TensorPrimitives.Add(canvas, w, canvas);
    }

    public void Backward(int t, ReadOnlySpan<float> hDec, ReadOnlySpan<float> dCanvas, Span<float> dhDec)
    {
        int n = hDec.Length / _write.InFeatures;
        var dh = _dh.AsSpan(0, n * _write.InFeatures);
        _write.Backward(hDec, dCanvas, n, dh);
        TensorPrimitives.Add(dhDec, dh, dhDec);
    }
}
