using Recur.Models.Decoding;
using Recur.Nn.Transformer;

namespace Recur.Models.Seq2Seq;

public sealed partial class TransformerSeq2SeqModel
{
    /// <summary>
    /// Step-by-step decoding: the sources are encoded once and each decoder layer's cross-attention keys and values projected
    /// once (<see cref="DecoderLayerCache"/>); each step embeds one symbol per row at the next position, runs every layer's
    /// <see cref="TransformerDecoderLayer.Step"/> (appending its keys and values) and returns the logits <c>(B, V)</c>, equal to
    /// the teacher-forced forward's at that position. It owns its caches, so several steppers of one model may be alive at once.
    /// </summary>
    private sealed class Stepper : IDecoderStepper
    {
        private readonly TransformerSeq2SeqModel _m;
        private readonly DecoderLayerCache[] _caches;
        private readonly float[] _x, _y, _z, _logits, _attention; // (B, D) x3, (B, V), (B, Ts)
        private readonly int[] _ids;                               // (B)
        private readonly int _ts;
        private bool _stepped;

        public Stepper(TransformerSeq2SeqModel m, Seq2SeqBatch batch)
        {
            _m = m;
            m.Encode(batch, training: false, rng: null);
            int B = batch.Batch, D = m.Config.DModel;
            Batch = B;
            _ts = m._ts;
            _caches = new DecoderLayerCache[m._decoder.Length];
            for (int l = 0; l < _caches.Length; l++)
                _caches[l] = m._decoder[l].NewCache(m._memory.AsSpan(0, B * _ts * D), B, _ts, batch.SourceLengths, m.Config.MaxTarget + 2);
            _x = new float[B * D]; _y = new float[B * D]; _z = new float[B * D];
            _logits = new float[B * m.Config.TargetVocab];
            _attention = new float[B * _ts];
            _ids = new int[B];
        }

        public int Batch { get; }

        public ReadOnlySpan<float> Attention
        {
            get
            {
                if (!_stepped) return [];
                _caches[^1].CrossCore.MeanOverHeads(0, _attention);
                return _attention;
            }
        }

        public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
        {
            if (previous.Length != Batch) throw new ArgumentException($"{previous.Length} symbols for a batch of {Batch}.");
            int B = Batch, D = _m.Config.DModel;
            previous.CopyTo(_ids);
            _m.Embed(_m._tgt, _ids, B, 1, _caches[0].Position, _x);
            float[] x = _x, y = _y;
            foreach (var (layer, cache) in _m._decoder.Zip(_caches))
            {
                layer.Step(x, y, cache);
                (x, y) = (y, x);
            }
            _m._decoderNorm.Forward(x, B, _z);
            _m.Head(_z, B, _logits);
            _stepped = true;
            return _logits;
        }

        public void Select(ReadOnlySpan<int> rows)
        {
            foreach (var c in _caches) c.Select(rows);
        }
    }
}
