using System.Numerics.Tensors;
using Recur.Kernels;
using Recur.Nn;

namespace Recur.Models.Draw;

/// <summary>
/// DRAW's selective read (paper section 3.2, equation 27): a window from the previous decoder state,
/// <c>(g̃_X, g̃_Y, log σ², log δ̃, log γ) = W h_dec_{t-1} + b</c> (<c>read_attn</c>, an <c>nn.Linear(H_dec, 5)</c>; see
/// <see cref="AttentionWindow"/>), its filterbanks <c>F_X (N, A)</c> and <c>F_Y (N, B)</c> (<see cref="Filterbank"/>), and
/// <c>read = γ [F_Y x F_X^T, F_Y x̂ F_X^T]</c>: two <c>N x N</c> glimpses, row-major, <c>2N²</c> floats per image.
/// Caches for <c>T</c> steps of <c>B</c> images: the raw window numbers <c>(T, B, 5)</c>, the windows <c>(T, B)</c>,
/// <c>F_X (T, B, N, A)</c>, <c>F_Y (T, B, N, B)</c>, and <c>F_Y x</c>, <c>F_Y x̂</c> <c>(T, B, 2, N, A)</c>. The products are
/// <see cref="SmallProducts"/>' (a few rows each, too small for <see cref="Gemm"/>).
/// </summary>
internal sealed class AttentionReader : IDrawReader
{
    private readonly Linear _attn;
    private readonly int _w, _h, _n;
    private int _batch;
    private float[] _raw = [], _fx = [], _fy = [];
    private AttentionWindow[] _windows = [];
    private float[] _fyImg = [];   // (T, B, 2, N, W): F_Y x and F_Y x̂ of every step and image
    // Per-image scratch: dG F_X (N, W), dF_X (N, W), dF_Y (N, H); per batch: d raw (B, 5), dh (B, H_dec).
    private readonly float[] _q, _dfx, _dfy;
    private float[] _draw = [], _dh = [];

    public AttentionReader(ParameterStore store, int width, int height, int n, int decoderHidden)
    {
        _attn = new Linear(store, "read_attn", decoderHidden, AttentionWindow.RawSize);
        _w = width; _h = height; _n = n;
        _q = new float[n * width];
        _dfx = new float[n * width]; _dfy = new float[n * height];
    }

    public int Size => 2 * _n * _n;

    public int Threads { get => _attn.Threads; set => _attn.Threads = value; }

    public void Reset(Rng rng) => _attn.Reset(rng);

    public void Begin(int steps, int batch)
    {
        _batch = batch;
        _raw = Buffers.Ensure(_raw, steps * batch * AttentionWindow.RawSize);
        _fx = Buffers.Ensure(_fx, steps * batch * _n * _w);
        _fy = Buffers.Ensure(_fy, steps * batch * _n * _h);
        _fyImg = Buffers.Ensure(_fyImg, steps * batch * 2 * _n * _w);
        if (_windows.Length != steps * batch) _windows = new AttentionWindow[steps * batch];
        _draw = Buffers.Ensure(_draw, batch * AttentionWindow.RawSize);
        _dh = Buffers.Ensure(_dh, batch * _attn.InFeatures);
    }

    /// <summary>The window of image <paramref name="b"/> at step <paramref name="t"/> of the last forward.</summary>
    public AttentionWindow Window(int t, int b) => _windows[t * _batch + b];

    private Span<float> Fx(int t, int b) => _fx.AsSpan((t * _batch + b) * _n * _w, _n * _w);

    private Span<float> Fy(int t, int b) => _fy.AsSpan((t * _batch + b) * _n * _h, _n * _h);

    private Span<float> FyImg(int t, int b) => _fyImg.AsSpan((t * _batch + b) * 2 * _n * _w, 2 * _n * _w);

