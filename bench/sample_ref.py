#!/usr/bin/env python3
"""Batch-1 character sampling in PyTorch, the reference side of `Recur.Bench sample`.

The loop every char-rnn sampler runs: nn.Embedding -> nn.LSTM (batch 1, one step, carrying (h, c))
-> nn.Linear -> softmax(logits / temperature) -> torch.multinomial -> feed the drawn character back.
Under torch.no_grad(), with torch.set_num_threads(--threads) set before any work.
Prints one JSON line: {"hidden", "layers", "threads", "chars", "us_per_char", "torch"}; the time is
the median of --rounds timed runs of --chars characters each, after a warm-up run.
"""
import argparse
import json
import time

import torch
import torch.nn as nn


class CharLSTM(nn.Module):
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = nn.LSTM(embed, hidden, layers)
        self.head = nn.Linear(hidden, vocab)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", type=int, default=65)
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--chars", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--temperature", type=float, default=1.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = CharLSTM(a.vocab, a.embed, a.hidden, a.layers).eval()

    def run(n):
        with torch.no_grad():
            h = torch.zeros(a.layers, 1, a.hidden)
            c = torch.zeros(a.layers, 1, a.hidden)
            idx = 0
            out = []
            for _ in range(n):
                x = torch.tensor([[idx]])                      # (T=1, B=1)
                y, (h, c) = model.rnn(model.embedding(x), (h, c))
                logits = model.head(y[0, 0])                   # (V)
                p = torch.softmax(logits / a.temperature, dim=-1)
                idx = int(torch.multinomial(p, 1).item())
                out.append(idx)
            return out

    run(min(a.chars, 200))
    times = []
    for _ in range(a.rounds):
        t0 = time.perf_counter()
        run(a.chars)
        times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    print(json.dumps({"hidden": a.hidden, "layers": a.layers, "threads": a.threads, "chars": a.chars,
                      "us_per_char": 1e6 * med / a.chars, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
