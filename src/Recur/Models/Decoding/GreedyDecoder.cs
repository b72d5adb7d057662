using System.Numerics.Tensors;

namespace Recur.Models.Decoding;

/// <summary>A decoded row: its tokens (without start and end), each step's attention (empty without attention) and its log-probability.</summary>
public sealed record DecodedRow(int[] Tokens, IReadOnlyList<float[]> Attention, double LogProbability);

/// <summary>Picks the next token from a row of logits (tokens never to be written already at -∞).</summary>
public delegate int TokenChooser(Span<float> logits);

/// <summary>
/// Step-by-step decoding of a batch, shared by the decoders: at each step each unfinished row takes its most probable
/// token (or the one <c>choose</c> picks: sampling), never one of <c>never</c>, until the end token; after
/// <c>maxTokens</c> tokens the end token is forced, as in <see cref="BeamSearch"/>.
/// </summary>
public static class GreedyDecoder
{
    public static DecodedRow[] Decode(IDecoderStepper stepper, int vocab, int start, int end, int maxTokens,
        IReadOnlyCollection<int>? never = null, TokenChooser? choose = null)
    {
        ArgumentNullException.ThrowIfNull(stepper);
        int B = stepper.Batch;
        var previous = new int[B];
        Array.Fill(previous, start);
        var tokens = Enumerable.Range(0, B).Select(_ => new List<int>()).ToArray();
        var maps = Enumerable.Range(0, B).Select(_ => new List<float[]>()).ToArray();
        var logp = new double[B];
        var done = new bool[B];
        var row = new float[vocab];
        var logsm = new float[vocab];
        for (int step = 0; step <= maxTokens && !done.All(d => d); step++)
        {
            var logits = stepper.Step(previous);
            var attention = stepper.Attention;
            int L = attention.IsEmpty ? 0 : attention.Length / B;
            for (int b = 0; b < B; b++)
            {
                if (done[b]) { previous[b] = start; continue; }
                logits.Slice(b * vocab, vocab).CopyTo(row);
                if (never is not null) foreach (int v in never) row[v] = float.NegativeInfinity;
                int next = step == maxTokens ? end : choose is null ? TensorPrimitives.IndexOfMax(row) : choose(row);
                BeamSearch.LogSoftmax(logits.Slice(b * vocab, vocab), logsm);
                logp[b] += logsm[next];
                if (next == end) done[b] = true;
                else
                {
                    tokens[b].Add(next);
                    if (L > 0) maps[b].Add(attention.Slice(b * L, L).ToArray());
                }
                previous[b] = next;
            }
        }
        return [.. Enumerable.Range(0, B).Select(b => new DecodedRow([.. tokens[b]], maps[b], logp[b]))];
    }
}
