using Recur.Nn;

namespace Recur.Export;

/// <summary>
/// Arithmetic on an <see cref="OnnxGraph"/>'s values in the terms the step graphs are written in: affine maps from
/// (slices of) Recur's parameters, elementwise gates, layer norm and the usual activations, each a few plain ONNX
/// operators (opset 17, for LayerNormalization). Values are names; constants get fresh names.
/// </summary>
public sealed class OnnxOps(OnnxGraph graph)
{
    /// <summary>The opset these operators need.</summary>
    public const int Opset = 17;

    /// <summary>The graph the operators are added to.</summary>
    public OnnxGraph Graph { get; } = graph;

    /// <summary>A float constant of the given dimensions.</summary>
    public string Const(ReadOnlySpan<float> data, params long[] dims) => Graph.Constant(Graph.Fresh("c"), data, dims);

    /// <summary>A float scalar constant (broadcasts).</summary>
    public string Scalar(float v) => Const([v]);

    /// <summary>An int64 vector constant.</summary>
    public string Longs(params long[] v) => Graph.Constant(Graph.Fresh("i"), v, v.Length);

    /// <summary>
    /// <c>x W[r0 : r0 + n]^T</c> (plus <paramref name="bias"/> when given): a MatMul against the transposed rows,
    /// <c>x</c> <c>[..., in]</c> to <c>[..., n]</c>; <paramref name="w"/> is <c>(rows, in)</c> row-major.
    /// </summary>
    public string Linear(string x, ReadOnlySpan<float> w, int inFeatures, int r0, int n, ReadOnlySpan<float> bias = default)
    {
        var wt = new float[inFeatures * n]; // [in, n]
        for (int r = 0; r < n; r++) for (int k = 0; k < inFeatures; k++) wt[k * n + r] = w[(r0 + r) * inFeatures + k];
        string y = Graph.Op("MatMul", [x, Const(wt, inFeatures, n)]);
        return bias.IsEmpty ? y : Add(y, Const(bias, n));
    }

    /// <summary><c>x W^T (+ b)</c> for a whole <c>(out, in)</c> parameter.</summary>
    public string Linear(string x, Parameter w, Parameter? b = null)
        => Linear(x, w.Value, w.Shape[1], 0, w.Shape[0], b is null ? default : b.Value);

    /// <summary>Rows <c>[r0, r0 + n)</c> of a <c>(rows, in)</c> parameter applied to <paramref name="x"/>.</summary>
    public string Linear(string x, Parameter w, int r0, int n) => Linear(x, w.Value, w.Shape[1], r0, n);

    /// <summary>The sum of the given slices <c>[start, start + n)</c> of bias vectors (absent ones skipped), as a constant.</summary>
    public string Bias(int n, params (Parameter? P, int Start)[] parts)
    {
        var b = new float[n];
        foreach (var (p, s) in parts)
            if (p is not null) for (int i = 0; i < n; i++) b[i] += p.Value[s + i];
        return Const(b, n);
    }

    /// <summary>A slice <c>[start, start + n)</c> of a vector parameter as a constant.</summary>
    public string Vector(Parameter p, int start, int n) => Const(p.Value.Slice(start, n), n);

    /// <summary>A whole parameter as a constant of its own shape.</summary>
    public string Param(Parameter p) => Const(p.Value, [.. p.Shape.Select(d => (long)d)]);

