"""What the task models' model.py files share: their weights loaded by Recur's names with strict names and shapes, the
frozen scene encoder (`encoder.*` of a VQA, dialog or video run: the CNN that made the features, not trained) set aside
so that a package written back holds every tensor it came with, the package's config, and the ragged rows of the training
sets of the sequence tasks.
"""

import json
import os

import torch

import recur_safetensors


def load_named(model, tensors, source, frozen=()):
    """Loads `tensors` into `model` (strict: every name, every shape); names under a `frozen` prefix go to model.frozen."""
    model.frozen = {n: t for n, t in tensors.items() if n.startswith(tuple(frozen))} if frozen else {}
    tensors = {n: t for n, t in tensors.items() if n not in model.frozen}
    own = model.state_dict()
    missing = [n for n in own if n not in tensors]
    extra = [n for n in tensors if n not in own]
    wrong = [n for n in own if n in tensors and tuple(tensors[n].shape) != tuple(own[n].shape)]
    if missing or extra or wrong:
        raise ValueError(f"{source}: does not fit the model: missing {missing}, unexpected {extra}, wrong shapes {wrong}")
    model.load_state_dict({n: t.to(torch.float32) for n, t in tensors.items()}, strict=True)


def read_config(folder):
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        return json.load(f)


def load_package(folder, build_model, weights="weights.safetensors", frozen=()):
    """(config, model) of the package in `folder`, its weights loaded."""
    config = read_config(folder)
    model = build_model(config)
    path = os.path.join(folder, weights)
    load_named(model, recur_safetensors.load(path)[0], path, frozen)
    return config, model


def rows(flat, offsets, idx):
    """The ragged rows `idx` of a flat tensor whose row i is flat[offsets[i]:offsets[i + 1]] (the training sets of tag, g2p
    and translate store their sentences, words and symbols so): a list of 1-D tensors."""
    return [flat[int(offsets[i]):int(offsets[i + 1])] for i in idx.tolist()]


def padded(parts, fill=0, width=None):
    """1-D tensors as the rows of a (len(parts), width) tensor (width: the longest row when not given), `fill` after each."""
    width = max(len(p) for p in parts) if width is None else width
    out = torch.full((len(parts), width), fill, dtype=parts[0].dtype, device=parts[0].device)
    for b, p in enumerate(parts):
        out[b, :len(p)] = p
    return out
