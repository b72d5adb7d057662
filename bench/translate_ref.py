#!/usr/bin/python3
"""PyTorch 1.13 reference for the translation race (bench/Recur.Bench/TranslateRaceBench.cs): the same model as Recur's
Seq2SeqModel (embeddings, BiLSTM encoder, tanh bridge to the decoder's first state, additive attention or none, LSTM
decoder fed [embedding ; context], a linear head over [h ; context], dropout on the source embeddings, between encoder
layers and on the head's input, label smoothing), trained on the pairs Recur tokenised (the same BPE ids, written by the
bench) with Adam and gradient norm clipping for the same wall-clock minutes, the best state kept by validation loss, then
greedy decoding of the test sources. Ids: source 0 = padding, 1 = unknown; target 0 = padding, 1 = start, 2 = end.

  DIR/config.json: source_vocab, target_vocab, embed, hidden, layers, decoder_hidden, attention, attention_dim, dropout,
                   label_smoothing, batch, bucket, lr, lr_min, clip, eval_every, max_target, seed
The recipe is Recur's: batches of like length (each run of `bucket` batches of the shuffled epoch sorted by length, then
the batches shuffled), Adam with a cosine schedule from lr to lr_min over the wall-clock budget, a validation loss every
`eval_every` batches and at the end.
  DIR/train.jsonl, DIR/valid.jsonl, DIR/test.jsonl: one {"s": [ids], "t": [ids]} per line (t without start and end)
Writes DIR/hyp.jsonl (one [ids] per test line, without start and end) and prints one JSON line of its figures.
Usage: translate_ref.py DIR --minutes M [--threads 1]
"""

import argparse
import json
import math
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Seq2Seq(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        E, He, H, A = c["embed"], c["hidden"], c["decoder_hidden"], c["attention_dim"]
        self.attends = c["attention"] != "none"
        D = 2 * He if self.attends else 0
        self.src_embed = nn.Embedding(c["source_vocab"], E)
        self.encoder = nn.LSTM(E, He, num_layers=c["layers"], bidirectional=True, dropout=c["dropout"] if c["layers"] > 1 else 0.0)
        self.bridge = nn.Linear(2 * He, H)
        self.tgt_embed = nn.Embedding(c["target_vocab"], E)
        if self.attends:
            self.att_feature = nn.Linear(2 * He, A)
            self.att_query = nn.Linear(H, A, bias=False)
            self.att_score = nn.Linear(A, 1, bias=False)
        self.decoder = nn.LSTMCell(E + D, H)
        self.head = nn.Linear(H + D, c["target_vocab"])
        self.drop = nn.Dropout(c["dropout"])

    def encode(self, src, lengths):
        Ts = src.shape[0]
        x = self.drop(self.src_embed(src))
        out, (hn, _) = self.encoder(pack_padded_sequence(x, lengths, enforce_sorted=False))
        out, _ = pad_packed_sequence(out, total_length=Ts)
        h = torch.tanh(self.bridge(torch.cat([hn[-2], hn[-1]], 1)))
        ann = out.transpose(0, 1)  # (B, Ts, 2He)
        mask = torch.arange(Ts).unsqueeze(0) >= lengths.unsqueeze(1)
        u = self.att_feature(ann) if self.attends else None
        return h, torch.zeros_like(h), ann, mask, u

    def step(self, prev, h, c, ann, mask, u):
        x = self.tgt_embed(prev)
        if self.attends:
            e = self.att_score(torch.tanh(u + self.att_query(h).unsqueeze(1))).squeeze(2)
            alpha = torch.softmax(e.masked_fill(mask, float("-inf")), 1)
            z = (alpha.unsqueeze(2) * ann).sum(1)
            x = torch.cat([x, z], 1)
        h, c = self.decoder(x, (h, c))
        hz = torch.cat([h, z], 1) if self.attends else h
        return hz, h, c

    def forward(self, src, lengths, inputs, targets, smoothing):
        h, c, ann, mask, u = self.encode(src, lengths)
        outs = []
        for t in range(inputs.shape[0]):
            hz, h, c = self.step(inputs[t], h, c, ann, mask, u)
            outs.append(hz)
        logits = self.head(self.drop(torch.stack(outs)))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100, label_smoothing=smoothing)

    @torch.no_grad()
    def greedy(self, src, lengths, max_target):
        h, c, ann, mask, u = self.encode(src, lengths)
        B = src.shape[1]
        prev = torch.full((B,), 1, dtype=torch.long)
        out = [[] for _ in range(B)]
        done = [False] * B
        for _ in range(max_target + 1):
            hz, h, c = self.step(prev, h, c, ann, mask, u)
            prev = self.head(hz).argmax(1)
            for b in range(B):
                if not done[b]:
                    if int(prev[b]) == 2 or len(out[b]) == max_target:
                        done[b] = True
                    else:
                        out[b].append(int(prev[b]))
            if all(done):
                break
        return out


