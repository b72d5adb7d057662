#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's sequence blocks (src/Recur/Nn/Blocks/).

Each block is written out from its paper's equations in a family module under blocks/ (one file per
family), in float64 with autograd. This driver draws the parameters (float32 values), runs the block
over a time-major chunk x (T, B, D) from the zero state, and stores y and the gradients of
L = sum(y * dy) with respect to x and every parameter, rounded once to float32, into blocks/*.safetensors;
BlockFixtureTests runs the same block in Recur and requires 1e-4 agreement.

A family module exports BLOCKS: a dict from Recur's registry name to a Block:
    params(D, opts) -> [(name, shape, init)]   in Recur's registration order, names without the block's
                                               path; init: None = U(-1/sqrt(D), 1/sqrt(D)) draws,
                                               a number = that constant plus a U(-0.5, 0.5) perturbation,
                                               ("uniform", lo, hi) = U(lo, hi) draws
    forward(x, p, opts) -> y                   x (T, B, D) float64, p maps names to float64 leaves
opts is a dict with the BlockOptions fields in snake_case: state_size, expand, conv_width, heads,
context, dropout (always 0 here).

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_block_fixtures.py [NAME ...]
"""

import importlib
import json
import os
import sys
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import f32, u32, write_safetensors  # noqa: E402

OUT_DIR = os.path.join(HERE, "blocks")
FAMILIES = ["cellblock", "rwkv", "transformer", "ssm"]  # family modules under blocks/; new ones go at the end


@dataclass
class Block:
    params: Callable
    forward: Callable


DEFAULT_OPTS = dict(state_size=4, expand=2, conv_width=3, heads=2, context=16, dropout=0.0)
# (T, B, D): odd sizes so every product has ragged edges; a longer one crosses scan segments (32 steps).
CASES = [(7, 3, 8), (40, 2, 12)]


def load_blocks():
    blocks = {}
    for fam in FAMILIES:
        mod = importlib.import_module(f"blocks.{fam}")
        for name, blk in mod.BLOCKS.items():
            assert name not in blocks, name
            blocks[name] = blk
    return blocks


def draw(rng, shape, init, D):
    if init is None:
        return u32(rng, 1.0 / np.sqrt(D), *shape)
    if isinstance(init, tuple):
        _, lo, hi = init
        a = rng.uniform(lo, hi, size=shape).astype(np.float32)
        return torch.from_numpy(a.astype(np.float64))
    return init + u32(rng, 0.5, *shape)


def run_case(name, blk, dims, seed):
    T, B, D = dims
    opts = dict(DEFAULT_OPTS)
    rng = np.random.default_rng(seed)
    params = {}
    for pname, shape, init in blk.params(D, opts):
        params[pname] = draw(rng, tuple(shape), init, D).requires_grad_()
    x = f32(rng, 1.0, T, B, D).requires_grad_()
    dy = f32(rng, 1.0, T, B, D)
    y = blk.forward(x, params, opts)
    (y * dy).sum().backward()

    def np32(t):
        return t.detach().numpy().astype(np.float32)

    tensors = [("x", np32(x)), ("dy", np32(dy))]
    tensors += [("param." + n, np32(p)) for n, p in params.items()]
    tensors += [("y", np32(y)), ("dx", np32(x.grad))]
    tensors += [("grad." + n, np32(p.grad)) for n, p in params.items()]
    meta = dict(kind=name, width=D, seq_len=T, batch=B, seed=seed, options=json.dumps(opts, sort_keys=True),
                torch=torch.__version__)
    return tensors, meta


def main():
    torch.set_num_threads(1)
    only = set(sys.argv[1:])
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, blk in load_blocks().items():
        if only and name not in only:
            continue
        for dims in CASES:
            seed = zlib.crc32(f"{name}/{dims}".encode()) % 100000
            tensors, meta = run_case(name, blk, dims, seed)
            path = os.path.join(OUT_DIR, f"{name.replace('-', '_')}_t{dims[0]}.safetensors")
            write_safetensors(path, tensors, meta)
            print(f"{os.path.basename(path):36s} {os.path.getsize(path):7d} bytes")


if __name__ == "__main__":
    main()
