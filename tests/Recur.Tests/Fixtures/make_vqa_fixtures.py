#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's VQA model (src/Recur/Models/Vqa/VqaModel.cs), written from its equations
with autograd in float64: an LSTM over the left-padded question (nn.LSTM's equations, gates i, f, g, o, from zero
state), additive attention from its final state q over the features, f = tanh(W_q q + b + W_z z), answer scores
W_h f + b_h, and the mean cross-entropy over each question's four choices. The blind baseline drops the attention and
W_z. With visual answers (the ids in the metadata's visual_answers), those answers' scores are W_v z + b_v
(visual.weight, visual.bias) from the attended context alone, in place of the head's (case "visual"). Each file holds the features, questions, choices and answers (as floats), every parameter, the loss, the choice
scores and grad.NAME.

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_vqa_fixtures.py
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import f32, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "vqa")


def np32(t):
    return t.detach().numpy().astype(np.float32)


def case(name, seed, blind, B=3, V=9, A=7, E=4, H=5, R=2, C=2, D=3, K=4, Fu=6, T=5, visual=()):
    rng = np.random.default_rng(seed)
    L = R * C
    p = {"embed.weight": f32(rng, 0.5, V, E),
         "rnn.weight_ih_l0": f32(rng, 0.4, 4 * H, E), "rnn.weight_hh_l0": f32(rng, 0.4, 4 * H, H),
         "rnn.bias_ih_l0": f32(rng, 0.3, 4 * H), "rnn.bias_hh_l0": f32(rng, 0.3, 4 * H)}
    if not blind:
        p["att.feature.weight"] = f32(rng, 0.4, K, D)
        p["att.feature.bias"] = f32(rng, 0.3, K)
        p["att.query.weight"] = f32(rng, 0.4, K, H)
        p["att.score.weight"] = f32(rng, 1.0, 1, K)
    p["fuse_q.weight"] = f32(rng, 0.4, Fu, H)
    p["fuse_q.bias"] = f32(rng, 0.3, Fu)
    if not blind:
        p["fuse_z.weight"] = f32(rng, 0.4, Fu, D)
    p["head.weight"] = f32(rng, 0.5, A, Fu)
    p["head.bias"] = f32(rng, 0.3, A)
    for t in p.values():
        t.requires_grad_()
    feats = f32(rng, 1.0, B, L, D)
    q = np.zeros((B, T), dtype=np.int64)
    for b in range(B):
        n = rng.integers(2, T + 1)
        q[b, T - n:] = rng.integers(1, V, n)  # left-padded with 0
    choices = np.stack([rng.permutation(A)[:4] for _ in range(B)])
    answers = rng.integers(0, 4, B)
    if visual:
        p["visual.weight"] = f32(rng, 0.5, len(visual), D).requires_grad_()
        p["visual.bias"] = f32(rng, 0.3, len(visual)).requires_grad_()
    qt = torch.from_numpy(q)
    emb = p["embed.weight"][qt.T]  # (T, B, E)
    h = torch.zeros(B, H)
    c = torch.zeros(B, H)
    for t in range(T):
        g = F.linear(emb[t], p["rnn.weight_ih_l0"], p["rnn.bias_ih_l0"]) + F.linear(h, p["rnn.weight_hh_l0"], p["rnn.bias_hh_l0"])
        i, f, gg, o = g.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
        h = torch.sigmoid(o) * torch.tanh(c)
    pre = F.linear(h, p["fuse_q.weight"], p["fuse_q.bias"])
    if not blind:
        u = F.linear(feats, p["att.feature.weight"], p["att.feature.bias"])
        s = torch.tanh(u + F.linear(h, p["att.query.weight"]).unsqueeze(1))
        alpha = torch.softmax(F.linear(s, p["att.score.weight"]).squeeze(2), 1)
        z = (alpha.unsqueeze(2) * feats).sum(1)
        pre = pre + F.linear(z, p["fuse_z.weight"])
    fj = torch.tanh(pre)
    logits = F.linear(fj, p["head.weight"], p["head.bias"])
    if visual:  # the visual answers' scores read the attended image only
        logits = logits.clone()
        logits[:, torch.tensor(visual)] = F.linear(z, p["visual.weight"], p["visual.bias"])
    scores = torch.gather(logits, 1, torch.from_numpy(choices))
    loss = F.cross_entropy(scores, torch.from_numpy(answers))
    loss.backward()
    tensors = [("features", np32(feats)), ("questions", q.astype(np.float32)), ("choices", choices.astype(np.float32)),
               ("answers", answers.astype(np.float32))]
    tensors += [(n, np32(t)) for n, t in p.items()]
    tensors += [("loss", np.array([loss.item()], np.float32)), ("scores", np32(scores))]
    tensors += [(f"grad.{n}", np32(t.grad)) for n, t in p.items()]
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), tensors,
                      {"blind": str(blind).lower(), "vocab": V, "answers": A, "embed": E, "hidden": H, "grid_rows": R, "grid_cols": C,
                       "feature_dim": D, "attention_dim": K, "fusion": Fu, "max_words": T,
                       **({"visual_answers": ",".join(map(str, visual))} if visual else {})})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    case("attention", 1, False)
    case("blind", 2, True)
    case("attention_wide", 3, False, B=4, R=3, C=3, D=5, Fu=8, T=7)
    case("visual", 4, False, B=4, visual=(0, 2, 5))


if __name__ == "__main__":
    main()
