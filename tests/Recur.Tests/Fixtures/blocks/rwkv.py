"""RWKV-4 (Peng et al. 2023, "RWKV: Reinventing RNNs for the Transformer Era"), one block, from the paper's
equations in float64, for src/Recur/Nn/Blocks/RwkvBlock.cs.

Time mixing: u = LN1(x), token shift u_{t-1} (zero before the first token), r/k/v = W (mu * u_t + (1 - mu) * u_{t-1}),
  wkv_t = (sum_{i<t} e^{-(t-1-i) w + k_i} v_i + e^{u_b + k_t} v_t) / (sum_{i<t} e^{-(t-1-i) w + k_i} + e^{u_b + k_t})
with w = exp(time_decay), u_b = time_first, computed here in the naive sum form (float64 holds the exponentials
at these sizes; Recur runs the stable recurrence), x' = x + W_o (sigmoid(r) * wkv).
Channel mixing: u' = LN2(x'), its own token shift, y = x' + sigmoid(W_r' xr) * W_v' relu(W_k' xk)^2, hidden E*D.
"""

import math

import torch

from make_block_fixtures import Block


def params(D, opts):
    H = opts["expand"] * D
    return [
        ("ln1.weight", (D,), 1.0), ("ln1.bias", (D,), 0.0),
        ("ln2.weight", (D,), 1.0), ("ln2.bias", (D,), 0.0),
        ("att.time_decay", (D,), ("uniform", -3.0, 1.5)),
        ("att.time_first", (D,), math.log(0.3)),
        ("att.time_mix_k", (D,), ("uniform", 0.0, 1.0)),
        ("att.time_mix_v", (D,), ("uniform", 0.0, 1.0)),
        ("att.time_mix_r", (D,), ("uniform", 0.0, 1.0)),
        ("att.key.weight", (D, D), None), ("att.value.weight", (D, D), None),
        ("att.receptance.weight", (D, D), None), ("att.output.weight", (D, D), None),
        ("ffn.time_mix_k", (D,), ("uniform", 0.0, 1.0)),
        ("ffn.time_mix_r", (D,), ("uniform", 0.0, 1.0)),
        ("ffn.key.weight", (H, D), None), ("ffn.receptance.weight", (D, D), None), ("ffn.value.weight", (D, H), None),
    ]


def layer_norm(x, w, b):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * w + b


def shifted(u):
    """u_{t-1} for every t, zero before the first token: (T, B, D)."""
    return torch.cat([torch.zeros_like(u[:1]), u[:-1]], 0)


def mix(u, prev, mu):
    return mu * u + (1 - mu) * prev


def wkv(w, ub, k, v):
    """The paper's sum form, every step from scratch: (T, B, D)."""
    T = k.shape[0]
    out = []
    for t in range(T):
        bonus = torch.exp(ub + k[t])
        num, den = bonus * v[t], bonus.clone()
        if t > 0:
            age = (t - 1 - torch.arange(t, dtype=k.dtype)).view(t, 1, 1)
            e = torch.exp(-age * w + k[:t])
            num = num + (e * v[:t]).sum(0)
            den = den + e.sum(0)
        out.append(num / den)
    return torch.stack(out, 0)


def forward(x, p, opts):
    u = layer_norm(x, p["ln1.weight"], p["ln1.bias"])
    prev = shifted(u)
    k = mix(u, prev, p["att.time_mix_k"]) @ p["att.key.weight"].T
    v = mix(u, prev, p["att.time_mix_v"]) @ p["att.value.weight"].T
    r = mix(u, prev, p["att.time_mix_r"]) @ p["att.receptance.weight"].T
    a = wkv(torch.exp(p["att.time_decay"]), p["att.time_first"], k, v)
    x1 = x + (torch.sigmoid(r) * a) @ p["att.output.weight"].T

    u2 = layer_norm(x1, p["ln2.weight"], p["ln2.bias"])
    prev2 = shifted(u2)
    kk = mix(u2, prev2, p["ffn.time_mix_k"]) @ p["ffn.key.weight"].T
    rr = mix(u2, prev2, p["ffn.time_mix_r"]) @ p["ffn.receptance.weight"].T
    vv = torch.relu(kk) ** 2 @ p["ffn.value.weight"].T
    return x1 + torch.sigmoid(rr) * vv


BLOCKS = {"rwkv": Block(params, forward)}
