using System.Numerics.Tensors;
using Recur.Nn;

namespace Recur.Models.Vqa;

/// <summary>
/// The answer head that VQA and visual dialog share: a query <c>x (N, X)</c> and, unless blind, an image context
/// <c>z (N, D)</c> fuse into <c>f = tanh(W_x x + b + W_z z)</c> (<c>{query name}</c>, <c>fuse_z</c>), which scores every
/// answer (<c>head</c>, <c>F</c> to <c>A</c>); with visual answers those answers' scores are <c>W_v z + b_v</c> (<c>visual</c>)
/// instead of the head's. Its parameters are made in that order (query, fuse_z, head, visual), so a model that makes the
/// head where it made those four layers keeps its parameter order and its initialisation.
/// </summary>
public sealed class AnswerHead
{
    private readonly Linear _fuseX, _head;
    private readonly Linear? _fuseZ, _visual;
    private readonly int[] _visualAnswers;
    private readonly int _x, _d, _f, _a;
    private float[] _fused = [], _logits = [], _vis = [], _scratch = [];    // (N, F), (N, A), (N, Kv), (N, max(F, D))
    private float[] _df = [], _dvis = [];                                    // (N, F), (N, Kv)

    /// <summary>
    /// A head reading queries of width <paramref name="queryDim"/> through the layer <paramref name="queryName"/> and, unless
    /// <paramref name="blind"/>, contexts of width <paramref name="featureDim"/>; <paramref name="fusion"/> wide, over
    /// <paramref name="answers"/> answers, <paramref name="visualAnswers"/> scored from the context alone; its layers' names
    /// start with <paramref name="prefix"/> (an ensemble member's).
    /// </summary>
    public AnswerHead(ParameterStore store, string queryName, int queryDim, int featureDim, int fusion, int answers,
        IReadOnlyList<int> visualAnswers, bool blind, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(visualAnswers);
        if (blind && visualAnswers.Count > 0) throw new ArgumentException("a blind head has no context to score visual answers from.");
        _x = queryDim; _d = featureDim; _f = fusion; _a = answers;
        _visualAnswers = [.. visualAnswers];
        _fuseX = new Linear(store, Naming.Join(prefix, queryName), queryDim, fusion);
        if (!blind) _fuseZ = new Linear(store, Naming.Join(prefix, "fuse_z"), featureDim, fusion, bias: false);
        _head = new Linear(store, Naming.Join(prefix, "head"), fusion, answers);
        if (_visualAnswers.Length > 0) _visual = new Linear(store, Naming.Join(prefix, "visual"), featureDim, _visualAnswers.Length);
    }

    /// <summary>Threads for the products.</summary>
    public int Threads
    {
        get => _head.Threads;
        set
        {
            _fuseX.Threads = value; _head.Threads = value;
            if (_fuseZ is not null) _fuseZ.Threads = value;
            if (_visual is not null) _visual.Threads = value;
        }
    }

    /// <summary>PyTorch's default initialisation, in the order the layers were made.</summary>
    public void Reset(Rng rng)
    {
        _fuseX.Reset(rng);
        _fuseZ?.Reset(rng);
        _head.Reset(rng);
        _visual?.Reset(rng);
    }

    /// <summary>
    /// Scores <c>(N, A)</c> of every answer for queries <paramref name="x"/> <c>(N, X)</c> and contexts <paramref name="z"/>
    /// <c>(N, D)</c> (empty when blind). Valid until the next call.
    /// </summary>
    public float[] Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> z, int n)
    {
        int F = _f, A = _a, K = _visualAnswers.Length;
        _fused = Buffers.Ensure(_fused, n * F);
        _fuseX.Forward(x, n, _fused);
        if (_fuseZ is not null)
        {
            _scratch = Buffers.Ensure(_scratch, n * Math.Max(F, _d));
            _fuseZ.Forward(z, n, _scratch);
            TensorPrimitives.Add(_fused, _scratch.AsSpan(0, n * F), _fused);
        }
        TensorPrimitives.Tanh(_fused, _fused);
        _logits = Buffers.Ensure(_logits, n * A);
        _head.Forward(_fused, n, _logits);
        if (_visual is not null)
        {
            _vis = Buffers.Ensure(_vis, n * K);
            _visual.Forward(z, n, _vis);
            for (int r = 0; r < n; r++) for (int k = 0; k < K; k++) _logits[r * A + _visualAnswers[k]] = _vis[r * K + k];
        }
        return _logits;
    }

    /// <summary>
    /// Backward of the last <see cref="Forward"/> (same <paramref name="x"/>, <paramref name="z"/>): from the scores' gradient
    /// <paramref name="dlogits"/> <c>(N, A)</c> (the visual answers' entries are zeroed: they went to <c>visual</c>) writes
    /// <paramref name="dx"/> <c>(N, X)</c> and, unless blind, <paramref name="dz"/> <c>(N, D)</c>.
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> z, Span<float> dlogits, int n, Span<float> dx, Span<float> dz)
    {
        int F = _f, A = _a, K = _visualAnswers.Length;
        if (_visual is not null)
        {
            _dvis = Buffers.Ensure(_dvis, n * K);
            for (int r = 0; r < n; r++)
                for (int k = 0; k < K; k++)
                {
                    int at = r * A + _visualAnswers[k];
                    _dvis[r * K + k] = dlogits[at];
                    dlogits[at] = 0f;
                }
        }
        _df = Buffers.Ensure(_df, n * F);
        _head.Backward(_fused, dlogits[..(n * A)], n, _df);
        for (int i = 0; i < n * F; i++) _df[i] *= 1f - _fused[i] * _fused[i];
        _fuseX.Backward(x, _df.AsSpan(0, n * F), n, dx[..(n * _x)]);
        if (_fuseZ is null) return;
        _fuseZ.Backward(z, _df.AsSpan(0, n * F), n, dz[..(n * _d)]);
        if (_visual is null) return;
        _scratch = Buffers.Ensure(_scratch, n * Math.Max(F, _d));
        _visual.Backward(z, _dvis.AsSpan(0, n * K), n, _scratch);
        TensorPrimitives.Add(dz[..(n * _d)], _scratch.AsSpan(0, n * _d), dz[..(n * _d)]);
    }

    /// <summary>
    /// Mean softmax cross-entropy of <paramref name="scores"/> <c>(N, C)</c> against <paramref name="answers"/> <c>(N)</c>, the
    /// number whose highest score is the answer, and, when <paramref name="dscores"/> is given, its gradient <c>(N, C)</c>.
    /// </summary>
    public static (double Loss, int Right) CrossEntropy(ReadOnlySpan<float> scores, int n, int[] answers, float[]? dscores)
    {
        int C = scores.Length / n;
        double loss = 0;
        int right = 0;
        var p = new float[C];
        for (int r = 0; r < n; r++)
        {
            var row = scores.Slice(r * C, C);
            row.CopyTo(p);
            Kernels.Softmax.InPlace(p);
            loss -= Math.Log(Math.Max(p[answers[r]], 1e-30f));
            if (TensorPrimitives.IndexOfMax(row) == answers[r]) right++;
            if (dscores is null) continue;
            for (int c = 0; c < C; c++) dscores[r * C + c] = (p[c] - (c == answers[r] ? 1f : 0f)) / n;
        }
        return (loss / n, right);
    }
}
