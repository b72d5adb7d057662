using System.Numerics.Tensors;
using System.Text;
using Recur.Data;
using Recur.Kernels;
using Recur.Nn;
using Recur.Nn.Cells;

namespace Recur.Models;

/// <summary>
/// Batch-1 inference for a <see cref="CharModel"/>: feeds one token at a time, keeps only the current
/// hidden (and cell) state of every layer, and draws the next token from the softmax of the logits.
/// Nothing is kept for a backward pass, and no dropout is applied (evaluation mode).
/// <para>
/// Per token and layer <c>l</c> (input <c>x</c> = the token for <c>l = 0</c>, else the new <c>h</c> of layer <c>l-1</c>):
/// <c>a = W_ih x + b_ih + W_hh h + b_hh</c> (<c>(G*H)</c>, gate order as PyTorch), then the cell's gate
/// math, then <c>logits = W_head h_top + b_head</c> <c>(V)</c>. With highways (<see cref="CharModelConfig.Highway"/>)
/// a layer that has one passes on <c>y = x + g ⊙ (h - x)</c>, <c>g = σ(W_g x + b_g)</c>, to the next layer (or the
/// head) instead of <c>h</c>, as training does; <c>h</c> stays the layer's state. It computes exactly what
/// <see cref="CharModel.Forward"/> computes with <c>T = B = 1</c> and <c>training = false</c>, in a
/// different summation order (logits agree to float rounding).
/// </para>
/// <para>
/// Layer 0's input projection depends only on the token, so it is precomputed for all <c>V</c>
/// tokens at construction: <c>table[v] = W_ih e_v + b_ih (+ b_hh where it folds)</c>, with <c>e_v</c> the
/// embedding row (or the one-hot vector, where the table is just <c>W_ih</c> transposed). A step
/// then reads one table row instead of <c>W_ih</c>. The table is <c>V*G*H</c> floats; it is skipped
/// (the embedding row goes through <c>W_ih</c> each step) when it would exceed both <c>W_ih</c>'s
/// size and 16 M floats (64 MB).
/// </para>
/// <para>
/// The recurrent products are <see cref="Gemv"/> over the row-major <c>(G*H, H)</c> weights. With
/// <c>H &gt;= 256</c> and more than one thread, each layer's hidden units are split in fixed contiguous
/// blocks, one per thread, and each thread computes the gate rows and the cell update for its
/// units. Every sum has the same order whatever the split, so results do not depend on the
/// thread count. The sampler copies the weights at construction: build a new one after training
/// changes them.
/// </para>
/// </summary>
public sealed class CharSampler
{
    /// <summary>Below this hidden size one thread does all the work (dispatch would cost more than it saves).</summary>
    public const int DefaultParallelMinHidden = 256;
    private const long MaxTableFloats = 16L << 20;

    private readonly RecurrentCell _cell;
    private readonly InferenceLayer[] _state; // per layer: the cell's weights and states for one step
    private readonly int _v, _h, _layers, _g, _gh, _inWidth;
    private readonly float[]? _table;     // (V, G*H) layer-0 input projection with folded biases
    private readonly float[]? _embedding; // (V, E), without a table or for cells that read their raw input
    private readonly float[][] _wih;      // per layer (G*H, in); empty where unused (layer 0 with a table, or concatenated)
    private readonly float[]?[] _wcat;    // LSTM/RNN layers that project x: [W_ih | W_hh] rows, (G*H, in + H)
    private readonly float[][] _xh;       // per concatenated layer: [x; h_prev] (in + H)
    private readonly float[][] _biasX;    // per layer (G*H): the cell's fold of b_ih and b_hh
    private readonly float[]?[] _hwW;     // per layer with a highway: W_g (H, H); else null
    private readonly float[][] _hwB;      // per layer with a highway: b_g (H), zeros without biases
    private readonly float[]?[] _hwGate;  // per layer with a highway: g (H)
    private readonly float[]?[] _hwOut;   // per layer with a highway: its output y (H), what the layer above reads
    private readonly float[] _headW, _headB;
    private readonly float[] _x0;             // (E) embedding row when there is no table or the cell reads its raw input
    private readonly float[] _logits;
    private readonly float[] _probs;
    private readonly int[] _order;
    private readonly int _parts;
    private readonly int[] _unitSplit;        // part p owns hidden units [_unitSplit[p], _unitSplit[p+1])
    private readonly int[] _headSplit;        // part p owns head rows [_headSplit[p], _headSplit[p+1])
    private readonly StepJob _job;
    private readonly BlockStepper? _blocks;  // block models: the whole step
    private bool _hasLogits;

