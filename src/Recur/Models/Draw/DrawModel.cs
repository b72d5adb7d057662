using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Draw;

/// <summary>
/// DRAW (Gregor et al. 2015), a recurrent variational auto-encoder that builds an image on a canvas over <c>T</c> steps.
/// With <c>c_0 = 0</c>, <c>h_enc_0 = h_dec_0 = 0</c>, for <c>t = 1..T</c> (paper equations 3-8):
/// <list type="number">
/// <item><c>x̂_t = x - σ(c_{t-1})</c>, the error image;</item>
/// <item><c>r_t = read(x, x̂_t, h_dec_{t-1})</c> (<see cref="PlainReader"/> or <see cref="AttentionReader"/>);</item>
/// <item><c>h_enc_t = LSTM_enc(h_enc_{t-1}, [r_t, h_dec_{t-1}])</c> (<c>encoder.*</c>, an <c>nn.LSTMCell</c>);</item>
/// <item><c>μ_t = W_μ h_enc_t + b_μ</c> (<c>mu</c>), <c>log σ_t = W_σ h_enc_t + b_σ</c> (<c>logsigma</c>),
/// <c>z_t = μ_t + σ_t ε_t</c> with <c>ε_t ~ N(0, I)</c> given by the caller;</item>
/// <item><c>h_dec_t = LSTM_dec(h_dec_{t-1}, z_t)</c> (<c>decoder.*</c>);</item>
/// <item><c>c_t = c_{t-1} + write(h_dec_t)</c> (<see cref="PlainWriter"/> or <see cref="AttentionWriter"/>).</item>
/// </list>
/// The loss per image is <c>L^x + L^z</c> (<see cref="DrawLosses"/>): the Bernoulli NLL of the binarised image under
/// <c>σ(c_T)</c> and <c>Σ_t KL(N(μ_t, σ_t²) ‖ N(0, I))</c>. Images are <c>(B, P)</c> or <c>(B, height, width)</c>, row-major,
/// <c>P = width * height</c>. Buffers for a batch of <c>B</c>: the canvases <c>(T+1, B, P)</c> with slot 0 zero, the error
/// images <c>(T, B, P)</c>, <c>μ</c>, <c>log σ</c>, <c>ε (T, B, Z)</c>; the cells, the read and the write keep their own
/// (<see cref="UnrolledLstmCell"/>; the encoder's inputs <c>[r_t, h_dec_{t-1}]</c> are its <c>(T, B, R + H_dec)</c>, the
/// decoder's <c>z (T, B, Z)</c>).
/// </summary>
public sealed class DrawModel
{
    private readonly UnrolledLstmCell _encoder, _decoder;
    private readonly Linear _mu, _logSigma;
    private readonly IDrawReader _reader;
    private readonly IDrawWriter _writer;
    private int _steps, _batch;
    private bool _backwardReady;   // the caches hold a Forward (Sample overwrites them)
    private float[] _x = [];       // (B, P) the images of the last forward
    private float[] _canvas = [];  // (T+1, B, P) c_t; slot 0 is c_0 = 0
    private float[] _xHat = [];    // (T, B, P) x - σ(c_{t-1})
    private float[] _muOut = [], _logSigmaOut = [], _sigma = [], _eps = []; // (T, B, Z); σ = exp(log σ)
    // Backward scratch: dc (B, P), dx̂ (B, P), dh_dec and its previous (B, H_dec), d[r, h_dec] (B, R + H_dec),
    // dh_enc and its previous, a linear's dx (B, H_enc), dz, dμ, dlog σ (B, Z); σ(c_t) and σ(c_t)² - σ(c_t) (B, P).
    private float[] _sig = [], _sigSlope = [];
    private float[] _dCanvas = [], _dxHat = [], _dhDec = [], _dhDecPrev = [], _dEncIn = [], _dhEnc = [], _dhEncPrev = [], _dhLin = [],
        _dz = [], _dMu = [], _dLogSigma = [];

