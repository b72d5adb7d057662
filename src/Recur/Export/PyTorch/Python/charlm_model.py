"""The exported character model (Recur's CharModel) as torch modules: token ids (T, B) -> embedding (or one-hot)
-> a stack of recurrent cells (`rnn`) or of sequence blocks (`blocks`, then the layer norm `norm`) -> dropout ->
the linear head over the vocabulary. state_dict names and shapes are Recur's (embedding.weight, rnn.weight_ih_l0,
..., blocks.0.ln_1.weight, ..., head.weight, head.bias), so weights.safetensors loads with strict=True.

LSTM, GRU and tanh/ReLU RNN stacks without highway or weight drop run on torch's fused nn.LSTM / nn.GRU / nn.RNN
(the same parameters, the same maths); every other cell runs its step in cells.py over time.
"""

import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import recur_safetensors
from blocks import BLOCKS, make_blocks, run_blocks
from cells import CellStack

FUSED = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN, "rnn-relu": nn.RNN}


def cell_name(m):
    """The registry name of the model config's cell: Recur writes "rnn" with a nonlinearity."""
    return "rnn-relu" if m["cell"] == "rnn" and m.get("nonlinearity") == "relu" else m["cell"]


class CharModel(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.config = m
        V, E, H, L = m["vocab_size"], m["embed"], m["hidden"], m["layers"]
        self.cell = cell_name(m)
        self.vocab_size = V
        if E > 0:
            self.embedding = nn.Embedding(V, E)
        width = E if E > 0 else V
        self.is_blocks = self.cell in BLOCKS
        if self.is_blocks:
            options = dict(state_size=m["state_size"], expand=m["expand"], conv_width=m["conv_width"], heads=m["heads"],
                           context=m["context"], dropout=m["dropout"])
            self.blocks = make_blocks(self.cell, H, L, options)
            self.norm = nn.LayerNorm(H)
        elif self.cell in FUSED and not m.get("highway") and not m.get("weight_drop"):
            kw = dict(nonlinearity="relu" if self.cell == "rnn-relu" else "tanh") if self.cell.startswith("rnn") else {}
            self.rnn = FUSED[self.cell](width, H, L, dropout=m["dropout"] if L > 1 else 0.0, **kw)
        else:
            self.rnn = CellStack(self.cell, width, H, L, m["dropout"], m.get("weight_drop", 0.0), m.get("highway", False))
        self.drop = nn.Dropout(m["dropout"])
        self.head = nn.Linear(H, V)

    def forward(self, tokens, state=None):
        """tokens (T, B) int64; state from the previous chunk or None (zeros). Returns logits (T, B, V) and the state:
        a tuple (h,) or (h, c) of (L, B, H) for cells, a list of per-block states for blocks."""
        x = self.embedding(tokens) if hasattr(self, "embedding") else F.one_hot(tokens, self.vocab_size).float()
        if self.is_blocks:
            y, state = run_blocks(self.blocks, x, state)
            y = self.norm(y)
        elif isinstance(self.rnn, CellStack):
            y, state = self.rnn(x, state)
        elif isinstance(self.rnn, nn.LSTM):
            y, state = self.rnn(x, None if state is None else (state[0], state[1]))
        else:
            y, h = self.rnn(x, None if state is None else state[0])
            state = (h,)
        return self.head(self.drop(y)), state


def detach_state(state):
    """The carried state with no gradient history (truncated BPTT), whatever its nesting."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    return state


def build_model(config):
    return CharModel(config["model"])


def load_weights(model, path):
    """Loads a safetensors file of Recur's names into the model, refusing missing, extra or misshapen tensors."""
    tensors, _ = recur_safetensors.load(path)
    load_named(model, tensors, path)


def load_named(model, tensors, source):
    own = model.state_dict()
    missing = [n for n in own if n not in tensors]
    extra = [n for n in tensors if n not in own]
    wrong = [f"{n} {tuple(tensors[n].shape)} (model {tuple(own[n].shape)})" for n in own
             if n in tensors and tuple(tensors[n].shape) != tuple(own[n].shape)]
    if missing or extra or wrong:
        raise ValueError(f"{source}: does not fit the model: missing {missing}, unexpected {extra}, wrong shapes {wrong}")
    model.load_state_dict({n: t.to(torch.float32) for n, t in tensors.items()}, strict=True)


def load_package(folder, weights="weights.safetensors"):
    """(config, model) of an exported package folder, the weights loaded."""
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    model = build_model(config)
    load_weights(model, os.path.join(folder, weights))
    return config, model
