using Recur.Nn.Cells;

namespace Recur.Export;

/// <summary>
/// One time step of every cell of <see cref="CellRegistry"/> as ONNX operators: <c>x</c> <c>[B, in]</c> and the state
/// (<c>h</c> <c>[B, H]</c>, then <c>c</c> for the LSTM family, then FGR's previous gates <c>[i; f; o]</c> <c>[B, 3H]</c>)
/// to the new state, <c>h</c> first. Each step is a composition of affine maps over gate blocks of Recur's parameters
/// (PyTorch's row order) and elementwise gates, the equations of docs/ZOO.md (the same as the PyTorch package's
/// cells.py).
/// </summary>
public static class OnnxCellSteps
{
    /// <summary>The state tensors a cell carries: <c>h</c>, <c>c</c> (LSTM family), <c>g</c> (FGR's previous gates).</summary>
    public static IReadOnlyList<string> StateNames(RecurrentCell cell)
        => cell is PeepholeLstmCell { Variant: GreffVariant.FGR } ? ["h", "c", "g"] : cell.HasCellState ? ["h", "c"] : ["h"];

    /// <summary>The width of state <paramref name="name"/> for hidden size <paramref name="H"/>.</summary>
    public static int StateWidth(string name, int H) => name == "g" ? 3 * H : H;

    /// <summary>The new state after one step from <paramref name="state"/> (see the class summary).</summary>
    public static string[] Step(OnnxOps o, RecurrentCell cell, LayerParameters p, int H, string x, string[] state)
    {
        var s = new Gates(o, p, H, x, state[0]);
        string h = state[0];
        switch (cell)
        {
            case LstmCell:
            {
                string c = o.Add(o.Mul(o.Sigmoid(s.Both(1)), state[1]), o.Mul(o.Sigmoid(s.Both(0)), o.Tanh(s.Both(2))));
                return [o.Mul(o.Sigmoid(s.Both(3)), o.Tanh(c)), c];
            }
            case GruCell or GruChoCell:
            {
                string r = o.Sigmoid(s.Both(0)), z = o.Sigmoid(s.Both(1));
                string n = cell is GruCell
                    ? o.Tanh(o.Add(s.In(2), o.Mul(r, s.Rec(2))))
                    : o.Tanh(o.Sum(s.In(2), o.Linear(o.Mul(r, h), p.WeightHh!, 2 * H, H), s.RecBias(2)));
                return [o.Lerp(n, h, z)];
            }
            case RnnCell:
                return [cell.Name == "rnn-relu" ? o.Relu(s.Both(0)) : o.Tanh(s.Both(0))];
            case Mut1Cell:
            {
                string z = o.Sigmoid(s.In(0)), r = o.Sigmoid(o.Add(s.In(1), s.Rec(0)));
                string n = o.Tanh(o.Sum(o.Linear(o.Mul(r, h), p.WeightHh!, H, H), o.Tanh(x), s.RecBias(1)));
                return [o.Lerp(h, n, z)];
            }
            case Mut2Cell:
            {
                string z = o.Sigmoid(o.Add(s.In(0), s.Rec(0))), r = o.Sigmoid(o.Add(x, s.Rec(1)));
                string n = o.Tanh(o.Sum(o.Linear(o.Mul(r, h), p.WeightHh!, 2 * H, H), s.In(1), s.RecBias(2)));
                return [o.Lerp(h, n, z)];
            }
            case Mut3Cell:
            {
                string z = o.Sigmoid(o.Sum(s.In(0), o.Linear(o.Tanh(h), p.WeightHh!, 0, H), s.RecBias(0)));
                string r = o.Sigmoid(o.Add(s.In(1), s.Rec(1)));
                string n = o.Tanh(o.Sum(o.Linear(o.Mul(r, h), p.WeightHh!, 2 * H, H), s.In(2), s.RecBias(2)));
                return [o.Lerp(h, n, z)];
            }
            case LayerNormLstmCell: return LayerNormLstm(o, p, H, x, state);
            case PeepholeLstmCell g: return Greff(o, g.Variant, p, H, x, state);
            case MinGruCell:
            {
                string z = o.Sigmoid(s.In(0));
                return [o.Lerp(h, MinG(o, s.In(1)), z)];
            }
            case MinLstmCell:
            {
                string f = o.Sigmoid(s.In(0)), i = o.Sigmoid(s.In(1));
                string fp = o.Div(f, o.Add(f, i));
                return [o.Lerp(MinG(o, s.In(2)), h, fp)];
            }
            case RhnCell rhn:
            {
                for (int l = 0; l < rhn.Depth; l++)
                {
                    string ah = o.Linear(h, p.WeightHh!.Value, H, 2 * l * H, H, p.BiasHh!.Value.Slice(2 * l * H, H));
                    string at = o.Linear(h, p.WeightHh!.Value, H, (2 * l + 1) * H, H, p.BiasHh!.Value.Slice((2 * l + 1) * H, H));
                    if (l == 0) { ah = o.Add(ah, s.In(0)); at = o.Add(at, s.In(1)); }
                    h = o.Lerp(h, o.Tanh(ah), o.Sigmoid(at));
                }
                return [h];
            }
            default: throw new NotSupportedException($"the {cell.Name} cell has no ONNX step.");
        }
    }

