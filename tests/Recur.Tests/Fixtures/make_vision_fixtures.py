#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's vision layers (src/Recur/Nn/Vision: Conv2d, MaxPool2d, ReLU) and the
convolutional classifier built from them (src/Recur/Models/ConvNet.cs).

Every input and weight is a float32 value; PyTorch computes in float64 (torch.nn.functional.conv2d, max_pool2d,
relu, linear, cross_entropy with autograd) and the references are its results rounded once to float32, in
safetensors files under Fixtures/vision:

  conv_*.safetensors   x (B, Cin, H, W), weight (Cout, Cin, k, k), [bias (Cout)], dy (B, Cout, Ho, Wo) -> y, dx,
                       dweight, [dbias]; metadata kernel, stride, padding, bias
  pool_*.safetensors   x (B, C, H, W), dy -> y, dx; metadata kernel, stride (one case has ties, rounded to 0.5)
  convnet_*.safetensors x (B, 1, H, W), labels (B) as floats, every parameter under its state-dict name,
                       -> logits (B, K), loss (1), grad.NAME for every parameter; metadata channels, kernel, pool,
                       fc, classes (dropout 0)

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_vision_fixtures.py
Deterministic: the same torch/numpy produce byte-identical files.
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import f32, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "vision")


def np32(t):
    return t.detach().numpy().astype(np.float32)


def conv_case(name, seed, B, Cin, H, W, Cout, k, stride, pad, bias):
    rng = np.random.default_rng(seed)
    x = f32(rng, 1.0, B, Cin, H, W).requires_grad_()
    w = f32(rng, 0.5, Cout, Cin, k, k).requires_grad_()
    b = f32(rng, 0.5, Cout).requires_grad_() if bias else None
    y = F.conv2d(x, w, b, stride=stride, padding=pad)
    dy = f32(rng, 1.0, *y.shape)
    y.backward(dy)
    tensors = [("x", np32(x)), ("weight", np32(w))]
    if bias:
        tensors.append(("bias", np32(b)))
    tensors += [("dy", np32(dy)), ("y", np32(y)), ("dx", np32(x.grad)), ("dweight", np32(w.grad))]
    if bias:
        tensors.append(("dbias", np32(b.grad)))
    write_safetensors(os.path.join(OUT, f"conv_{name}.safetensors"), tensors,
                      {"kernel": k, "stride": stride, "padding": pad, "bias": str(bias).lower()})


def pool_case(name, seed, B, C, H, W, k, stride, ties=False):
    rng = np.random.default_rng(seed)
    x = f32(rng, 1.0, B, C, H, W)
    if ties:
        x = torch.round(x * 2) / 2  # many equal values in a window: the first in raster order must win
    x.requires_grad_()
    y = F.max_pool2d(x, k, stride)
    dy = f32(rng, 1.0, *y.shape)
    y.backward(dy)
    write_safetensors(os.path.join(OUT, f"pool_{name}.safetensors"),
                      [("x", np32(x)), ("dy", np32(dy)), ("y", np32(y)), ("dx", np32(x.grad))],
                      {"kernel": k, "stride": stride})


def convnet_case(name, seed, B, H, W, channels, k, pool, fc, classes):
    rng = np.random.default_rng(seed)
    params = {}
    cin = 1
    for i, ch in enumerate(channels):
        params[f"conv{i}.weight"] = f32(rng, 0.4, ch, cin, k, k)
        params[f"conv{i}.bias"] = f32(rng, 0.2, ch)
        cin = ch
        hg = H
    hg, wg = H, W
    for _ in channels:
        hg, wg = hg // pool, wg // pool
    flat = channels[-1] * hg * wg
    if fc > 0:
        params["fc.weight"] = f32(rng, 0.3, fc, flat)
        params["fc.bias"] = f32(rng, 0.2, fc)
    params["head.weight"] = f32(rng, 0.3, classes, fc if fc > 0 else flat)
    params["head.bias"] = f32(rng, 0.2, classes)
    for p in params.values():
        p.requires_grad_()
    x = torch.from_numpy(rng.random((B, 1, H, W)).astype(np.float32).astype(np.float64))
    labels = torch.from_numpy(rng.integers(0, classes, B))
    h = x
    for i in range(len(channels)):
        h = F.max_pool2d(F.relu(F.conv2d(h, params[f"conv{i}.weight"], params[f"conv{i}.bias"], padding=k // 2)), pool)
    h = h.flatten(1)
    if fc > 0:
        h = F.relu(F.linear(h, params["fc.weight"], params["fc.bias"]))
    logits = F.linear(h, params["head.weight"], params["head.bias"])
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    tensors = [("x", np32(x)), ("labels", labels.numpy().astype(np.float32))]
    tensors += [(n, np32(p)) for n, p in params.items()]
    tensors += [("logits", np32(logits)), ("loss", np.array([loss.item()], dtype=np.float32))]
    tensors += [(f"grad.{n}", np32(p.grad)) for n, p in params.items()]
    write_safetensors(os.path.join(OUT, f"convnet_{name}.safetensors"), tensors,
                      {"channels": ",".join(map(str, channels)), "kernel": k, "pool": pool, "fc": fc, "classes": classes})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    conv_case("k3_same", 1, 2, 1, 7, 7, 3, 3, 1, 1, True)
    conv_case("k3_stride2", 2, 2, 3, 6, 5, 4, 3, 2, 1, True)
    conv_case("k1_nobias", 3, 1, 2, 5, 6, 2, 1, 1, 0, False)
    conv_case("k5_pad2", 4, 3, 2, 8, 8, 5, 5, 1, 2, True)
    conv_case("k3_stride3_valid", 5, 2, 2, 7, 9, 3, 3, 3, 0, True)
    pool_case("k2", 11, 2, 3, 8, 8, 2, 2)
    pool_case("k3_s2_overlap", 12, 1, 2, 7, 9, 3, 2)
    pool_case("k3_odd", 13, 2, 1, 10, 11, 3, 3)
    pool_case("k2_ties", 14, 2, 2, 6, 6, 2, 2, ties=True)
    convnet_case("two_stages_fc", 21, 4, 12, 12, [4, 6], 3, 2, 5, 3)
    convnet_case("one_stage_nofc", 22, 3, 10, 8, [3], 3, 2, 0, 4)
    convnet_case("k5_pool3", 23, 2, 9, 9, [2, 3], 5, 3, 4, 2)


if __name__ == "__main__":
    main()