    /// <summary><c>a + b</c> (broadcasting).</summary>
    public string Add(string a, string b) => Graph.Op("Add", [a, b]);
    /// <summary><c>a - b</c>.</summary>
    public string Sub(string a, string b) => Graph.Op("Sub", [a, b]);
    /// <summary><c>a ⊙ b</c>.</summary>
    public string Mul(string a, string b) => Graph.Op("Mul", [a, b]);
    /// <summary><c>a / b</c>.</summary>
    public string Div(string a, string b) => Graph.Op("Div", [a, b]);
    /// <summary>The elementwise maximum.</summary>
    public string Max(string a, string b) => Graph.Op("Max", [a, b]);
    /// <summary><c>σ(a)</c>.</summary>
    public string Sigmoid(string a) => Graph.Op("Sigmoid", [a]);
    /// <summary><c>tanh(a)</c>.</summary>
    public string Tanh(string a) => Graph.Op("Tanh", [a]);
    /// <summary><c>max(a, 0)</c>.</summary>
    public string Relu(string a) => Graph.Op("Relu", [a]);
    /// <summary><c>exp(a)</c>.</summary>
    public string Exp(string a) => Graph.Op("Exp", [a]);

    /// <summary>The sum of several values.</summary>
    public string Sum(params string[] xs) => xs.Length == 1 ? xs[0] : Graph.Op("Sum", xs);

    /// <summary><c>1 - a</c>.</summary>
    public string OneMinus(string a) => Sub(Scalar(1f), a);

    /// <summary><c>a * (1 - g) + b * g</c> written as <c>a + g (b - a)</c>.</summary>
    public string Lerp(string a, string b, string g) => Add(a, Mul(g, Sub(b, a)));

    /// <summary>SiLU, <c>x σ(x)</c>.</summary>
    public string Silu(string x) => Mul(x, Sigmoid(x));

    /// <summary>GELU with the tanh approximation: <c>0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))</c>.</summary>
    public string GeluTanh(string x)
    {
        string cube = Mul(Mul(x, x), x);
        string inner = Mul(Scalar(MathF.Sqrt(2f / MathF.PI)), Add(x, Mul(Scalar(0.044715f), cube)));
        return Mul(Mul(Scalar(0.5f), x), Add(Scalar(1f), Tanh(inner)));
    }

    /// <summary>Exact GELU: <c>0.5 x (1 + erf(x / √2))</c>.</summary>
    public string GeluErf(string x)
        => Mul(Mul(Scalar(0.5f), x), Add(Scalar(1f), Graph.Op("Erf", [Mul(x, Scalar(1f / MathF.Sqrt(2f)))])));

    /// <summary>Layer norm over the last axis with gain and bias vectors (ONNX LayerNormalization).</summary>
    public string LayerNorm(string x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, float eps = 1e-5f)
        => Graph.Op("LayerNormalization", [x, Const(w, w.Length), Const(b, b.Length)], ("axis", -1), ("epsilon", eps));

    /// <summary>Layer norm with the parameters <c>{prefix}.weight</c> and <c>{prefix}.bias</c>.</summary>
    public string LayerNorm(string x, ParameterStore store, string prefix, float eps = 1e-5f)
        => LayerNorm(x, store[prefix + ".weight"].Value, store[prefix + ".bias"].Value, eps);

    /// <summary>Elements <c>[start, start + n)</c> of <paramref name="x"/> along <paramref name="axis"/>.</summary>
    public string Slice(string x, int axis, long start, long n)
        => Graph.Op("Slice", [x, Longs(start), Longs(start + n), Longs(axis)]);

    /// <summary>Index <paramref name="i"/> of axis 0, the axis removed (a scalar Gather).</summary>
    public string Pick(string x, long i) => Graph.Op("Gather", [x, Graph.Constant(Graph.Fresh("idx"), [i])], ("axis", 0));

    /// <summary>Stacks values along a new axis 0.</summary>
    public string Stack(params string[] xs)
        => Graph.Op("Concat", [.. xs.Select(x => Graph.Op("Unsqueeze", [x, Longs(0)]))], ("axis", 0));

    /// <summary>Concatenates along <paramref name="axis"/>.</summary>
    public string Concat(int axis, params string[] xs) => xs.Length == 1 ? xs[0] : Graph.Op("Concat", xs, ("axis", axis));

    /// <summary>Gives a value its public name through an Identity node.</summary>
    public string Name(string value, string name) => Graph.Node("Identity", [value], [name])[0];
}