    /// <summary>minGRU's <c>g(x) = x + 0.5</c> for <c>x ≥ 0</c>, else <c>σ(x)</c>.</summary>
    private static string MinG(OnnxOps o, string x)
    {
        var g = o.Graph;
        return g.Op("Where", [g.Op("GreaterOrEqual", [x, o.Scalar(0f)]), o.Add(x, o.Scalar(0.5f)), o.Sigmoid(x)]);
    }

    private static string[] LayerNormLstm(OnnxOps o, LayerParameters p, int H, string x, string[] state)
    {
        var e = p.Extra; // ln_ih_weight, ln_ih_bias, ln_hh_weight, ln_hh_bias, ln_c_weight, ln_c_bias
        string a = o.Add(o.LayerNorm(o.Linear(x, p.WeightIh, p.BiasIh), e[0].Value, e[1].Value),
            o.LayerNorm(o.Linear(state[0], p.WeightHh!, p.BiasHh), e[2].Value, e[3].Value));
        string Gate(int k) => o.Slice(a, 1, k * H, H);
        string c = o.Add(o.Mul(o.Sigmoid(Gate(1)), state[1]), o.Mul(o.Sigmoid(Gate(0)), o.Tanh(Gate(2))));
        return [o.Mul(o.Sigmoid(Gate(3)), o.Tanh(o.LayerNorm(c, e[4].Value, e[5].Value))), c];
    }

    /// <summary>Greff et al.'s variants: (gate blocks, peepholed gates, coupled, linear input, linear output, full gate recurrence).</summary>
    private static (string Gates, string Peeps, bool Coupled, bool LinearIn, bool LinearOut, bool Fgr) Layout(GreffVariant v) => v switch
    {
        GreffVariant.NIG => ("fgo", "fo", false, false, false, false),
        GreffVariant.NFG => ("igo", "io", false, false, false, false),
        GreffVariant.NOG => ("ifg", "if", false, false, false, false),
        GreffVariant.NIAF => ("ifgo", "ifo", false, true, false, false),
        GreffVariant.NOAF => ("ifgo", "ifo", false, false, true, false),
        GreffVariant.NP => ("ifgo", "", false, false, false, false),
        GreffVariant.CIFG => ("igo", "io", true, false, false, false),
        GreffVariant.FGR => ("ifgo", "ifo", false, false, false, true),
        _ => ("ifgo", "ifo", false, false, false, false),
    };

    private static string[] Greff(OnnxOps o, GreffVariant variant, LayerParameters p, int H, string x, string[] state)
    {
        var (gates, peeps, coupled, linearIn, linearOut, fgr) = Layout(variant);
        var s = new Gates(o, p, H, x, state[0]);
        string c = state[1];
        var pre = new Dictionary<char, string>();
        for (int k = 0; k < gates.Length; k++) pre[gates[k]] = s.Both(k);
        if (fgr)
        {
            var wgg = p.Extra[1];
            foreach (var (gate, k) in new[] { ('i', 0), ('f', 1), ('o', 2) })
                pre[gate] = o.Add(pre[gate], o.Linear(state[2], wgg, k * H, H));
        }
        string? Peep(char gate, string cell)
            => peeps.IndexOf(gate, StringComparison.Ordinal) is int k and >= 0 ? o.Mul(o.Vector(p.Extra[0], k * H, H), cell) : null;
        string Sig(char gate, string cell) => o.Sigmoid(Peep(gate, cell) is { } pc ? o.Add(pre[gate], pc) : pre[gate]);
        string? i = pre.ContainsKey('i') ? Sig('i', c) : null; // null: the gate is 1
        string? f = pre.ContainsKey('f') ? Sig('f', c) : coupled ? o.OneMinus(i!) : null;
        string z = linearIn ? pre['g'] : o.Tanh(pre['g']);
        string cNew = o.Add(Gated(o, z, i), Gated(o, c, f));
        string? og = pre.ContainsKey('o') ? Sig('o', cNew) : null;
        string hNew = Gated(o, linearOut ? cNew : o.Tanh(cNew), og);
        return fgr ? [hNew, cNew, o.Concat(1, i!, f!, og!)] : [hNew, cNew];
    }

    /// <summary><c>a ⊙ gate</c>, or <c>a</c> for a removed gate (null, the constant 1).</summary>
    private static string Gated(OnnxOps o, string a, string? gate) => gate is null ? a : o.Mul(a, gate);

    /// <summary>The gate blocks of one step: input part <c>x W_ih[k]^T + b_ih[k]</c>, recurrent part, and both.</summary>
    private sealed class Gates(OnnxOps o, LayerParameters p, int H, string x, string h)
    {
        public string In(int k) => o.Linear(x, p.WeightIh.Value, p.WeightIh.Shape[1], k * H, H, p.BiasIh is null ? default : p.BiasIh.Value.Slice(k * H, H));
        public string RecBias(int k) => o.Bias(H, (p.BiasHh, k * H));
        public string Rec(int k) => o.Linear(h, p.WeightHh!.Value, H, k * H, H, p.BiasHh is null ? default : p.BiasHh.Value.Slice(k * H, H));
        public string Both(int k) => o.Add(In(k), Rec(k));
    }
}
