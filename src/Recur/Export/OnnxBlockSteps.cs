using Recur.Nn;
using Recur.Nn.Blocks;
using Recur.Nn.Cells;

namespace Recur.Export;

/// <summary>
/// One time step of the recurrent blocks of <see cref="BlockRegistry"/> as ONNX operators, <c>x</c> <c>[B, D]</c> and the
/// block's carried state to the block's output and new state (the equations of the PyTorch package's blocks.py):
/// <list type="bullet">
/// <item><c>mingru-res</c>, <c>minlstm-res</c>: state <c>h</c> <c>[D]</c>;</item>
/// <item><c>rwkv</c>: the last LN outputs of time and channel mixing <c>att</c>, <c>ffn</c> and the WKV numerator,
/// denominator and exponent <c>wkv_a</c>, <c>wkv_b</c>, <c>wkv_p</c>, each <c>[D]</c>;</item>
/// <item><c>lru</c>: the complex state as <c>h_re</c>, <c>h_im</c> <c>[D]</c>;</item>
/// <item><c>mamba</c>: the convolution's last <c>K - 1</c> inputs <c>conv</c> <c>[Di, K - 1]</c> and the SSM state
/// <c>ssm</c> <c>[Di, N]</c>.</item>
/// </list>
/// The Transformer has no carried state of fixed size; it is a whole-sequence graph (<see cref="OnnxTransformer"/>).
/// </summary>
public static class OnnxBlockSteps
{
    /// <summary>The carried states of one block of the stack's kind and its step.</summary>
    public static (OnnxState[] States, OnnxLayerStep Step) Body(ParameterStore store, BlockStack blocks)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(blocks);
        int D = blocks.Width;
        string Path(int l) => $"{blocks.Path}.{l}";
        switch (blocks.Kind)
        {
            case "mingru-res" or "minlstm-res":
            {
                var cell = CellRegistry.Get(blocks.Kind[..^4]);
                return ([new OnnxState("h", D)], (o, l, x, st) => CellBlock(o, store, cell, Path(l), D, x, st));
            }
            case "rwkv":
                return ([new("att", D), new("ffn", D), new("wkv_a", D), new("wkv_b", D), new("wkv_p", D)],
                    (o, l, x, st) => Rwkv(o, store, Path(l), x, st));
            case "lru": return ([new("h_re", D), new("h_im", D)], (o, l, x, st) => Lru(o, store, Path(l), D, x, st));
            case "mamba":
            {
                var conv = store[$"{Path(0)}.conv1d.weight"];
                var aLog = store[$"{Path(0)}.A_log"];
                int Di = conv.Shape[0], K = conv.Shape[2], N = aLog.Shape[1];
                if (K < 2) throw new NotSupportedException("a Mamba block with convolution width 1 has no ONNX step (it carries no convolution state).");
                return ([new("conv", Di, K - 1), new("ssm", Di, N)], (o, l, x, st) => Mamba(o, store, Path(l), Di, K, N, x, st));
            }
            default:
                throw new NotSupportedException($"a {blocks.Kind} block has no ONNX step; the Transformer exports as a whole-sequence graph.");
        }
    }

    private static string Linear(OnnxOps o, ParameterStore s, string x, string prefix, bool bias = true)
        => o.Linear(x, s[prefix + ".weight"], bias ? s[prefix + ".bias"] : null);

    /// <summary><c>x' = x + cell(LN_1(x))</c>; <c>y = x' + W_2 GELU_tanh(W_1 LN_2(x') + b_1) + b_2</c>.</summary>
    private static (string, string[]) CellBlock(OnnxOps o, ParameterStore s, RecurrentCell cell, string p, int D, string x, string[] st)
    {
        var lp = new LayerParameters(s[$"{p}.cell.weight_ih_l0"], null, s[$"{p}.cell.bias_ih_l0"], null);
        string h = OnnxCellSteps.Step(o, cell, lp, D, o.LayerNorm(x, s, $"{p}.ln_1"), st)[0];
        string x1 = o.Add(x, h);
        string mlp = Linear(o, s, o.GeluTanh(Linear(o, s, o.LayerNorm(x1, s, $"{p}.ln_2"), $"{p}.mlp.fc")), $"{p}.mlp.proj");
        return (o.Add(x1, mlp), [h]);
    }

    /// <summary>RWKV-4's time mixing (token shift, WKV with decay and bonus in the stable exponent form) and channel mixing.</summary>
    private static (string, string[]) Rwkv(OnnxOps o, ParameterStore s, string p, string x, string[] st)
    {
        string att = $"{p}.att", ffn = $"{p}.ffn";
        string a = st[2], b = st[3], pe = st[4];
        string u = o.LayerNorm(x, s, $"{p}.ln1");
        string Mix(string mu, string cur, string before) => o.Lerp(before, cur, o.Param(s[mu]));
        string k = o.Linear(Mix($"{att}.time_mix_k", u, st[0]), s[$"{att}.key.weight"]);
        string v = o.Linear(Mix($"{att}.time_mix_v", u, st[0]), s[$"{att}.value.weight"]);
        string r = o.Linear(Mix($"{att}.time_mix_r", u, st[0]), s[$"{att}.receptance.weight"]);
        var decay = s[$"{att}.time_decay"].Value;
        var w = new float[decay.Length];
        for (int i = 0; i < w.Length; i++) w[i] = MathF.Exp(decay[i]);
        string ww = o.Add(o.Param(s[$"{att}.time_first"]), k);
        string q = o.Max(pe, ww);
        string e1 = o.Exp(o.Sub(pe, q)), e2 = o.Exp(o.Sub(ww, q));
        string wkv = o.Div(o.Add(o.Mul(e1, a), o.Mul(e2, v)), o.Add(o.Mul(e1, b), e2));
        string ww2 = o.Sub(pe, o.Const(w, w.Length));
        string q2 = o.Max(ww2, k);
        string f1 = o.Exp(o.Sub(ww2, q2)), f2 = o.Exp(o.Sub(k, q2));
        string a2 = o.Add(o.Mul(f1, a), o.Mul(f2, v)), b2 = o.Add(o.Mul(f1, b), f2);
        string x1 = o.Add(x, o.Linear(o.Mul(o.Sigmoid(r), wkv), s[$"{att}.output.weight"]));
        string u2 = o.LayerNorm(x1, s, $"{p}.ln2");
        string kk = o.Linear(Mix($"{ffn}.time_mix_k", u2, st[1]), s[$"{ffn}.key.weight"]);
        string rr = o.Linear(Mix($"{ffn}.time_mix_r", u2, st[1]), s[$"{ffn}.receptance.weight"]);
        string relu = o.Relu(kk);
        string y = o.Add(x1, o.Mul(o.Sigmoid(rr), o.Linear(o.Mul(relu, relu), s[$"{ffn}.value.weight"])));
        return (y, [u, u2, a2, b2, q2]);
    }

    /// <summary>
    /// LRU: <c>h' = λ h + γ (B u)</c> in complex arithmetic as real and imaginary parts, <c>λ = exp(-exp(ν) + i exp(θ))</c>;
    /// <c>out = Re(C h') + D u</c>; <c>y = x + W_o GELU_tanh(out) + b_o</c>.
    /// </summary>
    private static (string, string[]) Lru(OnnxOps o, ParameterStore s, string p, int D, string x, string[] st)
    {
        var nu = s[$"{p}.nu_log"].Value;
        var theta = s[$"{p}.theta_log"].Value;
        var gamma = s[$"{p}.gamma_log"].Value;
        int N = nu.Length;
        float[] re = new float[N], im = new float[N], bRe = new float[N * D], bIm = new float[N * D];
        var bReP = s[$"{p}.B_re"].Value;
        var bImP = s[$"{p}.B_im"].Value;
        for (int n = 0; n < N; n++)
        {
            double m = Math.Exp(-Math.Exp(nu[n])), a = Math.Exp(theta[n]);
            re[n] = (float)(m * Math.Cos(a));
            im[n] = (float)(m * Math.Sin(a));
            float g = MathF.Exp(gamma[n]);
            for (int d = 0; d < D; d++) { bRe[n * D + d] = g * bReP[n * D + d]; bIm[n * D + d] = g * bImP[n * D + d]; }
        }
        string u = o.LayerNorm(x, s, $"{p}.norm");
        string lr = o.Const(re, N), li = o.Const(im, N);
        string hRe = o.Add(o.Sub(o.Mul(lr, st[0]), o.Mul(li, st[1])), o.Linear(u, bRe, D, 0, N));
        string hIm = o.Add(o.Add(o.Mul(lr, st[1]), o.Mul(li, st[0])), o.Linear(u, bIm, D, 0, N));
        string out1 = o.Sub(o.Linear(hRe, s[$"{p}.C_re"]), o.Linear(hIm, s[$"{p}.C_im"]));
        string out2 = o.Add(out1, o.Mul(o.Param(s[$"{p}.D"]), u));
        return (o.Add(x, Linear(o, s, o.GeluTanh(out2), $"{p}.out_proj")), [hRe, hIm]);
    }

    /// <summary>Mamba's selective SSM step (see <see cref="MambaBlock"/>): the causal convolution over the carried inputs, then one step of the scan.</summary>
    private static (string, string[]) Mamba(OnnxOps o, ParameterStore s, string p, int Di, int K, int N, string x, string[] st)
    {
        var g = o.Graph;
        string xz = o.Linear(o.LayerNorm(x, s, $"{p}.norm"), s[$"{p}.in_proj.weight"]); // [B, 2Di]
        string xIn = o.Slice(xz, 1, 0, Di), z = o.Slice(xz, 1, Di, Di);
        string seq = o.Concat(2, st[0], g.Op("Unsqueeze", [xIn, o.Longs(2)])); // [B, Di, K]
        var conv = s[$"{p}.conv1d.weight"];
        string convOut = g.Op("ReduceSum", [o.Mul(seq, o.Const(conv.Value, Di, K)), o.Longs(2)], ("keepdims", 0));
        string xc = o.Silu(o.Add(convOut, o.Param(s[$"{p}.conv1d.bias"]))); // [B, Di]
        var xProj = s[$"{p}.x_proj.weight"];
        int R = xProj.Shape[0] - 2 * N;
        string d = o.Linear(xc, xProj, 0, R), bm = o.Linear(xc, xProj, R, N), cm = o.Linear(xc, xProj, R + N, N);
        string delta = g.Op("Softplus", [Linear(o, s, d, $"{p}.dt_proj")]);
        var aLog = s[$"{p}.A_log"].Value;
        var aNeg = new float[aLog.Length];
        for (int i = 0; i < aNeg.Length; i++) aNeg[i] = -MathF.Exp(aLog[i]);
        string dt = g.Op("Unsqueeze", [delta, o.Longs(2)]); // [B, Di, 1]
        string bx = o.Mul(g.Op("Unsqueeze", [bm, o.Longs(1)]), g.Op("Unsqueeze", [o.Mul(delta, xc), o.Longs(2)])); // [B, Di, N]
        string h = o.Add(o.Mul(o.Exp(o.Mul(dt, o.Const(aNeg, Di, N))), st[1]), bx);
        string y = g.Op("ReduceSum", [o.Mul(h, g.Op("Unsqueeze", [cm, o.Longs(1)])), o.Longs(2)], ("keepdims", 0));
        y = o.Mul(o.Add(y, o.Mul(o.Param(s[$"{p}.D"]), xc)), o.Silu(z));
        string outp = o.Linear(y, s[$"{p}.out_proj.weight"]);
        return (o.Add(x, outp), [o.Slice(seq, 2, 1, K - 1), h]);
    }
}