    public void Forward(int t, ReadOnlySpan<float> x, ReadOnlySpan<float> xHat, ReadOnlySpan<float> hDecPrev, Span<float> r, int ldr)
    {
        int B = _batch, N = _n, W = _w, H = _h, P = W * H, K = AttentionWindow.RawSize;
        var raw = _raw.AsSpan(t * B * K, B * K);
        _attn.Forward(hDecPrev, B, raw);
        for (int b = 0; b < B; b++)
        {
            var win = _windows[t * B + b] = AttentionWindow.FromRaw(raw.Slice(b * K, K), W, H, N);
            var fx = Fx(t, b);
            var fy = Fy(t, b);
            Filterbank.Forward(win.CenterX, win.Stride, win.Variance, N, W, fx);
            Filterbank.Forward(win.CenterY, win.Stride, win.Variance, N, H, fy);
            var fyImg = FyImg(t, b);
            for (int k = 0; k < 2; k++)
            {
                var img = (k == 0 ? x : xHat).Slice(b * P, P);
                var u = fyImg.Slice(k * N * W, N * W);
                // F_Y img (N, W), kept for the backward; then γ (F_Y img) F_X^T (N, N)
                SmallProducts.Rows(N, H, W, 1f, fy, H, 1, img, W, false, u, W);
                SmallProducts.Dots(N, N, W, win.Intensity, u, W, fx, W, false, r.Slice(b * ldr + k * N * N, N * N), N);
            }
        }
    }

    /// <summary>
    /// With <c>G = F_Y img F_X^T</c> and <c>dG = γ dr</c>: <c>dγ = Σ dr ⊙ G = Σ dr ⊙ r / γ</c>,
    /// <c>dF_X += dG^T (F_Y img)</c> (the forward's), <c>Q = dG F_X</c>, <c>dF_Y += Q img^T</c>, and for <c>x̂</c> also
    /// <c>dx̂ = F_Y^T Q</c>; then
    /// back through the filterbanks, the window and <c>read_attn</c>.
    /// </summary>
    public void Backward(int t, ReadOnlySpan<float> x, ReadOnlySpan<float> xHat, ReadOnlySpan<float> hDecPrev, ReadOnlySpan<float> r,
        ReadOnlySpan<float> dr, int ldr, Span<float> dxHat, Span<float> dhDecPrev)
    {
        int B = _batch, N = _n, W = _w, H = _h, P = W * H, K = AttentionWindow.RawSize, NN = N * N;
        var draw = _draw.AsSpan(0, B * K);
        for (int b = 0; b < B; b++)
        {
            var win = _windows[t * B + b];
            var fx = Fx(t, b);
            var fy = Fy(t, b);
            float g = win.Intensity, dIntensity = 0f;
            var fyImg = FyImg(t, b);
            for (int k = 0; k < 2; k++)
            {
                var img = (k == 0 ? x : xHat).Slice(b * P, P);
                var drk = dr.Slice(b * ldr + k * NN, NN);
                dIntensity += TensorPrimitives.Dot(drk, r.Slice(b * ldr + k * NN, NN)) / g;
                bool add = k == 1;
                // dF_X += dG^T (F_Y img); Q = dG F_X (N, W); dF_Y += Q img^T; for x̂, dx̂ = F_Y^T Q (H, W)
                SmallProducts.Rows(N, N, W, g, drk, 1, N, fyImg.Slice(k * N * W, N * W), W, add, _dfx, W);
                SmallProducts.Rows(N, N, W, g, drk, N, 1, fx, W, false, _q, W);
                SmallProducts.Dots(N, H, W, 1f, _q, W, img, W, add, _dfy, H);
                if (k == 1) SmallProducts.Rows(H, N, W, 1f, fy, 1, H, _q, W, false, dxHat.Slice(b * P, P), W);
            }
            var (dgx, dsx, dvx) = Filterbank.Backward(fx, _dfx, win.CenterX, win.Stride, win.Variance, N, W);
            var (dgy, dsy, dvy) = Filterbank.Backward(fy, _dfy, win.CenterY, win.Stride, win.Variance, N, H);
            win.Backward(dgx, dgy, dvx + dvy, dsx + dsy, dIntensity, W, H, draw.Slice(b * K, K));
        }
        var dh = _dh.AsSpan(0, B * _attn.InFeatures);
        _attn.Backward(hDecPrev, draw, B, dh);
        TensorPrimitives.Add(dhDecPrev, dh, dhDecPrev);
    }
}
