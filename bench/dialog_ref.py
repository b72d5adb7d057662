#!/usr/bin/python3
"""PyTorch 1.13 reference for the visual dialog speed race (bench/Recur.Bench/DialogSpeedBench.cs): the same model as Recur's
DialogModel (src/Recur/Models/Dialog/DialogModel.cs; the equations of tests/Recur.Tests/Fixtures/make_dialog_fixtures.py,
here in float32 as an nn.Module with nn.LSTM): an LSTM question encoder, the HRE history (an LSTM over each round's
[question encoding ; answer vector]) or the memory network, or none, one or two hops of additive attention over the
feature grid, the joint representation scoring every answer, the class answers from the attended image. Loss = mean
cross-entropy over every round. Trained with Adam (2e-3) and gradient norm clipping (5) on random features and the questions
and answers of --data (a JSON list of batches {"questions": B*R*T ids, "answers": B*R ids}, as DialogSpeedBench writes them)
or, without it, random ones, for --iters steps after 3 warm-up steps. Every question is encoded, repeated ones too.

Prints one JSON line: seconds, dialogs/s, threads, torch version, parameter count, the first and the last loss.

Run:  OPENBLAS_CORETYPE=Haswell /usr/bin/python3 bench/dialog_ref.py --threads 1 --iters 20 --history hre
"""

import argparse
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_timing import race_step, time_and_report


class Attention(nn.Module):
    def __init__(self, D, Q, K):
        super().__init__()
        self.feature = nn.Linear(D, K)
        self.query = nn.Linear(Q, K, bias=False)
        self.score = nn.Linear(K, 1, bias=False)

    def forward(self, feats, query):
        """feats (B, L, D), query (R, B, Q): contexts (R, B, D)."""
        s = torch.tanh(self.feature(feats).unsqueeze(0) + self.query(query).unsqueeze(2))  # (R, B, L, K)
        alpha = torch.softmax(self.score(s).squeeze(3), 2)
        return torch.einsum("rbl,bld->rbd", alpha, feats)


class Dialog(nn.Module):
    def __init__(self, V, A, E, H, D, K, Fu, visual, history, hops):
        super().__init__()
        self.history_kind, self.hops, self.H = history, hops, H
        self.embed = nn.Embedding(V, E)
        self.rnn = nn.LSTM(E, H)
        if history != "none":
            self.answer_embed = nn.Embedding(A, E)
            if history == "hre":
                self.history = nn.LSTM(H + E, H)
            else:
                self.memory = nn.Linear(H + E, H)
        self.fuse_q = nn.Linear(H, H)
        if history != "none":
            self.fuse_h = nn.Linear(H, H, bias=False)
        self.att = Attention(D, H, K)
        if hops == 2:
            self.hop_e = nn.Linear(H, H)
            self.hop_z = nn.Linear(D, H, bias=False)
            self.att2 = Attention(D, H, K)
        self.fuse_e = nn.Linear(H, Fu)
        self.fuse_z = nn.Linear(D, Fu, bias=False)
        self.head = nn.Linear(Fu, A)
        self.visual_ids = torch.tensor(visual)
        self.visual = nn.Linear(D, len(visual))

    def forward(self, feats, q, answers):
        B, R, T = q.shape
        N, H = R * B, self.H
        rows = q.transpose(0, 1).reshape(N, T)  # round-major
        a = answers.t().reshape(N)
        _, (hn, _) = self.rnn(self.embed(rows.t()))
        qv = hn[-1]  # (N, H)
        pre = self.fuse_q(qv)
        if self.history_kind != "none":
            facts = torch.cat([qv, self.answer_embed(a)], 1).view(R, B, -1)
            if self.history_kind == "hre":
                out, _ = self.history(facts[:R - 1])
                h = torch.cat([torch.zeros(1, B, H), out], 0)
            else:
                g = torch.tanh(self.memory(facts))  # (R, B, H)
                s = torch.einsum("rbh,jbh->rbj", qv.view(R, B, H), g) / math.sqrt(H)
                mask = torch.triu(torch.ones(R, R, dtype=torch.bool)).unsqueeze(1)  # j >= r masked
                alpha = torch.softmax(s.masked_fill(mask, float("-inf")), 2).nan_to_num(0.0)
                h = torch.einsum("rbj,jbh->rbh", alpha, g)
            pre = pre + self.fuse_h(h.reshape(N, H))
        e = torch.tanh(pre)
        z = self.att(feats, e.view(R, B, H))
        if self.hops == 2:
            e2 = torch.tanh(self.hop_e(e) + self.hop_z(z.reshape(N, -1)))
            z = self.att2(feats, e2.view(R, B, H))
        z = z.reshape(N, -1)
        logits = self.head(torch.tanh(self.fuse_e(e) + self.fuse_z(z)))
        logits = logits.index_copy(1, self.visual_ids, self.visual(z))
        return F.cross_entropy(logits, a)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--history", choices=["hre", "memory", "none"], default="hre")
    ap.add_argument("--hops", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=48)
    ap.add_argument("--answers", type=int, default=27)
    ap.add_argument("--features", type=int, default=258)
    ap.add_argument("--locations", type=int, default=9)
    ap.add_argument("--words", type=int, default=7)
    ap.add_argument("--data", default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    B, R, T, L, D = a.batch, a.rounds, a.words, a.locations, a.features
    visual = list(range(8, 18))  # the class answers
    model = Dialog(a.vocab, a.answers, 64, 256, D, 128, 256, visual, a.history, a.hops)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(1)
    if a.data:
        with open(a.data) as f:
            given = json.load(f)
        data = [(torch.randn(B, L, D, generator=g), torch.tensor(x["questions"]).view(B, R, T), torch.tensor(x["answers"]).view(B, R))
                for x in given]
    else:
        data = [(torch.randn(B, L, D, generator=g), torch.randint(0, a.vocab, (B, R, T), generator=g),
                 torch.randint(0, a.answers, (B, R), generator=g)) for _ in range(8)]
    step = race_step(model, opt, lambda i: model(*data[i % len(data)]))
    time_and_report(model, step, a.iters, a.batch, a.threads, "dialogs_per_s")


if __name__ == "__main__":
    main()
