#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's captioners (src/Recur/Models/Captioning): the vanilla RNN with the image
inside the recurrence, the LSTM with the image as its initial state, and Show, Attend and Tell, each written here from
its equations with torch modules and autograd in float64.

Teacher forcing on captions <START> w1 .. wn <END> <NULL>...: inputs are ids 0..T-1, targets ids 1..T with <NULL> (0)
ignored; the loss is the mean cross-entropy per word (+ for attention the doubly stochastic regulariser
lam/B sum_b sum_i (1 - sum_t alpha_bti)^2 over each caption's steps up to its <END>). Each file holds the features
(B, L, D), the captions (B, W) as floats, every parameter under its state-dict name, the references loss_ce, loss_reg,
grad.NAME, and for attention alpha (T, B, L).

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_caption_fixtures.py
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import f32, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "caption")


def np32(t):
    return t.detach().numpy().astype(np.float32)


def captions_for(rng, B, W, V, lengths):
    caps = np.zeros((B, W), dtype=np.int64)
    for b, n in enumerate(lengths):
        caps[b, 0] = 1
        caps[b, 1:n + 1] = rng.integers(4, V, n)
        caps[b, n + 1] = 2
    return torch.from_numpy(caps)


def lin(rng, params, name, out_f, in_f, bias=True, scale=0.3):
    params[f"{name}.weight"] = f32(rng, scale, out_f, in_f)
    if bias:
        params[f"{name}.bias"] = f32(rng, scale, out_f)


def linear(params, name, x, bias=True):
    return F.linear(x, params[f"{name}.weight"], params.get(f"{name}.bias") if bias else None)