def read(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def batch(pairs):
    lengths = torch.tensor([max(1, len(p["s"])) for p in pairs])
    Ts, B = int(lengths.max()), len(pairs)
    src = torch.zeros(Ts, B, dtype=torch.long)
    for b, p in enumerate(pairs):
        src[: len(p["s"]), b] = torch.tensor(p["s"], dtype=torch.long) if p["s"] else 0
    T = max(len(p["t"]) for p in pairs) + 1
    inputs = torch.zeros(T, B, dtype=torch.long)
    targets = torch.full((T, B), -100, dtype=torch.long)
    for b, p in enumerate(pairs):
        seq = p["t"]
        inputs[0, b] = 1
        for i, tok in enumerate(seq):
            inputs[i + 1, b] = tok
            targets[i, b] = tok
        targets[len(seq), b] = 2
    return src, lengths, inputs, targets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    c = json.load(open(f"{a.dir}/config.json"))
    torch.manual_seed(c.get("seed", 1))
    rng = random.Random(c.get("seed", 1))
    train, valid, test = (read(f"{a.dir}/{s}.jsonl") for s in ("train", "valid", "test"))
    model = Seq2Seq(c)
    opt = torch.optim.Adam(model.parameters(), lr=c["lr"])
    B = c["batch"]
    valid_batches = [batch(valid[i:i + 64]) for i in range(0, len(valid), 64)]

    def valid_loss():
        model.eval()
        with torch.no_grad():
            n = sum(int((t[3] != -100).sum()) for t in valid_batches)
            s = sum(float(model(*t, 0.0)) * int((t[3] != -100).sum()) for t in valid_batches)
        model.train()
        return s / n

    def epoch_batches():
        order = list(range(len(train)))
        rng.shuffle(order)
        batches = [order[i:i + B] for i in range(0, len(order) - B + 1, B)]
        run = max(1, c.get("bucket", 0))
        out = []
        for i in range(0, len(batches), run):
            flat = sorted(sum(batches[i:i + run], []), key=lambda j: len(train[j]["s"]) + len(train[j]["t"]))
            out.extend(flat[k:k + B] for k in range(0, len(flat), B))
        rng.shuffle(out)
        return out

    budget = a.minutes * 60
    start = time.perf_counter()
    best, best_state, iters, queue = math.inf, None, 0, []
    while True:
        elapsed = time.perf_counter() - start
        if (iters > 0 and iters % c["eval_every"] == 0) or elapsed >= budget:
            v = valid_loss()
            if v < best:
                best, best_state = v, {k: t.clone() for k, t in model.state_dict().items()}
            if elapsed >= budget:
                break
        if not queue:
            queue = epoch_batches()
        idx = queue.pop()
        for g in opt.param_groups:
            g["lr"] = c["lr_min"] + (c["lr"] - c["lr_min"]) * 0.5 * (1 + math.cos(math.pi * min(1.0, elapsed / budget)))
        opt.zero_grad()
        loss = model(*batch([train[i] for i in idx]), c["label_smoothing"])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), c["clip"])
        opt.step()
        iters += 1
    train_s = time.perf_counter() - start
    model.load_state_dict(best_state)
    model.eval()
    hyps = []
    for i in range(0, len(test), 64):
        src, lengths, _, _ = batch(test[i:i + 64])
        hyps.extend(model.greedy(src, lengths, c["max_target"]))
    with open(f"{a.dir}/hyp.jsonl", "w") as f:
        for h in hyps:
            f.write(json.dumps(h) + "\n")
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"iterations": iters, "train_s": train_s, "best_valid_loss": best, "params": params,
                      "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