    /// <summary>
    /// A sampler over a copy of <paramref name="model"/>'s current weights. <paramref name="threads"/>:
    /// threads for the recurrent products when <c>H &gt;= 256</c> (0 = one per core); results are identical
    /// for any value. Two threads halve the time of a large model on an idle machine, but a step waits
    /// for its slowest part, so on a machine whose other cores are busy one thread is faster (the default).
    /// </summary>
    public CharSampler(CharModel model, int threads = 1) : this(model, threads, allowTable: true) { }

    internal CharSampler(CharModel model, int threads, bool allowTable, int parallelMinHidden = DefaultParallelMinHidden)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be 0 (one per core) or positive.");
        var cfg = model.Config;
        if (cfg.IsBlockModel)
        {
            // Block models step through their blocks; none of the cell path's buffers are needed.
            _blocks = new BlockStepper(model);
            _v = cfg.VocabSize;
            _h = cfg.Hidden;
            _logits = new float[_v];
            _probs = new float[_v];
            _order = new int[_v];
            _parts = 1;
            _cell = null!; _wih = []; _wcat = []; _xh = []; _biasX = []; _state = []; _headW = []; _headB = [];
            _x0 = []; _unitSplit = []; _headSplit = []; _hwW = []; _hwB = []; _hwGate = []; _hwOut = [];
            _job = new StepJob(this);
            return;
        }
        _cell = cfg.RecurrentCell;
        _v = cfg.VocabSize;
        _h = cfg.Hidden;
        _layers = cfg.Layers;
        _g = model.Rnn.Gates;
        _gh = _g * _h;
        _inWidth = cfg.Embed > 0 ? cfg.Embed : _v;
        int H = _h, GH = _gh, V = _v;

        _wih = new float[_layers][];
        _wcat = new float[_layers][];
        _xh = new float[_layers][];
        _biasX = new float[_layers][];
        _state = new InferenceLayer[_layers];
        _hwW = new float[_layers][]; _hwB = new float[_layers][]; _hwGate = new float[_layers][]; _hwOut = new float[_layers][];
        for (int l = 0; l < _layers; l++)
        {
            if (model.Rnn.HighwayParameters(l) is { } hw)
            {
                _hwW[l] = hw.Weight.Value.ToArray();
                _hwB[l] = hw.Bias?.Value.ToArray() ?? new float[H];
                _hwGate[l] = new float[H];
                _hwOut[l] = new float[H];
            }
            else _hwB[l] = [];
            var p = model.Rnn.LayerParameters(l);
            _wih[l] = p.WeightIh.Value.ToArray();
            var fold = new float[GH];
            if (p.BiasIh is not null) _cell.FoldBias(p.BiasIh.Value, p.BiasHh is null ? default : p.BiasHh.Value, fold);
            _biasX[l] = fold;
            _state[l] = new InferenceLayer(_cell, H, p.WeightHh?.Value.ToArray() ?? [], p.BiasHh?.Value.ToArray(),
                p.Extra.Select(e => e.Value.ToArray()).ToArray());
        }

