#!/usr/bin/python3
"""PyTorch 1.13 reference for the caption speed race (bench/Recur.Bench/CaptionSpeedBench.cs): the same Show, Attend
and Tell captioner as Recur's AttentionCaptioner (init_h/init_c from the mean annotation, additive attention, the gate
beta, an LSTMCell on [E y ; z], head on [h ; z], the doubly stochastic regulariser), trained with Adam and gradient
norm clipping on random features (B, L, D) and captions of 2 to 11 words, for --iters steps after 3 warm-up steps.
Prints one JSON line: seconds, images/s, threads, torch version.

Run:  OPENBLAS_CORETYPE=Haswell /usr/bin/python3 bench/caption_ref.py --threads 1 --iters 20
"""

import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Captioner(nn.Module):
    def __init__(self, V, E, H, D, K):
        super().__init__()
        self.embed = nn.Embedding(V, E)
        self.init_h = nn.Linear(D, H)
        self.init_c = nn.Linear(D, H)
        self.att_feature = nn.Linear(D, K)
        self.att_query = nn.Linear(H, K, bias=False)
        self.att_score = nn.Linear(K, 1, bias=False)
        self.gate = nn.Linear(H, 1)
        self.lstm = nn.LSTMCell(E + D, H)
        self.head = nn.Linear(H + D, V)

    def forward(self, feats, caps, lam):
        B, W = caps.shape
        ends = (caps == 2).float().argmax(1)
        T = int(ends.max())
        inputs, targets = caps[:, :T], caps[:, 1:T + 1].clone()
        valid = targets != 0
        targets[~valid] = -100
        mean = feats.mean(1)
        h, c = self.init_h(mean), self.init_c(mean)
        u = self.att_feature(feats)
        emb = self.embed(inputs)
        outs, alphas = [], []
        for t in range(T):
            s = torch.tanh(u + self.att_query(h).unsqueeze(1))
            alpha = torch.softmax(self.att_score(s).squeeze(2), 1)
            z = torch.sigmoid(self.gate(h)) * (alpha.unsqueeze(2) * feats).sum(1)
            h, c = self.lstm(torch.cat([emb[:, t], z], 1), (h, c))
            outs.append(torch.cat([h, z], 1))
            alphas.append(alpha)
        logits = self.head(torch.stack(outs, 1))
        ce = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(-1), ignore_index=-100)
        colsum = (torch.stack(alphas, 1) * valid.unsqueeze(2)).sum(1)
        return ce + lam / B * ((1 - colsum) ** 2).sum()


def batch(g, B, L, D, V, W):
    feats = torch.randn(B, L, D, generator=g)
    caps = torch.zeros(B, W, dtype=torch.long)
    for b in range(B):
        n = int(torch.randint(2, 12, (1,), generator=g))
        caps[b, 0] = 1
        caps[b, 1:n + 1] = torch.randint(4, V, (n,), generator=g)
        caps[b, n + 1] = 2
    return feats, caps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=256)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    V, E, H, D, K, L, W = 36, 64, a.hidden, 64, 128, 49, 14
    model = Captioner(V, E, H, D, K)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(1)
    data = [batch(g, a.batch, L, D, V, W) for _ in range(8)]

    def step(i):
        feats, caps = data[i % len(data)]
        opt.zero_grad()
        loss = model(feats, caps, 0.001)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        return loss.item()

    for i in range(3):
        step(i)
    t0 = time.perf_counter()
    for i in range(a.iters):
        loss = step(i)
    s = time.perf_counter() - t0
    print(json.dumps({"seconds": s, "images_per_s": a.iters * a.batch / s, "threads": a.threads, "torch": torch.__version__, "loss": loss}))


if __name__ == "__main__":
    main()
