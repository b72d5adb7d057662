#!/usr/bin/python3
"""PyTorch reference fixtures for Recur's visual dialog model (src/Recur/Models/Dialog/DialogModel.cs), written from its
equations with autograd in float64. Rows are round-major, n = r*B + b (round r of dialog b):

  q = the final state of an LSTM (nn.LSTM's equations, gates i, f, g, o, zero state) over the left-padded question;
  facts_n = [q_n ; answer_embed[answer_n]];
  history "hre": an LSTM over the facts of rounds 0 .. R-2 of each dialog, h_r = its output after fact r-1, h_0 = 0;
  history "memory": g = tanh(W_g facts + b_g), h_r = sum_j<r softmax_j(q_r . g_j / sqrt(H)) g_j, h_0 = 0;
  history "none": no history;
  e = tanh(W_q q + b_q + W_h h);
  z1 = additive attention over the features a (B, L, D) from e (s = tanh(W_a a + b_a + W_e e), alpha = softmax(w . s));
  two hops: e2 = tanh(W_he e + b_he + W_hz z1), z = attention (att2) from e2; one hop: z = z1;
  f = tanh(W_f e + b_f + W_fz z); scores = W_o f + b_o, the visual answers' scores W_v z + b_v instead;
  blind: no attention and no W_fz: f = tanh(W_f e + b_f);
  loss = mean cross-entropy over every round's answer among all answers.

Each file holds the features, questions (B, R, T) and answers (B, R) (as floats; the last dialog's last question repeats the
first dialog's first), every parameter, the loss, the scores (B, R, A) and grad.NAME for every parameter.

Run:  /usr/bin/python3 tests/Recur.Tests/Fixtures/make_dialog_fixtures.py
"""

import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_rnn_fixtures import f32, write_safetensors  # noqa: E402

OUT = os.path.join(HERE, "dialog")


def np32(t):
    return t.detach().numpy().astype(np.float32)


def lstm(p, prefix, xs, H):
    """nn.LSTM's equations over a list of (N, in) inputs from a zero state; the outputs."""
    N = xs[0].shape[0]
    h = torch.zeros(N, H)
    c = torch.zeros(N, H)
    out = []
    for x in xs:
        g = F.linear(x, p[prefix + ".weight_ih_l0"], p[prefix + ".bias_ih_l0"]) + F.linear(h, p[prefix + ".weight_hh_l0"], p[prefix + ".bias_hh_l0"])
        i, f, gg, o = g.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
        h = torch.sigmoid(o) * torch.tanh(c)
        out.append(h)
    return out


def attend(p, prefix, feats, query, B, R):
    """Additive attention of each round's queries (rows r*B .. r*B+B-1) over its dialog's features."""
    u = F.linear(feats, p[prefix + ".feature.weight"], p[prefix + ".feature.bias"])  # (B, L, K)
    zs = []
    for r in range(R):
        qr = query[r * B:(r + 1) * B]
        s = torch.tanh(u + F.linear(qr, p[prefix + ".query.weight"]).unsqueeze(1))
        alpha = torch.softmax(F.linear(s, p[prefix + ".score.weight"]).squeeze(2), 1)
        zs.append((alpha.unsqueeze(2) * feats).sum(1))
    return torch.cat(zs, 0)


def lstm_params(rng, p, prefix, inp, H):
    p[prefix + ".weight_ih_l0"] = f32(rng, 0.4, 4 * H, inp)
    p[prefix + ".weight_hh_l0"] = f32(rng, 0.4, 4 * H, H)
    p[prefix + ".bias_ih_l0"] = f32(rng, 0.3, 4 * H)
    p[prefix + ".bias_hh_l0"] = f32(rng, 0.3, 4 * H)


def att_params(rng, p, prefix, D, H, K):
    p[prefix + ".feature.weight"] = f32(rng, 0.4, K, D)
    p[prefix + ".feature.bias"] = f32(rng, 0.3, K)
    p[prefix + ".query.weight"] = f32(rng, 0.4, K, H)
    p[prefix + ".score.weight"] = f32(rng, 1.0, 1, K)


