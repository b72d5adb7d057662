#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's recurrent layers (src/Recur/Nn/Recurrent.cs).

Writes one safetensors file per case into rnn/ next to this script. Every input and weight is
drawn in float32 and cast to float64, PyTorch computes the forward pass and the gradients of
    L = sum(y * dy) + sum(h_n * dhn) [+ sum(c_n * dcn)]
in float64, and the references are rounded once to float32. So each stored reference is the
exact answer to float32 rounding, and a float32 implementation is judged by its own error only.

PyTorch has no module for the GRU with the reset gate applied before the recurrent product
(Cho et al. 2014), so that cell is written out here with autograd, with nn.GRU's parameter
names, shapes and gate order (r, z, n). The same hand-written loop, run in reset-after form,
is checked against nn.GRU before any file is written, so the hand-written loop is tested too.

Tensors in each file (all F32):
  x, h0, [c0], dy, dhn, [dcn]                  inputs, x as (T,B,I) or (B,T,I) with batch_first
  weight_ih_l{k}, weight_hh_l{k}, [bias_ih_l{k}, bias_hh_l{k}]   PyTorch state-dict names/shapes
  y, hn, [cn]                                  forward outputs
  dx, dh0, [dc0], grad.<parameter name>        gradients
__metadata__: kind (rnn_tanh | rnn_relu | lstm | gru | gru_reset_before), num_layers,
batch_first, bias, input_size, hidden_size, seq_len, batch, seed, torch (version).

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_rnn_fixtures.py
Deterministic: the same torch/numpy produce byte-identical files.
"""

import json
import os
import struct
import sys

import numpy as np
import torch

SMALL = (7, 3, 5, 11)  # T, B, I, H: odd sizes, so every GEMM has ragged edges
# One larger case per kind family, big enough that Recur's GEMMs split across threads
# (more than 2*64^3 flops) and that the long reductions (T*B = 128 terms) are exercised.
WIDE = (16, 8, 24, 40)
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rnn")

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3, "gru_reset_before": 3}


def write_safetensors(path, tensors, metadata):
    """Minimal safetensors writer: u64 LE header length, JSON header, raw little-endian data."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, arr in tensors:
        arr = np.ascontiguousarray(arr, dtype="<f4")
        raw = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * (-len(hjson) % 8)  # pad so the data starts 8-byte aligned (allowed by the format)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for raw in blobs:
            f.write(raw)


def f32(rng, scale, *shape):
    """float32 draws, returned as float64 tensors holding float32-representable values."""
    a = (rng.standard_normal(shape) * scale).astype(np.float32)
    return torch.from_numpy(a.astype(np.float64))


def u32(rng, bound, *shape):
    a = rng.uniform(-bound, bound, size=shape).astype(np.float32)
    return torch.from_numpy(a.astype(np.float64))


def make_params(rng, kind, layers, bias, dims):
    """Ordered dict name -> float64 leaf tensor, PyTorch's names and shapes."""
    _, _, I, H = dims
    g = GATES[kind]
    bound = 1.5 / np.sqrt(H)  # a little wider than PyTorch's init so the nonlinearities bend
    params = {}
    for k in range(layers):
        inl = I if k == 0 else H
        params[f"weight_ih_l{k}"] = u32(rng, bound, g * H, inl)
        params[f"weight_hh_l{k}"] = u32(rng, bound, g * H, H)
        if bias:
            params[f"bias_ih_l{k}"] = u32(rng, bound, g * H)
            params[f"bias_hh_l{k}"] = u32(rng, bound, g * H)
    return params


def torch_module(kind, layers, bias, batch_first, dims):
    _, _, I, H = dims
    kw = dict(input_size=I, hidden_size=H, num_layers=layers, bias=bias, batch_first=batch_first)
    if kind == "rnn_tanh":
        return torch.nn.RNN(nonlinearity="tanh", **kw)
    if kind == "rnn_relu":
        return torch.nn.RNN(nonlinearity="relu", **kw)
    if kind == "lstm":
        return torch.nn.LSTM(**kw)
    if kind == "gru":
        return torch.nn.GRU(**kw)
    raise ValueError(kind)


def gru_by_hand(x, h0, params, layers, bias, batch_first, reset_after):
    """GRU stack written out step by step (gate order r, z, n as nn.GRU).

    reset_after=False: n = tanh(W_in x + b_in + W_hn (r*h) + b_hn)   (Cho et al. 2014)
    reset_after=True:  n = tanh(W_in x + b_in + r*(W_hn h + b_hn))   (PyTorch)
    """
    H = h0.shape[2]
    if batch_first:
        x = x.transpose(0, 1)
    inp = x
    hns = []
    for k in range(layers):
        w_ih, w_hh = params[f"weight_ih_l{k}"], params[f"weight_hh_l{k}"]
        b_ih = params[f"bias_ih_l{k}"] if bias else torch.zeros(3 * H, dtype=torch.float64)
        b_hh = params[f"bias_hh_l{k}"] if bias else torch.zeros(3 * H, dtype=torch.float64)
        w_ir, w_iz, w_in = w_ih.split(H, 0)
        w_hr, w_hz, w_hn = w_hh.split(H, 0)
        b_ir, b_iz, b_in = b_ih.split(H, 0)
        b_hr, b_hz, b_hn = b_hh.split(H, 0)
        h = h0[k]
        outs = []
        for t in range(inp.shape[0]):
            xt = inp[t]
            r = torch.sigmoid(xt @ w_ir.T + b_ir + h @ w_hr.T + b_hr)
            z = torch.sigmoid(xt @ w_iz.T + b_iz + h @ w_hz.T + b_hz)
            if reset_after:
                n = torch.tanh(xt @ w_in.T + b_in + r * (h @ w_hn.T + b_hn))
            else:
                n = torch.tanh(xt @ w_in.T + b_in + (r * h) @ w_hn.T + b_hn)
            h = (1 - z) * n + z * h
            outs.append(h)
        inp = torch.stack(outs, 0)
        hns.append(h)
    y = inp.transpose(0, 1) if batch_first else inp
    return y, torch.stack(hns, 0)


