"""A pre-norm causal Transformer block in the style of GPT-2 (Radford et al. 2019), nanoGPT's names.

For token x_t at absolute position t (the fixture starts from the empty cache, so t = 0 .. T-1):
    u   = LN1(x_t) + wpe[min(t, C - 1)]                  this block's own learned positions (C = context)
    q, k, v = u W_attn^T + b_attn                        one Linear D -> 3D, split into H heads of D/H
    a_t = sum_j softmax_j(q_t . k_j / sqrt(D/H)) v_j     per head, over j = max(0, t-C+1) .. t
    x'  = x_t + a_t W_proj^T + b_proj
    y_t = x' + W_2 GELU(W_1 LN2(x') + b_1) + b_2         exact (erf) GELU, hidden width expand * D
Recur's long-context rule (the window of the last C tokens, positions past the table sharing its last
row) is what the T = 40 > C = 16 case checks.
"""

import math

import torch
import torch.nn.functional as F

from make_block_fixtures import Block


def params(D, o):
    E = o["expand"] * D
    C = o["context"]
    return [
        ("ln_1.weight", (D,), 1.0), ("ln_1.bias", (D,), 0.0),
        ("wpe.weight", (C, D), None),
        ("attn.c_attn.weight", (3 * D, D), None), ("attn.c_attn.bias", (3 * D,), None),
        ("attn.c_proj.weight", (D, D), None), ("attn.c_proj.bias", (D,), None),
        ("ln_2.weight", (D,), 1.0), ("ln_2.bias", (D,), 0.0),
        ("mlp.c_fc.weight", (E, D), None), ("mlp.c_fc.bias", (E,), None),
        ("mlp.c_proj.weight", (D, E), None), ("mlp.c_proj.bias", (D,), None),
    ]


def forward(x, p, o):
    T, B, D = x.shape
    H, C = o["heads"], o["context"]
    dh = D // H
    u = F.layer_norm(x, (D,), p["ln_1.weight"], p["ln_1.bias"], 1e-5)
    rows = torch.clamp(torch.arange(T), max=C - 1)
    u = u + p["wpe.weight"][rows][:, None, :]
    qkv = u @ p["attn.c_attn.weight"].T + p["attn.c_attn.bias"]
    q, k, v = (z.reshape(T, B, H, dh).permute(1, 2, 0, 3) for z in qkv.split(D, dim=-1))  # (B, H, T, dh)
    s = q @ k.transpose(-1, -2) / math.sqrt(dh)  # (B, H, T, T)
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    seen = (j <= i) & (j > i - C)
    a = torch.softmax(s.masked_fill(~seen, float("-inf")), dim=-1) @ v  # (B, H, T, dh)
    a = a.permute(2, 0, 1, 3).reshape(T, B, D)
    x1 = x + a @ p["attn.c_proj.weight"].T + p["attn.c_proj.bias"]
    u2 = F.layer_norm(x1, (D,), p["ln_2.weight"], p["ln_2.bias"], 1e-5)
    h = F.gelu(u2 @ p["mlp.c_fc.weight"].T + p["mlp.c_fc.bias"])
    return x1 + h @ p["mlp.c_proj.weight"].T + p["mlp.c_proj.bias"]


BLOCKS = {"transformer": Block(params=params, forward=forward)}
