using System.Globalization;
using System.Text;
using Xunit;

namespace Recur.Tests.TestUtil;

/// <summary>
/// Element-wise comparison of float32 results with reference tensors (PyTorch fixtures):
/// element i passes when <c>|actual_i - expected_i| &lt;= atol + rtol * |expected_i|</c>.
/// A <see cref="Report"/> collects every tensor of a case so that a failure names all of them
/// with their worst error, not only the first one that failed.
/// </summary>
internal static class FixtureAssert
{
    /// <summary>Worst element of one comparison: its index, both values, and the error scaled by the tolerance (&gt; 1 fails).</summary>
    public readonly record struct Mismatch(string Name, int Index, float Actual, float Expected, double MaxAbs, double MaxRel, double Scaled, bool ShapeOk, string Shapes)
    {
        public bool Passed => ShapeOk && Scaled <= 1.0;

        public override string ToString() => !ShapeOk
            ? $"{Name}: shape {Shapes}"
            : string.Create(CultureInfo.InvariantCulture,
                $"{Name}: max abs {MaxAbs:E2}, max rel {MaxRel:E2}, worst at [{Index}] got {Actual:G9} want {Expected:G9} (scaled {Scaled:F3}){(Passed ? "" : "  <-- FAIL")}");
    }

    /// <summary>Compares <paramref name="actual"/> with <paramref name="expected"/> element by element.</summary>
    public static Mismatch Compare(string name, ReadOnlySpan<float> actual, ReadOnlySpan<int> actualShape,
        Tensor expected, double rtol, double atol)
    {
        if (!actualShape.SequenceEqual(expected.Shape) || actual.Length != expected.Length)
            return new Mismatch(name, -1, float.NaN, float.NaN, double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity, false,
                $"{Tensor.FormatShape(actualShape)} (length {actual.Length}), reference {expected.ShapeString}");
        double maxAbs = 0, maxRel = 0, worst = 0;
        int worstAt = 0;
        var e = expected.Data;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], r = e[i];
            double d = Math.Abs(a - r);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            double scaled = d / (atol + rtol * Math.Abs(r));
            if (d > maxAbs) maxAbs = d;
            if (r != 0 && d / Math.Abs(r) > maxRel) maxRel = d / Math.Abs(r);
            if (scaled > worst || i == 0) { worst = scaled; worstAt = i; }
        }
        return new Mismatch(name, worstAt, actual.Length == 0 ? 0 : actual[worstAt], e.Length == 0 ? 0 : e[worstAt], maxAbs, maxRel, worst, true,
            Tensor.FormatShape(actualShape));
    }

    /// <summary>Comparisons of every tensor of one case; <see cref="AssertAll"/> fails listing all of them.</summary>
    public sealed class Report(string caseName, double rtol, double atol)
    {
        private readonly List<Mismatch> _items = [];

        /// <summary>The comparisons made so far.</summary>
        public IReadOnlyList<Mismatch> Items => _items;

        /// <summary>True when every comparison passed.</summary>
        public bool AllPassed => _items.TrueForAll(m => m.Passed);

        /// <summary>Compares a tensor with its reference.</summary>
        public void Add(string name, Tensor? actual, Tensor expected)
        {
            if (actual is null)
            {
                _items.Add(new Mismatch(name, -1, float.NaN, float.NaN, double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity, false,
                    $"missing (null), reference {expected.ShapeString}"));
                return;
            }
            _items.Add(Compare(name, actual.Data, actual.Shape, expected, rtol, atol));
        }

        /// <summary>Compares a span (e.g. a parameter gradient view) of the given shape with its reference.</summary>
        /// <summary>
        /// As <see cref="Add(string, Tensor?, Tensor)"/> with the absolute tolerance scaled by the reference's largest
        /// magnitude, <c>atol * max(1, max|want|)</c>: a tensor whose entries reach 60 carries float32 rounding of
        /// that size into its small entries too (the layer-normalised LSTM's gradients do).
        /// </summary>
        public void AddScaled(string name, Tensor? actual, Tensor expected)
        {
            if (actual is null) { Add(name, actual, expected); return; }
            double max = 1;
            foreach (float x in expected.Data) max = Math.Max(max, Math.Abs((double)x));
            _items.Add(Compare(name, actual.Data, actual.Shape, expected, rtol, atol * max));
        }

        public void Add(string name, ReadOnlySpan<float> actual, int[] shape, Tensor expected)
            => _items.Add(Compare(name, actual, shape, expected, rtol, atol));

        /// <summary>One line per tensor.</summary>
        public override string ToString()
        {
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"{caseName} (pass: |got - want| <= {atol:G} + {rtol:G} * |want|)");
            foreach (var m in _items) sb.Append("\n  ").Append(m.ToString());
            return sb.ToString();
        }

        /// <summary>Fails, with every tensor's worst error in the message, unless all comparisons passed.</summary>
        public void AssertAll()
        {
            Assert.True(_items.Count > 0, $"{caseName}: nothing was compared.");
            Assert.True(AllPassed, ToString());
        }
    }
}
