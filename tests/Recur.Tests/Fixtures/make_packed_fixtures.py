#!/usr/bin/python3
"""PyTorch reference fixtures for packed and bidirectional recurrent stacks (Recur's Recurrent with lengths and
BiRecurrent): torch.nn.LSTM / nn.GRU (bidirectional or not, 1 or 2 layers) in float64 on a padded batch packed by
pack_padded_sequence(enforce_sorted=False) and unpacked by pad_packed_sequence(total_length=T). The loss is
sum(out * wy) + sum(h_n * wh) (+ sum(c_n * wc)); the files hold x (T, B, I), lengths (as floats, or absent for an
unpacked case), h0, c0, the weights wy, wh, wc, every parameter under PyTorch's name, and out, h_n, c_n, dx, dh0,
dc0 and grad.NAME.

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_packed_fixtures.py
"""

import os
import sys

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import f32, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "packed")


def np32(t):
    return t.detach().numpy().astype(np.float32)


def case(name, kind, seed, layers, bidirectional, lengths, T=6, I=3, H=4):
    rng = np.random.default_rng(seed)
    B = len(lengths) if lengths is not None else 3
    D = 2 if bidirectional else 1
    mod = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(I, H, layers, bidirectional=bidirectional).double()
    with torch.no_grad():
        for _, p in mod.named_parameters():
            p.copy_(f32(rng, 0.4, *p.shape))
    x = f32(rng, 1.0, T, B, I).requires_grad_()
    h0 = f32(rng, 0.5, layers * D, B, H).requires_grad_()
    c0 = f32(rng, 0.5, layers * D, B, H).requires_grad_() if kind == "lstm" else None
    state = (h0, c0) if kind == "lstm" else h0
    if lengths is not None:
        packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
        out, st = mod(packed, state)
        out, _ = pad_packed_sequence(out, total_length=T)
    else:
        out, st = mod(x, state)
    hn, cn = (st if kind == "lstm" else (st, None))
    wy = f32(rng, 1.0, *out.shape)
    wh = f32(rng, 1.0, *hn.shape)
    loss = (out * wy).sum() + (hn * wh).sum()
    wc = None
    if cn is not None:
        wc = f32(rng, 1.0, *cn.shape)
        loss = loss + (cn * wc).sum()
    loss.backward()
    t = [("x", np32(x)), ("h0", np32(h0)), ("wy", np32(wy)), ("wh", np32(wh))]
    if lengths is not None:
        t.append(("lengths", np.array(lengths, dtype=np.float32)))
    if c0 is not None:
        t += [("c0", np32(c0)), ("wc", np32(wc))]
    t += [(n, np32(p)) for n, p in mod.named_parameters()]
    t += [("out", np32(out)), ("h_n", np32(hn)), ("dx", np32(x.grad)), ("dh0", np32(h0.grad))]
    if cn is not None:
        t += [("c_n", np32(cn)), ("dc0", np32(c0.grad))]
    t += [(f"grad.{n}", np32(p.grad)) for n, p in mod.named_parameters()]
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), t,
                      {"kind": kind, "layers": layers, "bidirectional": str(bidirectional).lower(), "hidden": H})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    case("lstm_l1_packed", "lstm", 1, 1, False, [6, 2, 4])
    case("gru_l2_packed", "gru", 2, 2, False, [3, 6, 1, 5])
    case("lstm_bi_l1", "lstm", 3, 1, True, None)
    case("lstm_bi_l1_packed", "lstm", 4, 1, True, [2, 6, 5])
    case("lstm_bi_l2_packed", "lstm", 5, 2, True, [4, 6, 1])
    case("gru_bi_l1_packed", "gru", 6, 1, True, [6, 3, 3, 2])
    case("gru_bi_l2_packed", "gru", 7, 2, True, [5, 1, 6])


if __name__ == "__main__":
    main()
