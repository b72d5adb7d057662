#!/usr/bin/python3
"""Writes the PyTorch reference fixtures for tests/Recur.Tests/Training (committed; the C# tests
do not need Python). Run from anywhere with torch 1.13 + numpy:

    /usr/bin/python3 tests/Recur.Tests/Fixtures/make_training_fixtures.py

Files (safetensors, written by hand below: u64 LE header length, JSON header, raw LE bytes):
  training/optim_<name>.safetensors  one optimizer config: p0.<w|b>, then for k = 1..steps:
      g<k>.<w|b> (gradient fed to step k), p<k>.<w|b> (params after step k),
      s<k>.<state>.<w|b> (PyTorch's optimizer.state[p][state] after step k).
      __metadata__: optimizer, hyperparameters, lrs (learning rate used at each step), states.
  training/clip.safetensors  clip_grad_norm_ / clip_grad_value_ cases.
  training/loss.safetensors  F.cross_entropy (mean/sum, ignore_index=-100) and its gradient.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "training")
SHAPES = {"w": (5, 7), "b": (11,)}  # 46 scalars: exercises vector bodies and tails
STEPS = 4


def write_safetensors(path, tensors, metadata):
    header = {}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        if arr.dtype == np.float32:
            dtype = "F32"
        elif arr.dtype == np.int64:
            dtype = "I64"
        else:
            raise TypeError(f"{name}: unsupported dtype {arr.dtype}")
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def np32(t):
    return t.detach().cpu().numpy().astype(np.float32)


CONFIGS = [
    # name, torch class, kwargs, learning-rate multipliers per step, extra metadata for the C# side
    ("sgd_plain", "sgd", dict(lr=0.1), [1, 1, 1, 1]),
    ("sgd_momentum", "sgd", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01), [1, 1, 0.5, 0.5]),
    ("sgd_nesterov", "sgd", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3), [1, 1, 1, 1]),
    ("adagrad_minchar", "adagrad", dict(lr=0.1, eps=1e-8), [1, 1, 1, 1]),
    ("adagrad_full", "adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1), [1, 1, 0.5, 0.5]),
    ("rmsprop_charrnn", "rmsprop", dict(lr=2e-3, alpha=0.95, eps=1e-8), [1, 1, 1, 1]),
    ("rmsprop_centered_momentum", "rmsprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01), [1, 1, 0.5, 0.5]),
    ("adam", "adam", dict(lr=0.01), [1, 1, 1, 1]),
    ("adam_wd_amsgrad", "adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True), [1, 1, 0.5, 0.5]),
    ("adamw", "adamw", dict(lr=0.01, weight_decay=0.1), [1, 1, 1, 1]),
    ("adamw_amsgrad", "adamw", dict(lr=0.02, betas=(0.85, 0.95), weight_decay=0.05, amsgrad=True), [1, 0.5, 0.5, 0.25]),
]

CLASSES = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
           "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def make_optimizer_fixture(index, name, kind, kwargs, lr_mult):
    torch.manual_seed(1000 + index)
    params = {k: torch.nn.Parameter(torch.randn(*s)) for k, s in SHAPES.items()}
    opt = CLASSES[kind](list(params.values()), **kwargs)
    out = {f"p0.{k}": np32(p) for k, p in params.items()}
    lrs = []
    state_names = None
    for step in range(1, STEPS + 1):
        lr = kwargs["lr"] * lr_mult[step - 1]
        for group in opt.param_groups:
            group["lr"] = lr
        lrs.append(repr(lr))
        scale = [1.0, 0.3, 3.0, 0.05][step - 1]
        for k, p in params.items():
            g = torch.randn(*SHAPES[k]) * scale
            g.view(-1)[step] = 0.0  # an exact zero gradient somewhere in every step
            p.grad = g
            out[f"g{step}.{k}"] = np32(g)
        opt.step()
        for k, p in params.items():
            out[f"p{step}.{k}"] = np32(p)
            st = opt.state[p]
            names = sorted(n for n, v in st.items() if torch.is_tensor(v) and v.shape == p.shape)
            if state_names is None:
                state_names = names
            for n in names:
                out[f"s{step}.{n}.{k}"] = np32(st[n])
    md = {"optimizer": kind, "steps": STEPS, "lrs": ",".join(lrs), "states": ",".join(state_names),
          "torch": torch.__version__}
    for k, v in kwargs.items():
        if k == "lr":
            continue
        if k == "betas":
            md["beta1"], md["beta2"] = repr(v[0]), repr(v[1])
        else:
            md[k] = repr(v) if not isinstance(v, bool) else ("true" if v else "false")
    write_safetensors(os.path.join(OUT, f"optim_{name}.safetensors"), out, md)


def make_clip_fixture():
    torch.manual_seed(7)
    out = {}
    cases = [("big", 10.0, 1.0), ("small", 0.01, 1.0), ("mid", 1.0, 5.0)]  # (name, grad scale, max_norm)
    md = {"cases": ",".join(c[0] for c in cases)}
    for cname, scale, max_norm in cases:
        params = [torch.nn.Parameter(torch.zeros(*s)) for s in SHAPES.values()]
        for p, s in zip(params, SHAPES.values()):
            p.grad = torch.randn(*s) * scale
        before = np.concatenate([np32(p.grad).ravel() for p in params])
        total = torch.nn.utils.clip_grad_norm_(params, max_norm)
        after = np.concatenate([np32(p.grad).ravel() for p in params])
        out[f"{cname}.before"] = before
        out[f"{cname}.after_norm"] = after
        out[f"{cname}.total_norm"] = np.array([float(total)], dtype=np.float32)
        md[f"{cname}.max_norm"] = repr(max_norm)
        # clip by value on the same gradients
        g = torch.from_numpy(before.copy())
        q = torch.nn.Parameter(torch.zeros_like(g))
        q.grad = g
        torch.nn.utils.clip_grad_value_([q], 0.5 * scale)
        out[f"{cname}.after_value"] = np32(q.grad)
        md[f"{cname}.clip_value"] = repr(0.5 * scale)
    write_safetensors(os.path.join(OUT, "clip.safetensors"), out, md)


def make_loss_fixture():
    torch.manual_seed(11)
    out = {}
    n, v = 13, 9
    cases = [("unit", 1.0), ("large", 1e4)]
    for cname, scale in cases:
        logits = (torch.randn(n, v) * scale).requires_grad_(True)
        targets = torch.randint(0, v, (n,))
        targets[2] = -100
        targets[7] = -100
        out[f"{cname}.logits"] = np32(logits)
        out[f"{cname}.targets"] = targets.numpy().astype(np.int64)
        for red in ("mean", "sum"):
            logits.grad = None
            # reference computed in float64 from the float32 logits, then rounded
            l64 = logits.detach().double().requires_grad_(True)
            loss = F.cross_entropy(l64, targets, ignore_index=-100, reduction=red)
            loss.backward()
            out[f"{cname}.{red}.loss"] = np.array([loss.item()], dtype=np.float32)
            out[f"{cname}.{red}.dlogits"] = l64.grad.numpy().astype(np.float32)
            # and float32 PyTorch itself, for the record
            loss32 = F.cross_entropy(logits, targets, ignore_index=-100, reduction=red)
            out[f"{cname}.{red}.loss_f32"] = np.array([loss32.item()], dtype=np.float32)
    write_safetensors(os.path.join(OUT, "loss.safetensors"), out, {"n": n, "v": v, "cases": "unit,large", "ignore_index": -100})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    for i, (name, kind, kwargs, lr_mult) in enumerate(CONFIGS):
        make_optimizer_fixture(i, name, kind, kwargs, lr_mult)
    make_clip_fixture()
    make_loss_fixture()
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