def self_check_hand_gru():
    """The hand-written GRU loop in reset-after form must reproduce nn.GRU (float64)."""
    rng = np.random.default_rng(12345)
    T, B, I, H = dims = SMALL
    for layers, bias, bf in [(1, True, False), (2, True, True), (2, False, False)]:
        params = make_params(rng, "gru", layers, bias, dims)
        x = f32(rng, 1.0, *((B, T, I) if bf else (T, B, I)))
        h0 = f32(rng, 0.5, layers, B, H)
        m = torch_module("gru", layers, bias, bf, dims).double()
        with torch.no_grad():
            for name, p in m.named_parameters():
                p.copy_(params[name])
            y_ref, hn_ref = m(x, h0)
            y, hn = gru_by_hand(x, h0, params, layers, bias, bf, reset_after=True)
        err = max((y - y_ref).abs().max().item(), (hn - hn_ref).abs().max().item())
        if err > 1e-12:
            sys.exit(f"hand-written GRU disagrees with nn.GRU by {err} (layers={layers}, bias={bias})")


def run_case(kind, layers, batch_first, bias, dims, seed):
    T, B, I, H = dims
    rng = np.random.default_rng(seed)
    params = make_params(rng, kind, layers, bias, dims)
    xshape = (B, T, I) if batch_first else (T, B, I)
    x = f32(rng, 1.0, *xshape).requires_grad_()
    h0 = f32(rng, 0.5, layers, B, H).requires_grad_()
    lstm = kind == "lstm"
    c0 = f32(rng, 0.5, layers, B, H).requires_grad_() if lstm else None
    dy = f32(rng, 1.0, *xshape[:2], H)
    dhn = f32(rng, 1.0, layers, B, H)
    dcn = f32(rng, 1.0, layers, B, H) if lstm else None

    if kind == "gru_reset_before":
        leaves = {n: p.clone().requires_grad_() for n, p in params.items()}
        y, hn = gru_by_hand(x, h0, leaves, layers, bias, batch_first, reset_after=False)
        cn = None
        named = list(leaves.items())
    else:
        m = torch_module(kind, layers, bias, batch_first, dims).double()
        with torch.no_grad():
            for name, p in m.named_parameters():
                p.copy_(params[name])
        if lstm:
            y, (hn, cn) = m(x, (h0, c0))
        else:
            y, hn = m(x, h0)
            cn = None
        named = list(m.named_parameters())
        assert [n for n, _ in named] == list(params.keys()), [n for n, _ in named]

    loss = (y * dy).sum() + (hn * dhn).sum()
    if lstm:
        loss = loss + (cn * dcn).sum()
    loss.backward()

    def np32(t):
        return t.detach().numpy().astype(np.float32)

    tensors = [("x", np32(x)), ("h0", np32(h0))]
    if lstm:
        tensors.append(("c0", np32(c0)))
    tensors += [("dy", np32(dy)), ("dhn", np32(dhn))]
    if lstm:
        tensors.append(("dcn", np32(dcn)))
    tensors += [(n, np32(p)) for n, p in named]
    tensors += [("y", np32(y)), ("hn", np32(hn))]
    if lstm:
        tensors.append(("cn", np32(cn)))
    tensors += [("dx", np32(x.grad)), ("dh0", np32(h0.grad))]
    if lstm:
        tensors.append(("dc0", np32(c0.grad)))
    tensors += [("grad." + n, np32(p.grad)) for n, p in named]

    meta = dict(kind=kind, num_layers=layers, batch_first=str(batch_first).lower(), bias=str(bias).lower(),
                input_size=I, hidden_size=H, seq_len=T, batch=B, seed=seed, torch=torch.__version__)
    return tensors, meta


def cases():
    """(kind, layers, batch_first, bias, dims): every PyTorch kind with 1, 2, 3 layers in both
    layouts, the reset-before GRU with 1 and 2 layers in both layouts, four cases without bias,
    and three wide cases. New cases go at the end so existing files keep their seeds."""
    out = []
    for kind in ["rnn_tanh", "rnn_relu", "lstm", "gru"]:
        out += [(kind, layers, bf, True, SMALL) for layers in (1, 2, 3) for bf in (False, True)]
    out += [("gru_reset_before", layers, bf, True, SMALL) for layers in (1, 2) for bf in (False, True)]
    # bias=False
    out += [("lstm", 2, False, False, SMALL), ("gru", 1, True, False, SMALL), ("rnn_tanh", 1, False, False, SMALL),
            ("gru_reset_before", 2, False, False, SMALL)]
    out += [("lstm", 2, True, True, WIDE), ("gru", 1, False, True, WIDE), ("gru_reset_before", 1, True, True, WIDE)]
    return out


def file_name(kind, layers, batch_first, bias, dims):
    return (f"{kind}_l{layers}{'_bf' if batch_first else ''}{'' if bias else '_nobias'}"
            f"{'_wide' if dims != SMALL else ''}.safetensors")


def main():
    torch.set_num_threads(1)
    self_check_hand_gru()
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    for i, (kind, layers, bf, bias, dims) in enumerate(cases()):
        tensors, meta = run_case(kind, layers, bf, bias, dims, seed=1000 + i)
        path = os.path.join(OUT_DIR, file_name(kind, layers, bf, bias, dims))
        write_safetensors(path, tensors, meta)
        size = os.path.getsize(path)
        total += size
        print(f"{os.path.basename(path):40s} {size:7d} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