        long tableFloats = (long)V * GH;
        bool useTable = allowTable && (cfg.Embed == 0 || tableFloats <= Math.Max((long)cfg.Embed * GH, MaxTableFloats));
        if (useTable)
        {
            _table = new float[tableFloats];
            for (int v = 0; v < V; v++) _biasX[0].CopyTo(_table.AsSpan(v * GH, GH));
            if (cfg.Embed > 0)
            {
                // table (V, GH) += E (V, E) · W_ih^T, E = embedding.weight, W_ih (GH, E)
                var emb = model.EmbeddingLayer!.Weight.Value;
                Gemm.Sgemm(false, true, V, GH, cfg.Embed, 1f, emb, cfg.Embed, _wih[0], cfg.Embed, 1f, _table, GH);
            }
            else
            {
                // one-hot: W_ih e_v is column v of W_ih (GH, V)
                var w = _wih[0];
                for (int row = 0; row < GH; row++)
                    for (int v = 0; v < V; v++) _table[v * GH + row] += w[row * V + v];
            }
            _wih[0] = [];
            // Cells that read their raw input, and a highway on layer 0, still need the embedding row (or one-hot vector) of each token.
            bool raw = _cell.RequiresInputEqualsHidden || _hwW[0] is not null;
            _embedding = raw && cfg.Embed > 0 ? model.EmbeddingLayer!.Weight.Value.ToArray() : null;
            _x0 = raw ? new float[_inWidth] : [];
        }
        else
        {
            _embedding = cfg.Embed > 0 ? model.EmbeddingLayer!.Weight.Value.ToArray() : null;
            _x0 = new float[_inWidth];
        }
        // Cells whose gates are W_ih x + W_hh h + b (LSTM, RNN), in layers that project their input: one
        // product over [W_ih | W_hh] and [x; h], half the row passes (and horizontal sums) of two products.
        if (_cell.AdditiveRecurrence)
        {
            for (int l = _table is null ? 0 : 1; l < _layers; l++)
            {
                int inW = l == 0 ? _inWidth : H, cols = inW + H;
                var cat = new float[(long)GH * cols];
                var whh = _state[l].Whh;
                for (int row = 0; row < GH; row++)
                {
                    _wih[l].AsSpan(row * inW, inW).CopyTo(cat.AsSpan(row * cols));
                    whh.AsSpan(row * H, H).CopyTo(cat.AsSpan(row * cols + inW));
                }
                _wcat[l] = cat;
                _xh[l] = new float[cols];
                _wih[l] = [];
                _state[l].Whh = [];
            }
        }
        for (int l = 0; l < _layers; l++) _xh[l] ??= [];
        _headW = model.Head.Weight.Value.ToArray();
        _headB = model.Head.Bias is { } hb ? hb.Value.ToArray() : new float[V];

        _logits = new float[V];
        _probs = new float[V];
        _order = new int[V];

