#!/usr/bin/python3
"""PyTorch reference fixtures for the cells PyTorch has no module for (the cell zoo).

Each cell is written out from its paper's equations in a family module under zoo/ (one file per
family, e.g. zoo/mingru.py), as one time step in float64 with autograd. This driver stacks the step
over layers and time exactly as Recur's sequence driver does (src/Recur/Nn/Recurrent.cs), with the
same parameter names and shapes, and writes files in the layout of make_rnn_fixtures.py into rnn/,
so RecurrentFixtureTests checks every case at the same 1e-4 tolerance.

A family module exports CELLS: a dict from Recur's registry name to a Cell:
    gates       G: weight_ih_l{k} is (G*H, in), bias_ih_l{k} (G*H)
    rec_gates   R: weight_hh_l{k} is (R*H, H), bias_hh_l{k} (R*H); 0 means no weight_hh, no bias_hh
    extras      [(name, shape(in, H) -> tuple, init)] registered as {name}_l{k} after the four above
                (init None draws like the weights; a number is a constant start, e.g. layer-norm gain)
    has_c       True when the state is (h, c)
    same_width  True when the cell adds its raw input to hidden-sized quantities (input must be H wide)
    step        step(x_t (B,in), state, p) -> state; state is h or (h, c); p maps the stems
                ("weight_ih", "weight_hh", "bias_ih", "bias_hh", extra names) to this layer's tensors,
                missing biases as zeros

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_zoo_fixtures.py
Deterministic: the same torch/numpy produce byte-identical files.
"""

import importlib
import os
import sys
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import OUT_DIR, SMALL, WIDE, f32, u32, write_safetensors  # noqa: E402

# Family modules under zoo/; each adds its cells. New families go at the end.
FAMILIES = ["mingru", "greff", "lnlstm", "mut", "rhn"]


@dataclass
class Cell:
    gates: int
    rec_gates: int
    step: Callable
    extras: list = field(default_factory=list)
    has_c: bool = False
    same_width: bool = False


def load_cells():
    cells = {}
    for fam in FAMILIES:
        mod = importlib.import_module(f"zoo.{fam}")
        for name, cell in mod.CELLS.items():
            assert name not in cells, name
            cells[name] = cell
    return cells


def make_params(rng, cell, layers, bias, dims):
    """Ordered dict name -> float64 leaf, in the order Recur registers them."""
    _, _, I, H = dims
    bound = 1.5 / np.sqrt(H)
    params = {}
    for k in range(layers):
        inl = I if k == 0 else H
        params[f"weight_ih_l{k}"] = u32(rng, bound, cell.gates * H, inl)
        if cell.rec_gates:
            params[f"weight_hh_l{k}"] = u32(rng, bound, cell.rec_gates * H, H)
        if bias:
            params[f"bias_ih_l{k}"] = u32(rng, bound, cell.gates * H)
            if cell.rec_gates:
                params[f"bias_hh_l{k}"] = u32(rng, bound, cell.rec_gates * H)
        for name, shape, init in cell.extras:
            shp = shape(inl, H)
            if init is None:
                params[f"{name}_l{k}"] = u32(rng, bound, *shp)
            else:  # a constant start, perturbed so the gradient check sees a generic point
                params[f"{name}_l{k}"] = init + u32(rng, 0.5, *shp)
    return params


def layer_params(params, k, cell, H):
    p = {}
    for stem in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"] + [e[0] for e in cell.extras]:
        key = f"{stem}_l{k}"
        if key in params:
            p[stem] = params[key]
    if "bias_ih" not in p:
        p["bias_ih"] = torch.zeros(cell.gates * H, dtype=torch.float64)
    if cell.rec_gates and "bias_hh" not in p:
        p["bias_hh"] = torch.zeros(cell.rec_gates * H, dtype=torch.float64)
    return p


