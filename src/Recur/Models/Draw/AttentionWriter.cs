using System.Numerics.Tensors;
using Recur.Kernels;
using Recur.Nn;

namespace Recur.Models.Draw;

/// <summary>
/// DRAW's selective write (paper section 3.2, equations 28-29): a patch <c>w_t = W_w h_dec_t + b_w</c> (<c>write</c>, an
/// <c>nn.Linear(H_dec, N²)</c>, read as <c>N x N</c> row-major), a window of its own,
/// <c>(g̃_X, g̃_Y, log σ², log δ̃, log γ̂) = W h_dec_t + b</c> (<c>write_attn</c>; <see cref="AttentionWindow"/>) with its
/// filterbanks <c>F̂_X (N, A)</c>, <c>F̂_Y (N, B)</c>, and <c>write(h_dec_t) = (1/γ̂) F̂_Y^T w_t F̂_X</c> <c>(B, A)</c>.
/// Caches for <c>T</c> steps of <c>B</c> images: the patches <c>(T, B, N²)</c>, the raw window numbers <c>(T, B, 5)</c>,
/// the windows <c>(T, B)</c>, <c>F̂_X (T, B, N, A)</c>, <c>F̂_Y (T, B, N, B)</c>. The products are
/// <see cref="SmallProducts"/>' (a few rows each, too small for <see cref="Gemm"/>).
/// </summary>
internal sealed class AttentionWriter : IDrawWriter
{
    private readonly Linear _patch, _attn;
    private readonly int _w, _h, _n;
    private int _batch;
    private float[] _patches = [], _raw = [], _fx = [], _fy = [];
    private AttentionWindow[] _windows = [];
    // Per-image scratch: w F̂_X (N, W), F̂_Y dC (N, W), dF̂_X (N, W), dF̂_Y (N, H); per batch: d raw (B, 5), d patch (B, N²), dh (B, H_dec).
    private readonly float[] _wFx, _fyDc, _dfx, _dfy;
    private float[] _draw = [], _dpatch = [], _dh = [];

    public AttentionWriter(ParameterStore store, int width, int height, int n, int decoderHidden)
    {
        _patch = new Linear(store, "write", decoderHidden, n * n);
        _attn = new Linear(store, "write_attn", decoderHidden, AttentionWindow.RawSize);
        _w = width; _h = height; _n = n;
        _wFx = new float[n * width]; _fyDc = new float[n * width]; _dfx = new float[n * width]; _dfy = new float[n * height];
    }

    public int Threads
    {
        get => _patch.Threads;
        set { _patch.Threads = value; _attn.Threads = value; }
    }

    public void Reset(Rng rng)
    {
        _patch.Reset(rng);
        _attn.Reset(rng);
    }

    public void Begin(int steps, int batch)
    {
        _batch = batch;
        int K = AttentionWindow.RawSize;
        _patches = Buffers.Ensure(_patches, steps * batch * _n * _n);
        _raw = Buffers.Ensure(_raw, steps * batch * K);
        _fx = Buffers.Ensure(_fx, steps * batch * _n * _w);
        _fy = Buffers.Ensure(_fy, steps * batch * _n * _h);
        if (_windows.Length != steps * batch) _windows = new AttentionWindow[steps * batch];
        _draw = Buffers.Ensure(_draw, batch * K);
        _dpatch = Buffers.Ensure(_dpatch, batch * _n * _n);
        _dh = Buffers.Ensure(_dh, batch * _attn.InFeatures);
    }

    /// <summary>The window of image <paramref name="b"/> at step <paramref name="t"/> of the last forward.</summary>
    public AttentionWindow Window(int t, int b) => _windows[t * _batch + b];

    private Span<float> Fx(int t, int b) => _fx.AsSpan((t * _batch + b) * _n * _w, _n * _w);

    private Span<float> Fy(int t, int b) => _fy.AsSpan((t * _batch + b) * _n * _h, _n * _h);