        int want = threads == 0 ? Environment.ProcessorCount : threads;
        _parts = H >= parallelMinHidden ? Math.Max(1, Math.Min(want, H / 64)) : 1;
        _unitSplit = new int[_parts + 1];
        _headSplit = new int[_parts + 1];
        for (int p = 0; p <= _parts; p++)
        {
            // unit blocks are multiples of 16 (whole vectors) except the last
            _unitSplit[p] = p == _parts ? H : (int)((long)H * p / _parts) & ~15;
            _headSplit[p] = (int)((long)V * p / _parts);
        }
        _job = new StepJob(this);
    }

    /// <summary>Vocabulary size <c>V</c>.</summary>
    public int VocabSize => _v;

    /// <summary>Threads the recurrent products are split over (1 below <c>H = 256</c>).</summary>
    public int Parts => _parts;

    /// <summary>True when layer 0's input projection is a precomputed per-token table.</summary>
    public bool UsesInputTable => _table is not null;

    /// <summary>Bytes of weights read per step: the recurrent and head weights, plus one table row or <c>W_ih</c> of layer 0.</summary>
    public long BytesPerStep
    {
        get
        {
            if (_blocks is not null) return _blocks.BytesPerStep;
            long floats = (long)_headW.Length + _headB.Length + (_table is not null ? _gh : (long)_wih[0].Length);
            for (int l = 0; l < _layers; l++)
                floats += _state[l].Whh.Length + (l > 0 ? _wih[l].Length : 0) + (_wcat[l]?.Length ?? 0) + _biasX[l].Length
                    + (_hwW[l]?.Length ?? 0) + _hwB[l].Length;
            return floats * sizeof(float);
        }
    }

    /// <summary>Logits <c>(V)</c> for the next token after the tokens fed so far; empty before the first.</summary>
    public ReadOnlySpan<float> Logits => _hasLogits ? _logits : ReadOnlySpan<float>.Empty;

    /// <summary>Forgets all state: hidden and cell states back to zero, no logits.</summary>
    public void Reset()
    {
        _blocks?.Reset();
        foreach (var layer in _state) layer.Reset();
        _hasLogits = false;
    }

    /// <summary>Runs <paramref name="tokens"/> through the model, one after another, from the current state.</summary>
    public void Prime(ReadOnlySpan<int> tokens)
    {
        foreach (int t in tokens) Step(t);
    }

    /// <summary>
    /// Encodes <paramref name="text"/> with <paramref name="vocabulary"/> and runs it through the model.
    /// Throws <see cref="UnknownCharactersException"/> naming every character the vocabulary lacks.
    /// </summary>
    public void Prime(string text, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(vocabulary);
        CheckVocabulary(vocabulary);
        Prime(vocabulary.Encode(text));
    }

    /// <summary>Feeds one token: advances every layer's state and computes the logits for the next token.</summary>
    public void Step(int token)
    {
        if ((uint)token >= (uint)_v) throw new ArgumentOutOfRangeException(nameof(token), token, $"token {token} is outside the vocabulary [0, {_v}).");
        if (_blocks is not null)
        {
            _blocks.Step(token, _logits);
            _hasLogits = true;
            return;
        }
        if (_x0.Length > 0)
        {
            if (_embedding is not null) _embedding.AsSpan(token * _inWidth, _inWidth).CopyTo(_x0);
            else { Array.Clear(_x0); _x0[token] = 1f; }
        }
        _job.Token = token;
        for (int l = 0; l < _layers; l++)
        {
            if (_wcat[l] is not null)
            {
                int inW = l == 0 ? _inWidth : _h;
                LayerInput(l).AsSpan(0, inW).CopyTo(_xh[l]);
                _state[l].HPrev.CopyTo(_xh[l], inW);
            }
            if (_cell.RequiresInputEqualsHidden) _state[l].X = LayerInput(l);
            for (int phase = 0; phase < _cell.InferencePhases; phase++) Run(l, phase);
        }
        Run(_layers, 0); // head
        foreach (var layer in _state) layer.Advance();
        _hasLogits = true;
    }

    /// <summary>
    /// Chooses the next token from the current logits and feeds it (so the logits then predict the
    /// one after). <paramref name="argmax"/>: the most likely token (lowest id on ties), no randomness.
    /// Otherwise a draw from <c>p ∝ exp(logit / temperature)</c> over the <paramref name="topK"/> largest
    /// logits (0 = all; ties at the cut-off go to lower ids). Before any token has been fed, the first
    /// token is drawn uniformly from the vocabulary (torch-rnn's start without a prime text).
    /// </summary>
    public int Next(float temperature, int topK, bool argmax, Rng? rng)
    {
        if (!(temperature > 0f) || float.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"temperature must be a positive finite number, got {temperature}.");
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, $"top-k must be 0 (off) or positive, got {topK}.");
        if (!argmax && rng is null) throw new ArgumentNullException(nameof(rng), "sampling needs a random generator (or argmax).");
        int token;
        if (!_hasLogits) token = rng is null ? 0 : rng.NextInt(_v);
        else if (argmax) token = TensorPrimitives.IndexOfMax(_logits);
        else token = Draw(temperature, topK, rng!);
        Step(token);
        return token;
    }

    /// <summary>Generates <paramref name="length"/> tokens with <see cref="Next"/>, lazily, one per iteration.</summary>
    public IEnumerable<int> Sample(int length, float temperature, int topK, bool argmax, Rng? rng)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "length must be non-negative.");
        // validate now, not at the first MoveNext
        if (!(temperature > 0f) || float.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"temperature must be a positive finite number, got {temperature}.");
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, $"top-k must be 0 (off) or positive, got {topK}.");
        if (!argmax && rng is null) throw new ArgumentNullException(nameof(rng), "sampling needs a random generator (or argmax).");
        return Iterate();

        IEnumerable<int> Iterate()
        {
            for (int i = 0; i < length; i++) yield return Next(temperature, topK, argmax, rng);
        }
    }

    /// <summary>As <see cref="Sample(int, float, int, bool, Rng?)"/>, yielding the characters of <paramref name="vocabulary"/>.</summary>
    public IEnumerable<Rune> Sample(Vocabulary vocabulary, int length, float temperature, int topK, bool argmax, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        CheckVocabulary(vocabulary);
        return Sample(length, temperature, topK, argmax, rng).Select(id => vocabulary[id]);
    }

    private void CheckVocabulary(Vocabulary vocabulary)
    {
        if (vocabulary.Count != _v)
            throw new ArgumentException($"the vocabulary has {vocabulary.Count} characters but the model has {_v} outputs.", nameof(vocabulary));
    }

    private int Draw(float temperature, int topK, Rng rng)
    {
        int V = _v;
        var p = _probs.AsSpan();
        float threshold = float.NegativeInfinity;
        int tiesAllowed = V;
        if (topK > 0 && topK < V)
        {
            // k-th largest logit; entries equal to it are kept in id order until k are kept.
            for (int i = 0; i < V; i++) _order[i] = i;
            var logits = _logits;
            Array.Sort(_order, (x, y) => logits[y].CompareTo(logits[x]) is int c && c != 0 ? c : x.CompareTo(y));
            threshold = logits[_order[topK - 1]];
            int above = 0;
            for (int i = 0; i < V; i++) if (logits[i] > threshold) above++;
            tiesAllowed = topK - above;
        }
        float max = TensorPrimitives.Max(_logits);
        float invT = 1f / temperature;
        double sum = 0;
        for (int i = 0; i < V; i++)
        {
            float l = _logits[i];
            bool keep = l > threshold || (l == threshold && tiesAllowed-- > 0);
            float e = keep ? MathF.Exp((l - max) * invT) : 0f;
            p[i] = e;
            sum += e;
        }
        double u = rng.NextDouble() * sum;
        double acc = 0;
        int last = 0;
        for (int i = 0; i < V; i++)
        {
            if (p[i] <= 0f) continue;
            last = i;
            acc += p[i];
            if (u < acc) return i;
        }
        return last; // rounding: u landed at the very top
    }

    private void Run(int layer, int phase)
    {
        bool head = layer == _layers;
        if (_parts > 1)
        {
            _job.Layer = layer;
            _job.Phase = phase;
            GemmWorkerPool.Shared.Run(_parts, _job);
        }
        else if (head) Head(0, _v);
        else Units(layer, phase, 0, _h);
    }

    private sealed class StepJob(CharSampler owner) : IParallelPart
    {
        public int Token, Layer, Phase;

        public void Execute(int part)
        {
            if (Layer == owner._layers) owner.Head(owner._headSplit[part], owner._headSplit[part + 1]);
            else owner.Units(Layer, Phase, owner._unitSplit[part], owner._unitSplit[part + 1]);
        }
    }

    private void Head(int r0, int r1)
    {
        int H = _h, n = r1 - r0;
        if (n <= 0) return;
        var y = _logits.AsSpan(r0, n);
        _headB.AsSpan(r0, n).CopyTo(y);
        Gemv.MultiplyAdd(_headW.AsSpan(r0 * H, n * H), n, H, LayerOutput(_layers - 1), y);
    }

    /// <summary>What layer <paramref name="l"/> passes on this step: its highway's output, or its new state.</summary>
    private float[] LayerOutput(int l) => _hwOut[l] ?? _state[l].HNext;

    /// <summary>Layer <paramref name="l"/>'s input this step: the token's vector for layer 0, else the output of the layer below.</summary>
    private float[] LayerInput(int l) => l == 0 ? _x0 : LayerOutput(l - 1);

    /// <summary>
    /// Layer <paramref name="l"/>, hidden units [j0, j1): phase 0 puts the input side of the gate rows into
    /// the cell's <see cref="InferenceLayer.A"/> (a table row, or <c>fold(b) + W_ih x</c>; for additive cells
    /// <c>+ W_hh h</c> too, as one product over <c>[W_ih | W_hh]</c>), then the cell's own step does the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Units(int l, int phase, int j0, int j1)
    {
        int H = _h, n = j1 - j0;
        if (n <= 0) return;
        var st = _state[l];
        if (phase == 0)
        {
            int inW = l == 0 ? _inWidth : H;
            ReadOnlySpan<float> x = LayerInput(l);
            var a = st.A.AsSpan();
            bool projectX = l > 0 || _table is null;
            if (projectX) st.CopyGateRows(_biasX[l], a, 0, _g, j0, n);
            else st.CopyGateRows(_table.AsSpan(_job.Token * _gh, _gh), a, 0, _g, j0, n);
            if (_wcat[l] is { } cat) st.GateRows(cat, inW + H, _xh[l], a, 0, _g, j0, n);
            else
            {
                if (projectX) st.GateRows(_wih[l], inW, x, a, 0, _g, j0, n);
                if (_cell.AdditiveRecurrence) st.GateRows(st.Whh, H, st.HPrev, a, 0, _g, j0, n);
            }
            if (_hwW[l] is { } wg)
            {
                // The highway's gate for these units: g = σ(b_g + W_g x)
                var g = _hwGate[l].AsSpan(j0, n);
                _hwB[l].AsSpan(j0, n).CopyTo(g);
                Gemv.MultiplyAdd(wg.AsSpan(j0 * H, n * H), n, H, x, g);
                TensorPrimitives.Sigmoid(g, g);
            }
        }
        _cell.InferUnits(st, phase, j0, n);
        if (phase == _cell.InferencePhases - 1 && _hwOut[l] is { } y)
        {
            // y = x + g ⊙ (h - x) for these units, once the cell's last phase has written h
            var xs = LayerInput(l).AsSpan(j0, n);
            var ys = y.AsSpan(j0, n);
            TensorPrimitives.Subtract(st.HNext.AsSpan(j0, n), xs, ys);
            TensorPrimitives.FusedMultiplyAdd(_hwGate[l].AsSpan(j0, n), ys, xs, ys);
        }
    }
}