    public DrawModel(DrawConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Store = new ParameterStore();
        int He = config.EncoderHidden, Hd = config.DecoderHidden, Z = config.Latent;
        _reader = config.Attention
            ? new AttentionReader(Store, config.Width, config.Height, config.ReadN, Hd)
            : new PlainReader(config.Pixels);
        _encoder = new UnrolledLstmCell(Store, "encoder", config.EncoderInput, He);
        _mu = new Linear(Store, "mu", He, Z);
        _logSigma = new Linear(Store, "logsigma", He, Z);
        _decoder = new UnrolledLstmCell(Store, "decoder", Z, Hd);
        _writer = config.Attention
            ? new AttentionWriter(Store, config.Width, config.Height, config.WriteN, Hd)
            : new PlainWriter(Store, Hd, config.Pixels);
    }

    /// <summary>The architecture.</summary>
    public DrawConfig Config { get; }

    /// <summary>Every parameter and its gradient, under PyTorch-style names (<c>encoder.weight_ih</c>, <c>read_attn.weight</c>, ...).</summary>
    public ParameterStore Store { get; }

    /// <summary>Threads for the GEMMs (results do not depend on it).</summary>
    public int Threads
    {
        get => _encoder.Threads;
        set
        {
            _encoder.Threads = value; _decoder.Threads = value; _mu.Threads = value; _logSigma.Threads = value;
            _reader.Threads = value; _writer.Threads = value;
        }
    }

