"""Every sequence block of Recur's registry (src/Recur/Nn/Blocks/BlockRegistry.cs) as a torch module with Recur's
parameter names, over a time-major chunk x (T, B, D) from a carried state (None: the zero state), returning
(y, state). Residual dropout on each sub-block's output in training (none in the Transformer, as Recur). The
equations are the papers' (docs/ZOO.md); the same forms built Recur's PyTorch block fixtures.

  mingru-res, minlstm-res  x' = x + cell(LN_1(x));  y = x' + W_2 GELU_tanh(W_1 LN_2(x') + b_1) + b_2
  rwkv                     RWKV-4 time mixing (token shift, WKV with decay and bonus) and channel mixing
  transformer              pre-norm GPT-2 block, its own learned positions, a window of the last C tokens
  lru                      complex diagonal linear recurrence, N = D units, then GELU_tanh and a linear
  mamba                    selective SSM: causal depthwise conv, SiLU, input-dependent step, B and C, SiLU gate
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from cells import CellStack


def _drop(module, y):
    return F.dropout(y, module.dropout, True) if module.training and module.dropout > 0 else y


class Mlp(nn.Module):
    def __init__(self, D, E, names=("fc", "proj")):
        super().__init__()
        self.names = names
        setattr(self, names[0], nn.Linear(D, E))
        setattr(self, names[1], nn.Linear(E, D))

    def forward(self, x, approximate="tanh"):
        return getattr(self, self.names[1])(F.gelu(getattr(self, self.names[0])(x), approximate=approximate))


class CellBlock(nn.Module):
    def __init__(self, cell, D, o):
        super().__init__()
        self.dropout = o["dropout"]
        self.ln_1 = nn.LayerNorm(D)
        self.cell = CellStack(cell, D, D, 1)
        self.ln_2 = nn.LayerNorm(D)
        self.mlp = Mlp(D, o["expand"] * D)

    def forward(self, x, state=None):
        y, st = self.cell(self.ln_1(x), state)
        x = x + _drop(self, y)
        return x + _drop(self, self.mlp(self.ln_2(x))), st


class RwkvTimeMix(nn.Module):
    def __init__(self, D):
        super().__init__()
        for name in ["time_decay", "time_first", "time_mix_k", "time_mix_v", "time_mix_r"]:
            self.register_parameter(name, nn.Parameter(torch.zeros(D)))
        for name in ["key", "value", "receptance", "output"]:
            setattr(self, name, nn.Linear(D, D, bias=False))


class RwkvChannelMix(nn.Module):
    def __init__(self, D, E):
        super().__init__()
        self.time_mix_k = nn.Parameter(torch.zeros(D))
        self.time_mix_r = nn.Parameter(torch.zeros(D))
        self.key = nn.Linear(D, E, bias=False)
        self.receptance = nn.Linear(D, D, bias=False)
        self.value = nn.Linear(E, D, bias=False)


def _shift(u, prev):
    """u_{t-1} for every t, the carried last token (zeros at the start) before the first: (T, B, D)."""
    return torch.cat([prev.unsqueeze(0), u[:-1]], 0)


class RwkvBlock(nn.Module):
    """State: (last LN1 output, last LN2 output, wkv numerator a, denominator b, exponent p), each (B, D)."""

    def __init__(self, D, o):
        super().__init__()
        self.dropout = o["dropout"]
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.att = RwkvTimeMix(D)
        self.ffn = RwkvChannelMix(D, o["expand"] * D)

    def forward(self, x, state=None):
        T, B, D = x.shape
        if state is None:
            state = tuple(torch.zeros(B, D, device=x.device) for _ in range(5))
        s_att, s_ffn, a, b, p = state
        att, ffn = self.att, self.ffn
        u = self.ln1(x)
        prev = _shift(u, s_att)

        def mix(mu, cur, before):
            return mu * cur + (1 - mu) * before

        k = att.key(mix(att.time_mix_k, u, prev))
        v = att.value(mix(att.time_mix_v, u, prev))
        r = att.receptance(mix(att.time_mix_r, u, prev))
        w, first = torch.exp(att.time_decay), att.time_first
        outs = []
        for t in range(T):
            ww = first + k[t]
            q = torch.maximum(p, ww)
            e1, e2 = torch.exp(p - q), torch.exp(ww - q)
            outs.append((e1 * a + e2 * v[t]) / (e1 * b + e2))
            ww = p - w
            q = torch.maximum(ww, k[t])
            e1, e2 = torch.exp(ww - q), torch.exp(k[t] - q)
            a, b, p = e1 * a + e2 * v[t], e1 * b + e2, q
        x = x + _drop(self, att.output(torch.sigmoid(r) * torch.stack(outs, 0)))
        u2 = self.ln2(x)
        prev2 = _shift(u2, s_ffn)
        kk = ffn.key(mix(ffn.time_mix_k, u2, prev2))
        rr = ffn.receptance(mix(ffn.time_mix_r, u2, prev2))
        y = x + _drop(self, torch.sigmoid(rr) * ffn.value(torch.relu(kk) ** 2))
        return y, (u[-1], u2[-1], a, b, p)


class Attention(nn.Module):
    def __init__(self, D):
        super().__init__()
        self.c_attn = nn.Linear(D, 3 * D)
        self.c_proj = nn.Linear(D, D)


class TransformerBlock(nn.Module):
    """State: (keys, values (B, heads, n, D/heads) of the last n <= C - 1 tokens, position p of the next token)."""

    def __init__(self, D, o):
        super().__init__()
        self.heads, self.context = o["heads"], o["context"]
        self.ln_1 = nn.LayerNorm(D)
        self.wpe = nn.Embedding(self.context, D)
        self.attn = Attention(D)
        self.ln_2 = nn.LayerNorm(D)
        self.mlp = Mlp(D, o["expand"] * D, names=("c_fc", "c_proj"))

    def forward(self, x, state=None):
        T, B, D = x.shape
        H, C = self.heads, self.context
        dh = D // H
        if state is None:
            empty = torch.zeros(B, H, 0, dh, device=x.device)
            state = (empty, empty, 0)
        kc, vc, p0 = state
        n = kc.shape[2]
        pos = torch.clamp(torch.arange(p0, p0 + T, device=x.device), max=C - 1)
        u = self.ln_1(x) + self.wpe.weight[pos][:, None, :]
        q, k, v = (z.reshape(T, B, H, dh).permute(1, 2, 0, 3) for z in self.attn.c_attn(u).split(D, dim=-1))
        keys, values = torch.cat([kc, k], 2), torch.cat([vc, v], 2)  # (B, H, n + T, dh)
        s = q @ keys.transpose(-1, -2) / math.sqrt(dh)  # (B, H, T, n + T)
        i = torch.arange(T, device=x.device)[:, None] + n  # query index among the keys
        j = torch.arange(n + T, device=x.device)[None, :]
        seen = (j <= i) & (j > i - C)
        a = (torch.softmax(s.masked_fill(~seen, float("-inf")), dim=-1) @ values).permute(2, 0, 1, 3).reshape(T, B, D)
        x = x + self.attn.c_proj(a)
        y = x + self.mlp(self.ln_2(x), approximate="none")
        keep = min(n + T, C - 1)
        return y, (keys[:, :, n + T - keep:].detach(), values[:, :, n + T - keep:].detach(), p0 + T)


class LruBlock(nn.Module):
    """State: the complex hidden state h (B, N)."""

    def __init__(self, D, o):
        super().__init__()
        self.dropout = o["dropout"]
        N = D
        self.norm = nn.LayerNorm(D)
        for name, shape in [("nu_log", (N,)), ("theta_log", (N,)), ("gamma_log", (N,)), ("B_re", (N, D)), ("B_im", (N, D)),
                            ("C_re", (D, N)), ("C_im", (D, N)), ("D", (D,))]:
            self.register_parameter(name, nn.Parameter(torch.zeros(shape)))
        self.out_proj = nn.Linear(D, D)

    def forward(self, x, state=None):
        T, B, D = x.shape
        u = self.norm(x)
        lam = torch.exp(torch.complex(-torch.exp(self.nu_log), torch.exp(self.theta_log)))
        gamma = torch.exp(self.gamma_log)
        Bc, Cc = torch.complex(self.B_re, self.B_im), torch.complex(self.C_re, self.C_im)
        h = torch.zeros(B, self.nu_log.shape[0], dtype=torch.complex64, device=x.device) if state is None else state
        bu = gamma * (u.to(torch.complex64) @ Bc.t())  # (T, B, N)
        outs = []
        for t in range(T):
            h = lam * h + bu[t]
            outs.append((h @ Cc.t()).real + self.D * u[t])
        out = torch.stack(outs)
        return x + _drop(self, self.out_proj(F.gelu(out, approximate="tanh"))), h


class MambaBlock(nn.Module):
    """State: (the last K - 1 conv inputs (B, Di, K - 1), the SSM state h (B, Di, N))."""

    def __init__(self, D, o):
        super().__init__()
        self.dropout = o["dropout"]
        Di, N, K, R = o["expand"] * D, o["state_size"], o["conv_width"], math.ceil(D / 16)
        self.dims = (Di, N, K, R)
        self.norm = nn.LayerNorm(D)
        self.in_proj = nn.Linear(D, 2 * Di, bias=False)
        self.conv1d = nn.Conv1d(Di, Di, K, groups=Di)
        self.x_proj = nn.Linear(Di, R + 2 * N, bias=False)
        self.dt_proj = nn.Linear(R, Di)
        self.A_log = nn.Parameter(torch.zeros(Di, N))
        self.D = nn.Parameter(torch.ones(Di))
        self.out_proj = nn.Linear(Di, D, bias=False)

    def forward(self, x, state=None):
        T, B, D = x.shape
        Di, N, K, R = self.dims
        if state is None:
            state = (torch.zeros(B, Di, K - 1, device=x.device), torch.zeros(B, Di, N, device=x.device))
        conv_prev, h = state
        x_in, z = self.in_proj(self.norm(x)).split(Di, dim=-1)
        seq = torch.cat([conv_prev, x_in.permute(1, 2, 0)], 2)  # (B, Di, K - 1 + T)
        x_c = F.silu(F.conv1d(seq, self.conv1d.weight, self.conv1d.bias, groups=Di).permute(2, 0, 1))  # (T, B, Di)
        d, Bm, Cm = self.x_proj(x_c).split([R, N, N], dim=-1)
        delta = F.softplus(self.dt_proj(d))  # (T, B, Di)
        A = -torch.exp(self.A_log)
        ys = []
        for t in range(T):
            dt = delta[t].unsqueeze(-1)
            h = torch.exp(dt * A) * h + dt * Bm[t].unsqueeze(1) * x_c[t].unsqueeze(-1)
            ys.append((h * Cm[t].unsqueeze(1)).sum(-1) + self.D * x_c[t])
        y = torch.stack(ys) * F.silu(z)
        return x + _drop(self, self.out_proj(y)), (seq[:, :, seq.shape[2] - (K - 1):], h)


BLOCKS = {
    "mingru-res": lambda D, o: CellBlock("mingru", D, o),
    "minlstm-res": lambda D, o: CellBlock("minlstm", D, o),
    "rwkv": RwkvBlock,
    "transformer": TransformerBlock,
    "lru": LruBlock,
    "mamba": MambaBlock,
}


def make_blocks(kind, D, layers, options):
    """L blocks of one kind as a ModuleList (the model holds it as `blocks`: blocks.{l}.* as Recur names them)."""
    if kind not in BLOCKS:
        raise ValueError(f"unknown block '{kind}'; the blocks are {', '.join(BLOCKS)}")
    return nn.ModuleList([BLOCKS[kind](D, options) for _ in range(layers)])


def run_blocks(blocks, x, states=None):
    """x (T, B, D) through every block from its carried state (None: zeros); returns y and the new states."""
    states = states or [None] * len(blocks)
    out = []
    for block, st in zip(blocks, states):
        x, st = block(x, st)
        out.append(st)
    return x, out
