using Recur.Models.Decoding;
using Recur.Nn;

namespace Recur.Models.Captioning;

/// <summary>
/// The two captioners without attention; the image is the whole grid flattened, <c>v (B, L*D)</c>.
/// <list type="bullet">
/// <item><c>rnn</c>, the lectures' vanilla RNN with the image inside the recurrence:
/// <c>h_t = tanh(W_xh x_t + W_hh h_{t-1} + W_ih v' + b)</c> with <c>v' = W_v v + b_v</c> (module <c>image</c>), computed as
/// an <c>nn.RNN</c> (<c>rnn</c>) over <c>[x_t ; v']</c> from <c>h_0 = 0</c>.</item>
/// <item><c>lstm</c>: an <c>nn.LSTM</c> (<c>rnn</c>) over the word vectors from <c>h_0 = W_h v + b_h</c>,
/// <c>c_0 = W_c v + b_c</c> (modules <c>init_h</c>, <c>init_c</c>).</item>
/// </list>
/// Both: word vectors from <c>embed</c> (<c>nn.Embedding</c>), logits from <c>head</c> (<c>nn.Linear</c>, H to V).
/// </summary>
public sealed class RecurrentCaptioner : ICaptioner
{
    private readonly Embedding _embed;
    private readonly Linear? _image, _initH, _initC;
    private readonly Recurrent _rnn;
    private readonly Linear _head;
    private int[] _inputs = [], _targets = [];
    private Tensor? _x, _proj, _dproj, _h0, _c0, _logits, _dOut, _out;

    public RecurrentCaptioner(CaptionerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (config.Kind is not ("rnn" or "lstm")) throw new ArgumentException($"a recurrent captioner is rnn or lstm, not {config.Kind}.");
        Config = config;
        Store = new ParameterStore();
        int V = config.Vocab, E = config.Embed, H = config.Hidden, F = config.Locations * config.FeatureDim;
        _embed = new Embedding(Store, "embed", V, E);
        if (IsRnn)
        {
            _image = new Linear(Store, "image", F, H);
            _rnn = new Recurrent(Store, "rnn", "rnn", E + H, H, 1);
        }
        else
        {
            _initH = new Linear(Store, "init_h", F, H);
            _initC = new Linear(Store, "init_c", F, H);
            _rnn = new Recurrent(Store, "rnn", "lstm", E, H, 1);
        }
        _head = new Linear(Store, "head", H, V);
    }

    private bool IsRnn => Config.Kind == "rnn";

    /// <inheritdoc/>
    public CaptionerConfig Config { get; }

    /// <inheritdoc/>
    public ParameterStore Store { get; }

    /// <inheritdoc/>
    public int Threads
    {
        get => _head.Threads;
        set
        {
            _rnn.Threads = value; _head.Threads = value;
            if (_image is not null) _image.Threads = value;
            if (_initH is not null) { _initH.Threads = value; _initC!.Threads = value; }
        }
    }