def case(name, seed, history, hops, blind=False, visual=(), B=3, R=4, V=11, A=9, E=4, H=5, Rows=2, Cols=2, D=3, K=4, Fu=6, T=5):
    rng = np.random.default_rng(seed)
    L = Rows * Cols
    N = B * R
    p = {"embed.weight": f32(rng, 0.5, V, E)}
    lstm_params(rng, p, "rnn", E, H)
    if history != "none":
        p["answer_embed.weight"] = f32(rng, 0.5, A, E)
        if history == "hre":
            lstm_params(rng, p, "history", H + E, H)
        else:
            p["memory.weight"] = f32(rng, 0.4, H, H + E)
            p["memory.bias"] = f32(rng, 0.3, H)
    p["fuse_q.weight"] = f32(rng, 0.4, H, H)
    p["fuse_q.bias"] = f32(rng, 0.3, H)
    if history != "none":
        p["fuse_h.weight"] = f32(rng, 0.4, H, H)
    if not blind:
        att_params(rng, p, "att", D, H, K)
        if hops == 2:
            p["hop_e.weight"] = f32(rng, 0.4, H, H)
            p["hop_e.bias"] = f32(rng, 0.3, H)
            p["hop_z.weight"] = f32(rng, 0.4, H, D)
            att_params(rng, p, "att2", D, H, K)
    p["fuse_e.weight"] = f32(rng, 0.4, Fu, H)
    p["fuse_e.bias"] = f32(rng, 0.3, Fu)
    if not blind:
        p["fuse_z.weight"] = f32(rng, 0.4, Fu, D)
    p["head.weight"] = f32(rng, 0.5, A, Fu)
    p["head.bias"] = f32(rng, 0.3, A)
    if visual:
        p["visual.weight"] = f32(rng, 0.5, len(visual), D)
        p["visual.bias"] = f32(rng, 0.3, len(visual))
    for t in p.values():
        t.requires_grad_()
    feats = f32(rng, 1.0, B, L, D)
    q = np.zeros((B, R, T), dtype=np.int64)
    for b in range(B):
        for r in range(R):
            n = rng.integers(2, T + 1)
            q[b, r, T - n:] = rng.integers(1, V, n)  # left-padded with 0
    if B * R > 1:
        q[B - 1, R - 1] = q[0, 0]  # a question asked twice: Recur encodes it once and adds up its gradient
    answers = rng.integers(0, A, (B, R))

    rows = torch.from_numpy(q.transpose(1, 0, 2).reshape(N, T))  # round-major
    ans = torch.from_numpy(answers.T.reshape(N))
    emb = p["embed.weight"][rows.T]  # (T, N, E)
    qv = lstm(p, "rnn", [emb[t] for t in range(T)], H)[-1]  # (N, H)
    pre = F.linear(qv, p["fuse_q.weight"], p["fuse_q.bias"])
    if history != "none":
        facts = torch.cat([qv, p["answer_embed.weight"][ans]], 1)  # (N, H+E)
        if history == "hre":
            outs = lstm(p, "history", [facts[r * B:(r + 1) * B] for r in range(R - 1)], H) if R > 1 else []
            h = torch.cat([torch.zeros(B, H)] + outs, 0)
        else:
            g = torch.tanh(F.linear(facts, p["memory.weight"], p["memory.bias"])).reshape(R, B, H)
            qr = qv.reshape(R, B, H)
            hs = [torch.zeros(B, H)]
            for r in range(1, R):
                s = (qr[r].unsqueeze(0) * g[:r]).sum(2) / math.sqrt(H)  # (r, B)
                alpha = torch.softmax(s, 0)
                hs.append((alpha.unsqueeze(2) * g[:r]).sum(0))
            h = torch.cat(hs, 0)
        pre = pre + F.linear(h, p["fuse_h.weight"])
    e = torch.tanh(pre)
    fpre = F.linear(e, p["fuse_e.weight"], p["fuse_e.bias"])
    if not blind:
        z = attend(p, "att", feats, e, B, R)
        if hops == 2:
            e2 = torch.tanh(F.linear(e, p["hop_e.weight"], p["hop_e.bias"]) + F.linear(z, p["hop_z.weight"]))
            z = attend(p, "att2", feats, e2, B, R)
        fpre = fpre + F.linear(z, p["fuse_z.weight"])
    fj = torch.tanh(fpre)
    logits = F.linear(fj, p["head.weight"], p["head.bias"])
    if visual:
        logits = logits.clone()
        logits[:, torch.tensor(visual)] = F.linear(z, p["visual.weight"], p["visual.bias"])
    loss = F.cross_entropy(logits, ans)
    loss.backward()
    scores = logits.reshape(R, B, A).transpose(0, 1)  # (B, R, A)
    tensors = [("features", np32(feats)), ("questions", q.astype(np.float32)), ("answers", answers.astype(np.float32))]
    tensors += [(n, np32(t)) for n, t in p.items()]
    tensors += [("loss", np.array([loss.item()], np.float32)), ("scores", np32(scores))]
    tensors += [(f"grad.{n}", np32(t.grad if t.grad is not None else torch.zeros_like(t))) for n, t in p.items()]  # one round: no history grads
    meta = {"history": history, "hops": hops, "blind": str(blind).lower(), "vocab": V, "answers": A, "embed": E, "hidden": H,
            "grid_rows": Rows, "grid_cols": Cols, "feature_dim": D, "attention_dim": K, "fusion": Fu, "max_words": T}
    if visual:
        meta["visual_answers"] = ",".join(map(str, visual))
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), tensors, meta)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    case("hre", 1, "hre", 2, visual=(0, 3, 5))
    case("hre_one_hop", 2, "hre", 1)
    case("memory", 3, "memory", 2, visual=(1, 2))
    case("memory_one_hop", 4, "memory", 1, B=2, R=5)
    case("none", 5, "none", 2, visual=(4, 6, 8))
    case("blind_hre", 6, "hre", 2, blind=True)
    case("blind_none", 7, "none", 1, blind=True, R=3)
    case("one_round", 8, "hre", 2, R=1)


if __name__ == "__main__":
    main()