def run_stack(cell, x, h0, c0, params, layers, batch_first):
    """Time-major loop over layers and steps; returns y and the final states (L,B,H)."""
    H = h0.shape[2]
    inp = x.transpose(0, 1) if batch_first else x
    hns, cns = [], []
    for k in range(layers):
        p = layer_params(params, k, cell, H)
        state = (h0[k], c0[k]) if cell.has_c else h0[k]
        outs = []
        for t in range(inp.shape[0]):
            state = cell.step(inp[t], state, p)
            outs.append(state[0] if cell.has_c else state)
        inp = torch.stack(outs, 0)
        hns.append(state[0] if cell.has_c else state)
        if cell.has_c:
            cns.append(state[1])
    y = inp.transpose(0, 1) if batch_first else inp
    return y, torch.stack(hns, 0), (torch.stack(cns, 0) if cell.has_c else None)


def run_case(name, cell, layers, batch_first, bias, dims, seed):
    T, B, I, H = dims
    if cell.same_width:
        I = H
        dims = (T, B, I, H)
    rng = np.random.default_rng(seed)
    params = {n: p.requires_grad_() for n, p in make_params(rng, cell, layers, bias, dims).items()}
    xshape = (B, T, I) if batch_first else (T, B, I)
    x = f32(rng, 1.0, *xshape).requires_grad_()
    h0 = f32(rng, 0.5, layers, B, H).requires_grad_()
    c0 = f32(rng, 0.5, layers, B, H).requires_grad_() if cell.has_c else None
    dy = f32(rng, 1.0, *xshape[:2], H)
    dhn = f32(rng, 1.0, layers, B, H)
    dcn = f32(rng, 1.0, layers, B, H) if cell.has_c else None
    y, hn, cn = run_stack(cell, x, h0, c0, params, layers, batch_first)
    loss = (y * dy).sum() + (hn * dhn).sum()
    if cell.has_c:
        loss = loss + (cn * dcn).sum()
    loss.backward()

    def np32(t):
        return t.detach().numpy().astype(np.float32)

    tensors = [("x", np32(x)), ("h0", np32(h0))]
    if cell.has_c:
        tensors.append(("c0", np32(c0)))
    tensors += [("dy", np32(dy)), ("dhn", np32(dhn))]
    if cell.has_c:
        tensors.append(("dcn", np32(dcn)))
    tensors += [(n, np32(p)) for n, p in params.items()]
    tensors += [("y", np32(y)), ("hn", np32(hn))]
    if cell.has_c:
        tensors.append(("cn", np32(cn)))
    tensors += [("dx", np32(x.grad)), ("dh0", np32(h0.grad))]
    if cell.has_c:
        tensors.append(("dc0", np32(c0.grad)))
    tensors += [("grad." + n, np32(p.grad)) for n, p in params.items()]
    meta = dict(kind=name, num_layers=layers, batch_first=str(batch_first).lower(), bias=str(bias).lower(),
                input_size=I, hidden_size=H, seq_len=T, batch=B, seed=seed, torch=torch.__version__)
    return tensors, meta


def cases():
    """Per cell: 1 and 2 layers (the second batch-first), one without bias, one wide case."""
    return [(2, True, True, SMALL), (1, False, True, SMALL), (2, False, False, SMALL), (1, True, True, WIDE)]


def file_name(name, layers, batch_first, bias, dims):
    return (f"{name.replace('-', '_')}_l{layers}{'_bf' if batch_first else ''}{'' if bias else '_nobias'}"
            f"{'_wide' if dims != SMALL else ''}.safetensors")


def main():
    torch.set_num_threads(1)
    only = set(sys.argv[1:])
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, cell in load_cells().items():
        if only and name not in only:
            continue
        for layers, bf, bias, dims in cases():
            # A seed from the name, so adding a cell never changes another cell's files.
            seed = zlib.crc32(f"{name}/{layers}/{bf}/{bias}/{dims}".encode()) % 100000
            tensors, meta = run_case(name, cell, layers, bf, bias, dims, seed)
            path = os.path.join(OUT_DIR, file_name(name, layers, bf, bias, dims))
            write_safetensors(path, tensors, meta)
            print(f"{os.path.basename(path):44s} {os.path.getsize(path):7d} bytes")


if __name__ == "__main__":
    main()
