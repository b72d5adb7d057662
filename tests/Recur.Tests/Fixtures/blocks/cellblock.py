"""minGRU and minLSTM in Feng et al.'s residual block (src/Recur/Nn/Blocks/CellBlock.cs):
x' = x + cell(LN_1(x)) from a zero state;  y = x' + W_2 GELU_tanh(W_1 LN_2(x') + b_1) + b_2.
The cell steps are zoo/mingru.py's, written from the paper."""

import torch
import torch.nn.functional as F

from make_block_fixtures import Block
from zoo.mingru import mingru_step, minlstm_step


def make(gates, step):
    def params(D, opts):
        E = opts["expand"] * D
        return [("ln_1.weight", (D,), 1.0), ("ln_1.bias", (D,), 0.0),
                ("cell.weight_ih_l0", (gates * D, D), None), ("cell.bias_ih_l0", (gates * D,), None),
                ("ln_2.weight", (D,), 1.0), ("ln_2.bias", (D,), 0.0),
                ("mlp.fc.weight", (E, D), None), ("mlp.fc.bias", (E,), None),
                ("mlp.proj.weight", (D, E), None), ("mlp.proj.bias", (D,), None)]

    def forward(x, p, opts):
        T, B, D = x.shape
        u = F.layer_norm(x, (D,), p["ln_1.weight"], p["ln_1.bias"], 1e-5)
        cp = {"weight_ih": p["cell.weight_ih_l0"], "bias_ih": p["cell.bias_ih_l0"]}
        h = torch.zeros(B, D, dtype=torch.float64)
        outs = []
        for t in range(T):
            h = step(u[t], h, cp)
            outs.append(h)
        x1 = x + torch.stack(outs, 0)
        u2 = F.layer_norm(x1, (D,), p["ln_2.weight"], p["ln_2.bias"], 1e-5)
        a = u2 @ p["mlp.fc.weight"].T + p["mlp.fc.bias"]
        return x1 + F.gelu(a, approximate="tanh") @ p["mlp.proj.weight"].T + p["mlp.proj.bias"]

    return Block(params=params, forward=forward)


BLOCKS = {"mingru-res": make(2, mingru_step), "minlstm-res": make(3, minlstm_step)}
