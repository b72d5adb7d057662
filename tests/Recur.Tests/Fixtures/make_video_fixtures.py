#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's video model (src/Recur/Models/Video/VideoClassifier.cs), written from its
equations with autograd in float64: p_t = relu(W_in x_t + b_in); an nn.LSTM / nn.GRU over p (zero initial state),
the visibility logits W_vis o_t + b_vis of every step's output and the action logits W_act h_T + b_act of the last
state; the baselines read the frames' mean projection ("average") or the middle frame's, p[T // 2] ("middle"), and
score each frame's classes from its own p_t. Loss = cross_entropy(action) + BCE-with-logits summed over the classes
and averaged over the T*B frames. Each file holds x (T, B, D), actions, visible (T, B, C), every parameter, the loss
and its two terms, both logits and grad.NAME.

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_video_fixtures.py
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import f32, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "video")


def np32(t):
    return t.detach().numpy().astype(np.float32)


def lstm(x, p, H):
    T, B, _ = x.shape
    h = torch.zeros(B, H)
    c = torch.zeros(B, H)
    outs = []
    for t in range(T):
        g = x[t] @ p["rnn.weight_ih_l0"].T + p["rnn.bias_ih_l0"] + h @ p["rnn.weight_hh_l0"].T + p["rnn.bias_hh_l0"]
        i, f, gg, o = g.split(H, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs), h


def gru(x, p, H):
    T, B, _ = x.shape
    h = torch.zeros(B, H)
    outs = []
    for t in range(T):
        gi = x[t] @ p["rnn.weight_ih_l0"].T + p["rnn.bias_ih_l0"]
        gh = h @ p["rnn.weight_hh_l0"].T + p["rnn.bias_hh_l0"]
        ir, iz, in_ = gi.split(H, dim=1)
        hr, hz, hn = gh.split(H, dim=1)
        r = torch.sigmoid(ir + hr)
        z = torch.sigmoid(iz + hz)
        n = torch.tanh(in_ + r * hn)
        h = (1 - z) * n + z * h
        outs.append(h)
    return torch.stack(outs), h


def case(model, seed, T=4, B=3, D=5, P=6, H=7, A=4, C=3):
    rng = np.random.default_rng(seed)
    W = P if model in ("average", "middle") else H
    p = {"proj.weight": f32(rng, 0.4, P, D), "proj.bias": f32(rng, 0.3, P)}
    if model in ("lstm", "gru"):
        G = 4 if model == "lstm" else 3
        p.update({"rnn.weight_ih_l0": f32(rng, 0.4, G * H, P), "rnn.weight_hh_l0": f32(rng, 0.4, G * H, H),
                  "rnn.bias_ih_l0": f32(rng, 0.3, G * H), "rnn.bias_hh_l0": f32(rng, 0.3, G * H)})
    p.update({"visible.weight": f32(rng, 0.4, C, W), "visible.bias": f32(rng, 0.3, C),
              "action.weight": f32(rng, 0.4, A, W), "action.bias": f32(rng, 0.3, A)})
    for t in p.values():
        t.requires_grad_(True)
    x = f32(rng, 1.0, T, B, D)
    actions = rng.integers(0, A, B)
    visible = rng.integers(0, 2, (T, B, C)).astype(np.float64)

    proj = torch.relu(x @ p["proj.weight"].T + p["proj.bias"])             # (T, B, P)
    if model == "lstm":
        per_frame, state = lstm(proj, p, H)
    elif model == "gru":
        per_frame, state = gru(proj, p, H)
    elif model == "average":
        per_frame, state = proj, proj.mean(0)
    else:
        per_frame, state = proj, proj[T // 2]
    vis = per_frame @ p["visible.weight"].T + p["visible.bias"]            # (T, B, C)
    act = state @ p["action.weight"].T + p["action.bias"]                  # (B, A)
    action_loss = F.cross_entropy(act, torch.from_numpy(actions))
    visible_loss = F.binary_cross_entropy_with_logits(vis, torch.from_numpy(visible), reduction="sum") / (T * B)
    loss = action_loss + visible_loss
    loss.backward()
    tensors = [("x", np32(x)), ("actions", actions.astype(np.float32)), ("visible", visible.astype(np.float32))]
    tensors += [(n, np32(t)) for n, t in p.items()]
    tensors += [("loss", np.array([loss.item()], np.float32)), ("action_loss", np.array([action_loss.item()], np.float32)),
                ("visible_loss", np.array([visible_loss.item()], np.float32)),
                ("action_logits", np32(act)), ("visible_logits", np32(vis))]
    tensors += [(f"grad.{n}", np32(t.grad)) for n, t in p.items()]
    write_safetensors(os.path.join(OUT, f"{model}.safetensors"), tensors,
                      {"model": model, "feature_dim": D, "projection": P, "hidden": H, "actions": A, "classes": C})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    for i, model in enumerate(["lstm", "gru", "average", "middle"]):
        case(model, 10 + i)


if __name__ == "__main__":
    main()