def case(name, kind, seed, B=3, V=11, E=5, H=6, R=2, C=3, D=4, K=5, lam=0.05, max_words=5, lengths=(2, 5, 3)):
    rng = np.random.default_rng(seed)
    L = R * C
    W = max_words + 2
    params = {"embed.weight": f32(rng, 0.5, V, E)}
    if kind == "rnn":
        lin(rng, params, "image", H, L * D)
        params["rnn.weight_ih_l0"] = f32(rng, 0.3, H, E + H)
        params["rnn.weight_hh_l0"] = f32(rng, 0.3, H, H)
        params["rnn.bias_ih_l0"] = f32(rng, 0.3, H)
        params["rnn.bias_hh_l0"] = f32(rng, 0.3, H)
        lin(rng, params, "head", V, H)
    elif kind == "lstm":
        lin(rng, params, "init_h", H, L * D)
        lin(rng, params, "init_c", H, L * D)
        params["rnn.weight_ih_l0"] = f32(rng, 0.3, 4 * H, E)
        params["rnn.weight_hh_l0"] = f32(rng, 0.3, 4 * H, H)
        params["rnn.bias_ih_l0"] = f32(rng, 0.3, 4 * H)
        params["rnn.bias_hh_l0"] = f32(rng, 0.3, 4 * H)
        lin(rng, params, "head", V, H)
    else:
        lin(rng, params, "init_h", H, D)
        lin(rng, params, "init_c", H, D)
        lin(rng, params, "att.feature", K, D)
        lin(rng, params, "att.query", K, H, bias=False)
        lin(rng, params, "att.score", 1, K, bias=False, scale=1.0)
        lin(rng, params, "gate", 1, H)
        params["lstm.weight_ih"] = f32(rng, 0.3, 4 * H, E + D)
        params["lstm.weight_hh"] = f32(rng, 0.3, 4 * H, H)
        params["lstm.bias_ih"] = f32(rng, 0.3, 4 * H)
        params["lstm.bias_hh"] = f32(rng, 0.3, 4 * H)
        lin(rng, params, "head", V, H + D)
    for p in params.values():
        p.requires_grad_()
    feats = f32(rng, 1.0, B, L, D)
    caps = captions_for(rng, B, W, V, lengths)
    T = max(lengths) + 1
    inputs = caps[:, :T].T            # (T, B)
    targets = caps[:, 1:T + 1].T.clone()
    valid = targets != 0
    targets[~valid] = -100
    emb = params["embed.weight"][inputs]  # (T, B, E)
    v = feats.reshape(B, L * D)
    alphas = None
    if kind == "rnn":
        proj = linear(params, "image", v)
        x = torch.cat([emb, proj.unsqueeze(0).expand(T, B, H)], 2)
        h = torch.zeros(B, H)
        outs = []
        for t in range(T):
            h = torch.tanh(F.linear(x[t], params["rnn.weight_ih_l0"], params["rnn.bias_ih_l0"]) + F.linear(h, params["rnn.weight_hh_l0"], params["rnn.bias_hh_l0"]))
            outs.append(h)
        logits = linear(params, "head", torch.stack(outs))
    elif kind == "lstm":
        h = linear(params, "init_h", v)
        c = linear(params, "init_c", v)
        outs = []
        for t in range(T):  # nn.LSTM's equations, gates i, f, g, o
            g = F.linear(emb[t], params["rnn.weight_ih_l0"], params["rnn.bias_ih_l0"]) + F.linear(h, params["rnn.weight_hh_l0"], params["rnn.bias_hh_l0"])
            i, f, gg, o = g.chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(h)
        out = torch.stack(outs)
        logits = linear(params, "head", out)
    else:
        mean = feats.mean(1)
        h = linear(params, "init_h", mean)
        c = linear(params, "init_c", mean)
        u = linear(params, "att.feature", feats)  # (B, L, K)
        alist, outs = [], []
        for t in range(T):
            s = torch.tanh(u + linear(params, "att.query", h, bias=False).unsqueeze(1))
            e = linear(params, "att.score", s, bias=False).squeeze(2)  # (B, L)
            alpha = torch.softmax(e, 1)
            zhat = (alpha.unsqueeze(2) * feats).sum(1)
            beta = torch.sigmoid(linear(params, "gate", h))
            z = beta * zhat
            xt = torch.cat([emb[t], z], 1)
            g = F.linear(xt, params["lstm.weight_ih"], params["lstm.bias_ih"]) + F.linear(h, params["lstm.weight_hh"], params["lstm.bias_hh"])
            i, f, gg, o = g.chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(torch.cat([h, z], 1))
            alist.append(alpha)
        logits = linear(params, "head", torch.stack(outs))
        alphas = torch.stack(alist)  # (T, B, L)
    ce = F.cross_entropy(logits.reshape(T * B, V), targets.reshape(-1), ignore_index=-100)
    reg = torch.zeros(())
    if kind == "attention":
        colsum = (alphas * valid.unsqueeze(2)).sum(0)  # (B, L)
        reg = lam / B * ((1 - colsum) ** 2).sum()
    (ce + reg).backward()
    tensors = [("features", np32(feats)), ("captions", caps.numpy().astype(np.float32))]
    tensors += [(n, np32(p)) for n, p in params.items()]
    tensors += [("loss_ce", np.array([ce.item()], np.float32)), ("loss_reg", np.array([reg.item()], np.float32)),
                ("logits", np32(logits))]
    if alphas is not None:
        tensors.append(("alpha", np32(alphas)))
    tensors += [(f"grad.{n}", np32(p.grad)) for n, p in params.items()]
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), tensors,
                      {"kind": kind, "vocab": V, "embed": E, "hidden": H, "grid_rows": R, "grid_cols": C, "feature_dim": D,
                       "attention_dim": K, "lambda": lam, "max_words": max_words})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    case("rnn", "rnn", 1)
    case("lstm", "lstm", 2)
    case("attention", "attention", 3)
    case("attention_noreg", "attention", 4, B=4, lam=0.0, lengths=(4, 1, 5, 2))
    case("attention_wide", "attention", 5, B=2, H=9, D=7, K=3, R=3, C=3, lam=0.5, lengths=(3, 3))


if __name__ == "__main__":
    main()