    /// <summary>PyTorch's default initialisation of every module (<c>nn.LSTMCell</c>, <c>nn.Linear</c>).</summary>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _reader.Reset(rng);
        _encoder.Reset(rng);
        _mu.Reset(rng);
        _logSigma.Reset(rng);
        _decoder.Reset(rng);
        _writer.Reset(rng);
    }

    /// <summary>Standard normal noise <c>ε (T, B, Z)</c> for a batch of <paramref name="batch"/> images.</summary>
    public Tensor Noise(Rng rng, int batch)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Guard.Positive(batch, nameof(batch));
        return Tensor.Randn(rng, 1f, Config.Steps, batch, Config.Latent);
    }

    private int CheckImages(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int P = Config.Pixels;
        bool ok = (x.Rank == 2 && x.Shape[1] == P) || (x.Rank == 3 && x.Shape[1] == Config.Height && x.Shape[2] == Config.Width);
        if (!ok || x.Shape[0] == 0)
            throw new ArgumentException($"images have shape {x.ShapeString}, expected (B, {P}) or (B, {Config.Height}, {Config.Width}).", nameof(x));
        return x.Shape[0];
    }

    private void Begin(int steps, int batch, bool encode)
    {
        int P = Config.Pixels, Z = Config.Latent;
        _steps = steps; _batch = batch;
        _decoder.Begin(steps, batch);
        _writer.Begin(steps, batch);
        _canvas = Buffers.Ensure(_canvas, (steps + 1) * batch * P);
        _canvas.AsSpan(0, batch * P).Clear();
        if (!encode) return;
        _reader.Begin(steps, batch);
        _encoder.Begin(steps, batch);
        _x = Buffers.Ensure(_x, batch * P);
        _xHat = Buffers.Ensure(_xHat, steps * batch * P);
        _muOut = Buffers.Ensure(_muOut, steps * batch * Z);
        _logSigmaOut = Buffers.Ensure(_logSigmaOut, steps * batch * Z);
        _sigma = Buffers.Ensure(_sigma, steps * batch * Z);
        _eps = Buffers.Ensure(_eps, steps * batch * Z);
    }

    private Span<float> Canvas(int slot) => _canvas.AsSpan(slot * _batch * Config.Pixels, _batch * Config.Pixels);

    private Span<float> Slice(float[] a, int t, int width) => a.AsSpan(t * _batch * width, _batch * width);

    /// <summary>
    /// The forward pass over a batch of images <paramref name="x"/> with the noise <paramref name="eps"/> <c>(T, B, Z)</c>;
    /// keeps every step for <see cref="Backward"/> and <see cref="Canvases"/>. Returns the batch means of <c>L^x</c> and <c>L^z</c>.
    /// </summary>
    public DrawLoss Forward(Tensor x, Tensor eps)
    {
        int B = CheckImages(x), T = Config.Steps, P = Config.Pixels, Z = Config.Latent, R = _reader.Size, I = Config.EncoderInput;
        int Hd = Config.DecoderHidden;
        Guard.Shape(eps, nameof(eps), T, B, Z);
        Begin(T, B, encode: true);
        x.Data.CopyTo(_x, 0);
        eps.Data.CopyTo(_eps, 0);
        for (int t = 0; t < T; t++)
        {
            var cPrev = Canvas(t);
            var xHat = Slice(_xHat, t, P);
            TensorPrimitives.Sigmoid(cPrev, xHat);
            TensorPrimitives.Subtract(_x.AsSpan(0, B * P), xHat, xHat);
            var hDecPrev = _decoder.State(t);
            var encIn = _encoder.InputAt(t);
            _reader.Forward(t, _x, xHat, hDecPrev, encIn, I);
            for (int b = 0; b < B; b++) hDecPrev.Slice(b * Hd, Hd).CopyTo(encIn.Slice(b * I + R, Hd));
            _encoder.Step(t);
            var hEnc = _encoder.State(t + 1);
            var mu = Slice(_muOut, t, Z);
            var logSigma = Slice(_logSigmaOut, t, Z);
            _mu.Forward(hEnc, B, mu);
            _logSigma.Forward(hEnc, B, logSigma);
            var z = _decoder.InputAt(t);
            var e = Slice(_eps, t, Z);
            var sigma = Slice(_sigma, t, Z);
            for (int i = 0; i < z.Length; i++) z[i] = mu[i] + (sigma[i] = MathF.Exp(logSigma[i])) * e[i];
            _decoder.Step(t);
            cPrev.CopyTo(Canvas(t + 1));
            _writer.Forward(t, _decoder.State(t + 1), Canvas(t + 1));
        }
        _backwardReady = true;
        return new DrawLoss(DrawLosses.BernoulliNll(Canvas(T), _x.AsSpan(0, B * P)) / B,
            DrawLosses.Kl(_muOut.AsSpan(0, T * B * Z), _logSigmaOut.AsSpan(0, T * B * Z), _sigma.AsSpan(0, T * B * Z)) / B);
    }

    /// <summary>
    /// Backpropagation through time for the last <see cref="Forward"/>: adds the gradient of the batch-mean loss
    /// <c>(1/B) Σ_b (L^x + L^z)</c> to every parameter's gradient in <see cref="Store"/> (call <c>Store.ZeroGrad()</c>
    /// first for a fresh gradient). Per step, latest first: the write, the decoder, <c>z = μ + σ ε</c> with the KL's
    /// share (<c>∂/∂μ = μ</c>, <c>∂/∂log σ = σ² - 1</c>; and <c>∂z/∂log σ = σ ε</c>), <c>mu</c> and <c>logsigma</c>,
    /// the encoder, the read, and <c>x̂ = x - σ(c_{t-1})</c>, which carries <c>-dx̂ σ(c)(1 - σ(c))</c> to the canvas.
    /// </summary>
    public void Backward()
    {
        if (!_backwardReady) throw new InvalidOperationException("Backward needs a Forward first (Sample overwrites what Forward kept).");
        int B = _batch, T = _steps, P = Config.Pixels, Z = Config.Latent, R = _reader.Size, I = Config.EncoderInput;
        int Hd = Config.DecoderHidden, He = Config.EncoderHidden;
        float scale = 1f / B;
        _dCanvas = Buffers.Ensure(_dCanvas, B * P); _dxHat = Buffers.Ensure(_dxHat, B * P);
        _dhDec = Buffers.Ensure(_dhDec, B * Hd); _dhDecPrev = Buffers.Ensure(_dhDecPrev, B * Hd);
        _dEncIn = Buffers.Ensure(_dEncIn, B * I);
        _dhEnc = Buffers.Ensure(_dhEnc, B * He); _dhEncPrev = Buffers.Ensure(_dhEncPrev, B * He); _dhLin = Buffers.Ensure(_dhLin, B * He);
        _dz = Buffers.Ensure(_dz, B * Z); _dMu = Buffers.Ensure(_dMu, B * Z); _dLogSigma = Buffers.Ensure(_dLogSigma, B * Z);
        _sig = Buffers.Ensure(_sig, B * P); _sigSlope = Buffers.Ensure(_sigSlope, B * P);
        DrawLosses.BernoulliNllGradient(Canvas(T), _x, scale, _dCanvas);
        Array.Clear(_dhDec);
        Array.Clear(_dhEnc);
        _encoder.BeginBackward();
        _decoder.BeginBackward();
        for (int t = T - 1; t >= 0; t--)
        {
            // c_{t+1} = c_t + write(h_dec_{t+1}): the canvas gradient is the write's.
            _writer.Backward(t, _decoder.State(t + 1), _dCanvas, _dhDec);
            _decoder.StepBackward(t, _dhDec, _dz, _dhDecPrev);
            var mu = Slice(_muOut, t, Z);
            var sigma = Slice(_sigma, t, Z);
            var e = Slice(_eps, t, Z);
            for (int i = 0; i < _dz.Length; i++)
            {
                // z = μ + σ ε, and the KL's share: ∂/∂μ = μ, ∂/∂log σ = σ² - 1
                _dMu[i] = _dz[i] + scale * mu[i];
                _dLogSigma[i] = _dz[i] * e[i] * sigma[i] + scale * (sigma[i] * sigma[i] - 1f);
            }
            var hEnc = _encoder.State(t + 1);
            _mu.Backward(hEnc, _dMu, B, _dhLin);
            TensorPrimitives.Add(_dhEnc, _dhLin, _dhEnc);
            _logSigma.Backward(hEnc, _dLogSigma, B, _dhLin);
            TensorPrimitives.Add(_dhEnc, _dhLin, _dhEnc);
            _encoder.StepBackward(t, _dhEnc, _dEncIn, _dhEncPrev);
            (_dhEnc, _dhEncPrev) = (_dhEncPrev, _dhEnc);
            // The encoder read [r_t, h_dec_{t-1}].
            for (int b = 0; b < B; b++)
                TensorPrimitives.Add(_dhDecPrev.AsSpan(b * Hd, Hd), _dEncIn.AsSpan(b * I + R, Hd), _dhDecPrev.AsSpan(b * Hd, Hd));
            var xHat = Slice(_xHat, t, P);
            _reader.Backward(t, _x, xHat, _decoder.State(t), _encoder.InputAt(t), _dEncIn, I, _dxHat, _dhDecPrev);
            // dc -= dx̂ σ(c)(1 - σ(c)), as dc += dx̂ (σ(c)² - σ(c))
            TensorPrimitives.Sigmoid(Canvas(t), _sig);
            TensorPrimitives.Multiply(_sig, _sig, _sigSlope);
            TensorPrimitives.Subtract(_sigSlope, _sig, _sigSlope);
            TensorPrimitives.MultiplyAdd(_dxHat, _sigSlope, _dCanvas, _dCanvas);
            (_dhDec, _dhDecPrev) = (_dhDecPrev, _dhDec);
        }
        _encoder.EndBackward();
        _decoder.EndBackward();
    }

    /// <summary>
    /// <c>σ(c_t)</c> for <c>t = 1..T</c> of the last <see cref="Forward"/>, <see cref="Reconstruct(Tensor, Tensor)"/> or
    /// <see cref="Sample"/>: <c>(T, B, height, width)</c>, each in [0, 1].
    /// </summary>
    public Tensor Canvases()
    {
        if (_steps == 0) throw new InvalidOperationException("no canvases yet: run Forward, Reconstruct or Sample first.");
        int P = Config.Pixels, n = _steps * _batch * P;
        var data = new float[n];
        var c = _canvas.AsSpan(_batch * P, n);
        for (int i = 0; i < n; i++) data[i] = DrawLosses.Sigmoid(c[i]);
        return new Tensor(data, _steps, _batch, Config.Height, Config.Width);
    }

    /// <summary>
    /// Reconstructions of <paramref name="x"/> with the noise <paramref name="eps"/> <c>(T, B, Z)</c>: the canvases of every
    /// step, as <see cref="Canvases"/>. It is a <see cref="Forward"/>, so <see cref="Backward"/> may follow.
    /// </summary>
    public Tensor Reconstruct(Tensor x, Tensor eps)
    {
        Forward(x, eps);
        return Canvases();
    }

    /// <summary>Reconstructions of <paramref name="x"/> with noise drawn from <paramref name="rng"/> (<see cref="Noise"/>).</summary>
    public Tensor Reconstruct(Tensor x, Rng rng) => Reconstruct(x, Noise(rng, CheckImages(x)));

    /// <summary>
    /// Generation (paper section 2.3): <c>z_t ~ N(0, I)</c> drawn from <paramref name="rng"/> (step by step, image by image),
    /// <c>h_dec_t = LSTM_dec(h_dec_{t-1}, z_t)</c>, <c>c_t = c_{t-1} + write(h_dec_t)</c>; the encoder and the read are not used.
    /// Returns the canvases <c>σ(c_t)</c> <c>(T, count, height, width)</c>. Overwrites what the last <see cref="Forward"/> kept.
    /// </summary>
    public Tensor Sample(Rng rng, int count)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Guard.Positive(count, nameof(count));
        int T = Config.Steps;
        _backwardReady = false;
        Begin(T, count, encode: false);
        for (int t = 0; t < T; t++)
        {
            var z = _decoder.InputAt(t);
            for (int i = 0; i < z.Length; i++) z[i] = rng.NextGaussian();
            _decoder.Step(t);
            Canvas(t).CopyTo(Canvas(t + 1));
            _writer.Forward(t, _decoder.State(t + 1), Canvas(t + 1));
        }
        return Canvases();
    }

    /// <summary>
    /// Image <paramref name="b"/>'s own terms of the bound in the last <see cref="Forward"/>: <c>L^x</c>, the Bernoulli negative
    /// log-likelihood of its pixels under <c>σ(c_T)</c>, and <c>L^z</c>, the KL of its posteriors summed over the steps (the batch
    /// means <see cref="Forward"/> returns are the means of these).
    /// </summary>
    public (double Reconstruction, double Latent) ImageBound(int b)
    {
        if (!_backwardReady) throw new InvalidOperationException("ImageBound needs a Forward first (Sample overwrites what Forward kept).");
        if ((uint)b >= (uint)_batch) throw new ArgumentOutOfRangeException(nameof(b), b, $"the last forward held {_batch} image(s).");
        int P = Config.Pixels, Z = Config.Latent;
        double lx = DrawLosses.BernoulliNll(Canvas(_steps).Slice(b * P, P), _x.AsSpan(b * P, P)), lz = 0;
        for (int t = 0; t < _steps; t++)
            lz += DrawLosses.Kl(_muOut.AsSpan((t * _batch + b) * Z, Z), _logSigmaOut.AsSpan((t * _batch + b) * Z, Z));
        return (lx, lz);
    }

    /// <summary>The read window of image <paramref name="b"/> at step <paramref name="t"/> of the last forward (attention only).</summary>
    public AttentionWindow ReadWindow(int t, int b) => _reader is AttentionReader a
        ? a.Window(t, b) : throw new InvalidOperationException("the model without attention reads the whole image.");

    /// <summary>The write window of image <paramref name="b"/> at step <paramref name="t"/> of the last forward or sample (attention only).</summary>
    public AttentionWindow WriteWindow(int t, int b) => _writer is AttentionWriter a
        ? a.Window(t, b) : throw new InvalidOperationException("the model without attention writes the whole canvas.");
}