    /// <inheritdoc/>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _embed.Reset(rng);
        _image?.Reset(rng);
        _initH?.Reset(rng);
        _initC?.Reset(rng);
        _rnn.Reset(rng);
        _head.Reset(rng);
    }

    private void CheckFeatures(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rank != 3 || features.Shape[1] != Config.Locations || features.Shape[2] != Config.FeatureDim)
            throw new ArgumentException($"features have shape {features.ShapeString}, expected (B, {Config.Locations}, {Config.FeatureDim}).");
    }

    /// <summary>Teacher-forced forward: logits <c>(T*B, V)</c>; sets up the targets.</summary>
    private (int T, int B, int Words) Forward(Tensor features, int[] captions, bool training, Rng? rng)
    {
        CheckFeatures(features);
        int B = features.Shape[0], W = Config.MaxWords + 2, H = Config.Hidden, E = Config.Embed;
        int T = CaptionSteps.Steps(captions, B, W);
        if (_inputs.Length != T * B) { _inputs = new int[T * B]; _targets = new int[T * B]; }
        int words = CaptionSteps.Split(captions, B, W, T, _inputs, _targets);
        RecurrentOutput o;
        if (IsRnn)
        {
            _proj = Buffers.Ensure(_proj, B, H);
            _image!.Forward(features.Data, B, _proj.Data);
            _x = Buffers.Ensure(_x, T, B, E + H);
            for (int t = 0; t < T; t++)
                for (int b = 0; b < B; b++)
                {
                    var row = _x.Data.AsSpan((t * B + b) * (E + H), E + H);
                    _embed.Forward(_inputs.AsSpan(t * B + b, 1), row[..E]);
                    _proj.Data.AsSpan(b * H, H).CopyTo(row[E..]);
                }
            o = _rnn.Forward(_x, training: training, rng: rng);
        }
        else
        {
            _h0 = Buffers.Ensure(_h0, 1, B, H);
            _c0 = Buffers.Ensure(_c0, 1, B, H);
            _initH!.Forward(features.Data, B, _h0.Data);
            _initC!.Forward(features.Data, B, _c0.Data);
            o = _rnn.ForwardTokens(_inputs, T, B, _embed.Weight, _h0, _c0, training, rng);
        }
        _logits = Buffers.Ensure(_logits, T * B, Config.Vocab);
        _head.Forward(o.Output.Data.AsSpan(0, T * B * H), T * B, _logits.Data);
        _out = o.Output;
        return (T, B, words);
    }

    /// <inheritdoc/>
    public CaptionLoss Loss(Tensor features, int[] captions)
    {
        var (T, B, words) = Forward(features, captions, training: false, rng: null);
        double ce = SoftmaxCrossEntropy.Loss<float>(_logits!.Data, T * B, Config.Vocab, _targets);
        return new CaptionLoss(ce, 0, words);
    }

    /// <inheritdoc/>
    public CaptionLoss TrainStep(Tensor features, int[] captions, Rng rng)
    {
        Store.ZeroGrad();
        var (T, B, words) = Forward(features, captions, training: true, rng);
        int H = Config.Hidden, E = Config.Embed;
        double ce = SoftmaxCrossEntropy.LossAndGradient<float>(_logits!.Data, T * B, Config.Vocab, _targets, _logits.Data,
            labelSmoothing: Config.LabelSmoothing);
        _dOut = Buffers.Ensure(_dOut, T, B, H);
        _head.Backward(_out!.Data.AsSpan(0, T * B * H), _logits.Data, T * B, _dOut.Data);
        if (IsRnn)
        {
            var dx = _rnn.Backward(_dOut).DInput; // (T, B, E + H)
            _dproj = Buffers.Ensure(_dproj, B, H);
            _dproj.Span.Clear();
            for (int t = 0; t < T; t++)
                for (int b = 0; b < B; b++)
                {
                    var row = dx.Data.AsSpan((t * B + b) * (E + H), E + H);
                    _embed.Backward(_inputs.AsSpan(t * B + b, 1), row[..E]);
                    var d = _dproj.Data.AsSpan(b * H, H);
                    System.Numerics.Tensors.TensorPrimitives.Add(d, row[E..], d);
                }
            _image!.Backward(features.Data, _dproj.Data, B, []);
        }
        else
        {
            var (dh0, dc0) = _rnn.BackwardTokens(_dOut);
            _initH!.Backward(features.Data, dh0.Data, B, []);
            _initC!.Backward(features.Data, dc0!.Data, B, []);
        }
        return new CaptionLoss(ce, 0, words);
    }

    /// <inheritdoc/>
    public IDecoderStepper Begin(Tensor features)
    {
        CheckFeatures(features);
        return new Stepper(this, features);
    }

    /// <summary>One step at a time through the same modules (evaluation mode).</summary>
    private sealed class Stepper : IDecoderStepper
    {
        private readonly RecurrentCaptioner _m;
        private readonly Tensor _h, _c, _x, _logits;
        private readonly float[] _proj;
        private readonly int[] _ids;

        public Stepper(RecurrentCaptioner m, Tensor features)
        {
            _m = m;
            int B = features.Shape[0], H = m.Config.Hidden;
            Batch = B;
            _h = new Tensor(1, B, H);
            _c = new Tensor(1, B, H);
            _proj = new float[B * H];
            if (m.IsRnn) m._image!.Forward(features.Data, B, _proj);
            else { m._initH!.Forward(features.Data, B, _h.Data); m._initC!.Forward(features.Data, B, _c.Data); }
            _x = new Tensor(1, B, m.IsRnn ? m.Config.Embed + H : m.Config.Embed);
            _logits = new Tensor(B, m.Config.Vocab);
            _ids = new int[B];
        }

        public int Batch { get; }

        public ReadOnlySpan<float> Attention => [];

        public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
        {
            int B = Batch, H = _m.Config.Hidden, E = _m.Config.Embed, width = _x.Shape[2];
            if (previous.Length != B) throw new ArgumentException($"{previous.Length} tokens for a batch of {B}.");
            previous.CopyTo(_ids);
            for (int b = 0; b < B; b++)
            {
                var row = _x.Data.AsSpan(b * width, width);
                _m._embed.Forward(_ids.AsSpan(b, 1), row[..E]);
                if (_m.IsRnn) _proj.AsSpan(b * H, H).CopyTo(row[E..]);
            }
            var o = _m._rnn.Forward(_x, _h, _m.IsRnn ? null : _c, training: false);
            o.HN.Data.AsSpan(0, B * H).CopyTo(_h.Data);
            o.CN?.Data.AsSpan(0, B * H).CopyTo(_c.Data);
            _m._head.Forward(_h.Data, B, _logits.Data);
            return _logits.Data;
        }

        public void Select(ReadOnlySpan<int> rows) => StateRows.Select(rows, _m.Config.Hidden, _h.Data, _c.Data);
    }
}

/// <summary>Beam search's reordering of a batch's state rows.</summary>
internal static class StateRows
{
    /// <summary>Row <c>b</c> of each state becomes a copy of row <c>rows[b]</c> (each state <c>(B, width)</c>).</summary>
    public static void Select(ReadOnlySpan<int> rows, int width, params float[][] states)
    {
        foreach (var s in states)
        {
            var copy = (float[])s.Clone();
            for (int b = 0; b < rows.Length; b++) copy.AsSpan(rows[b] * width, width).CopyTo(s.AsSpan(b * width, width));
        }
    }
}