    public void Forward(int t, ReadOnlySpan<float> hDec, Span<float> canvas)
    {
        int B = _batch, N = _n, W = _w, H = _h, P = W * H, K = AttentionWindow.RawSize, NN = N * N;
        var patches = _patches.AsSpan(t * B * NN, B * NN);
        var raw = _raw.AsSpan(t * B * K, B * K);
        _patch.Forward(hDec, B, patches);
        _attn.Forward(hDec, B, raw);
        for (int b = 0; b < B; b++)
        {
            var win = _windows[t * B + b] = AttentionWindow.FromRaw(raw.Slice(b * K, K), W, H, N);
            var fx = Fx(t, b);
            var fy = Fy(t, b);
            Filterbank.Forward(win.CenterX, win.Stride, win.Variance, N, W, fx);
            Filterbank.Forward(win.CenterY, win.Stride, win.Variance, N, H, fy);
            // canvas += (1/γ̂) F̂_Y^T (w F̂_X)
            SmallProducts.Rows(N, N, W, 1f, patches.Slice(b * NN, NN), N, 1, fx, W, false, _wFx, W);
            SmallProducts.Rows(H, N, W, 1f / win.Intensity, fy, 1, H, _wFx, W, true, canvas.Slice(b * P, P), W);
        }
    }

    /// <summary>
    /// With <c>M = F̂_Y^T w F̂_X</c> and <c>dM = dC / γ̂</c>: <c>dγ̂ = -Σ dC ⊙ M / γ̂²</c> (<c>Σ dC ⊙ M = Σ (w F̂_X) ⊙ (F̂_Y dC)</c>),
    /// <c>dw = F̂_Y dM F̂_X^T</c>, <c>dF̂_X = w^T F̂_Y dM</c>, <c>dF̂_Y = (w F̂_X) dM^T</c>; then back through the
    /// filterbanks, the window, <c>write_attn</c> and <c>write</c>.
    /// </summary>
    public void Backward(int t, ReadOnlySpan<float> hDec, ReadOnlySpan<float> dCanvas, Span<float> dhDec)
    {
        int B = _batch, N = _n, W = _w, H = _h, P = W * H, K = AttentionWindow.RawSize, NN = N * N;
        var patches = _patches.AsSpan(t * B * NN, B * NN);
        var draw = _draw.AsSpan(0, B * K);
        var dpatch = _dpatch.AsSpan(0, B * NN);
        for (int b = 0; b < B; b++)
        {
            var win = _windows[t * B + b];
            var fx = Fx(t, b);
            var fy = Fy(t, b);
            var w = patches.Slice(b * NN, NN);
            var dc = dCanvas.Slice(b * P, P);
            float inv = 1f / win.Intensity;
            SmallProducts.Rows(N, N, W, 1f, w, N, 1, fx, W, false, _wFx, W);
            SmallProducts.Rows(N, H, W, 1f, fy, H, 1, dc, W, false, _fyDc, W);
            float dIntensity = -TensorPrimitives.Dot(_wFx, _fyDc) * inv * inv;
            SmallProducts.Dots(N, N, W, inv, _fyDc, W, fx, W, false, dpatch.Slice(b * NN, NN), N);
            SmallProducts.Rows(N, N, W, inv, w, 1, N, _fyDc, W, false, _dfx, W);
            SmallProducts.Dots(N, H, W, inv, _wFx, W, dc, W, false, _dfy, H);
            var (dgx, dsx, dvx) = Filterbank.Backward(fx, _dfx, win.CenterX, win.Stride, win.Variance, N, W);
            var (dgy, dsy, dvy) = Filterbank.Backward(fy, _dfy, win.CenterY, win.Stride, win.Variance, N, H);
            win.Backward(dgx, dgy, dvx + dvy, dsx + dsy, dIntensity, W, H, draw.Slice(b * K, K));
        }
        var dh = _dh.AsSpan(0, B * _attn.InFeatures);
        _attn.Backward(hDec, draw, B, dh);
        TensorPrimitives.Add(dhDec, dh, dhDec);
        _patch.Backward(hDec, dpatch, B, dh);
        TensorPrimitives.Add(dhDec, dh, dhDec);
    }
}
