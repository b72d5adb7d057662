using Recur.Kernels;
using Recur.Nn.Blocks;

namespace Recur.Models;

/// <summary>
/// Batch-1 inference of a block model (<see cref="CharModelConfig.IsBlockModel"/>) for <see cref="CharSampler"/>:
/// one token through the embedding, every block's <see cref="SequenceBlock.Step"/>, the final norm and the
/// head. Works on a copy of the model's weights, like the cell path.
/// </summary>
internal sealed class BlockStepper
{
    private readonly CharModel _model;         // the copy
    private readonly BlockState[] _states;     // one per block, batch 1
    private float[] _x, _y;                    // (D)
    private readonly float[] _normed;          // (D)
    private readonly int _d, _v;

    public BlockStepper(CharModel model)
    {
        _model = new CharModel(model.Config);
        model.Store.Values.AsSpan(0, model.Store.Count).CopyTo(_model.Store.Values);
        _model.Threads = 1;
        _d = model.Config.Hidden;
        _v = model.Config.VocabSize;
        _states = _model.Blocks!.NewStates(1);
        _x = new float[_d];
        _y = new float[_d];
        _normed = new float[_d];
    }

    /// <summary>Bytes read per step: every weight once (the embedding row aside), plus the states.</summary>
    public long BytesPerStep => 4L * (_model.Store.Count - _model.EmbeddingLayer!.Weight.Length + _d) + _states.Sum(s => s.Bytes);

    /// <summary>Bytes of carried state (what sampling keeps: flat for recurrences, growing for a KV cache).</summary>
    public long StateBytes => _states.Sum(s => s.Bytes);

    public void Reset()
    {
        foreach (var s in _states) s.Clear();
    }

    /// <summary>Feeds <paramref name="token"/> and writes the next token's logits <c>(V)</c>.</summary>
    public void Step(int token, Span<float> logits)
    {
        _model.EmbeddingLayer!.Weight.Value.Slice(token * _d, _d).CopyTo(_x);
        var blocks = _model.Blocks!.Blocks;
        for (int l = 0; l < blocks.Count; l++)
        {
            blocks[l].Step(_x, _y, _states[l]);
            (_x, _y) = (_y, _x);
        }
        _model.Blocks.Norm.Forward(_x, 1, _normed);
        var head = _model.Head;
        if (head.Bias is { } b) b.Value.CopyTo(logits); else logits.Clear();
        Gemv.MultiplyAdd(head.Weight.Value, _v, _d, _normed, logits[.._v]);
    }
}
