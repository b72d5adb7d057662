using Recur.Models.Decoding;
using Xunit;

namespace Recur.Tests.Models.Decoding;

/// <summary>Decoders combined by averaging their next-token probabilities.</summary>
public sealed class EnsembleStepperTests
{
    /// <summary>A decoder whose logits are a fixed function of the row, the step and the token fed; it records reorderings.</summary>
    private sealed class FixedStepper(int batch, int vocab, Func<int, int, int, int, float> logit) : IDecoderStepper
    {
        private readonly float[] _logits = new float[batch * vocab];
        private int _step;

        public int Batch => batch;
        public ReadOnlySpan<float> Attention => [];
        public List<int[]> Selections { get; } = [];

        public ReadOnlySpan<float> Step(ReadOnlySpan<int> previous)
        {
            for (int b = 0; b < batch; b++)
                for (int v = 0; v < vocab; v++) _logits[b * vocab + v] = logit(b, _step, previous[b], v);
            _step++;
            return _logits;
        }

        public void Select(ReadOnlySpan<int> rows) => Selections.Add(rows.ToArray());
    }

    private static double[] Softmax(IReadOnlyList<float> row)
    {
        double max = row.Max(), sum = row.Sum(x => Math.Exp(x - max));
        return [.. row.Select(x => Math.Exp(x - max) / sum)];
    }

    [Fact]
    public void EachStepIsTheLogOfTheMembersMeanProbability()
    {
        const int B = 3, V = 5;
        Func<int, int, int, int, float> fa = (b, t, prev, v) => 0.7f * v * (b + 1) - 0.3f * t + 0.1f * prev;
        Func<int, int, int, int, float> fb = (b, t, prev, v) => MathF.Sin(v + 2 * b + t) * 3f;
        Func<int, int, int, int, float> fc = (b, t, prev, v) => v == b ? 40f : -40f; // nearly certain: exercises the stable sum
        var ensemble = new EnsembleStepper([new FixedStepper(B, V, fa), new FixedStepper(B, V, fb), new FixedStepper(B, V, fc)], V);
        int[] previous = [1, 4, 2];
        for (int step = 0; step < 2; step++)
        {
            var got = ensemble.Step(previous).ToArray();
            for (int b = 0; b < B; b++)
            {
                var pa = Softmax([.. Enumerable.Range(0, V).Select(v => fa(b, step, previous[b], v))]);
                var pb = Softmax([.. Enumerable.Range(0, V).Select(v => fb(b, step, previous[b], v))]);
                var pc = Softmax([.. Enumerable.Range(0, V).Select(v => fc(b, step, previous[b], v))]);
                for (int v = 0; v < V; v++)
                    Assert.Equal(Math.Log((pa[v] + pb[v] + pc[v]) / 3), got[b * V + v], 4);
                Assert.Equal(1.0, Enumerable.Range(0, V).Sum(v => Math.Exp(got[b * V + v])), 5);
            }
        }
    }

    [Fact]
    public void OneMemberOrTwoAlikeGiveThatMembersLogSoftmax()
    {
        const int B = 2, V = 4;
        Func<int, int, int, int, float> f = (b, t, prev, v) => v * 0.9f - b + prev;
        var alone = new EnsembleStepper([new FixedStepper(B, V, f)], V).Step([0, 3]).ToArray();
        var twice = new EnsembleStepper([new FixedStepper(B, V, f), new FixedStepper(B, V, f)], V).Step([0, 3]).ToArray();
        var expected = new float[B * V];
        var logits = new FixedStepper(B, V, f).Step([0, 3]).ToArray();
        for (int b = 0; b < B; b++) BeamSearch.LogSoftmax(logits.AsSpan(b * V, V), expected.AsSpan(b * V, V));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], alone[i], 6);
            Assert.Equal(expected[i], twice[i], 5);
        }
    }

    [Fact]
    public void TheMeanOfProbabilitiesDecidesAndReorderingReachesEveryMember()
    {
        // member a: p(3) = 0.6, p(4) = 0.4; member b: p(3) = 0.1, p(4) = 0.9; together 0.35 against 0.65
        const int V = 5;
        static float Ln(double p) => (float)Math.Log(p);
        Func<int, int, int, int, float> fa = (r, t, prev, v) => v == 3 ? Ln(0.6) : v == 4 ? Ln(0.4) : float.NegativeInfinity;
        Func<int, int, int, int, float> fb = (r, t, prev, v) => v == 3 ? Ln(0.1) : v == 4 ? Ln(0.9) : float.NegativeInfinity;
        var alone = GreedyDecoder.Decode(new FixedStepper(1, V, fa), V, start: 1, end: 4, maxTokens: 3);
        Assert.Equal([3, 3, 3], alone[0].Tokens); // a alone never ends before the limit
        var rows = GreedyDecoder.Decode(new EnsembleStepper([new FixedStepper(1, V, fa), new FixedStepper(1, V, fb)], V), V, 1, 4, 3);
        Assert.Empty(rows[0].Tokens); // together the end token (4) comes first
        Assert.Equal(Math.Log(0.65), rows[0].LogProbability, 5);

        var a = new FixedStepper(2, V, fa);
        var b = new FixedStepper(2, V, fb);
        var beam = BeamSearch.Search(k => new EnsembleStepper([a, b], V), V, 1, 4, 3, beam: 2);
        Assert.NotEmpty(a.Selections);
        Assert.Equal(a.Selections.Select(s => string.Join(',', s)), b.Selections.Select(s => string.Join(',', s)));
        Assert.Empty(beam[0].Tokens);
        Assert.Equal(Math.Log(0.65), beam[0].LogProbability, 5);

        Assert.Throws<ArgumentException>(() => new EnsembleStepper([], V));
        Assert.Throws<ArgumentException>(() => new EnsembleStepper([new FixedStepper(1, V, (r, t, p, v) => 0f), new FixedStepper(2, V, (r, t, p, v) => 0f)], V));
    }
}
