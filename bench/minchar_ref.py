#!/usr/bin/env python3
"""min-char-rnn in numpy, the reference side of `Recur.Bench minchar`.

Written here from the algorithm of Karpathy's min-char-rnn.py (2015): a vanilla tanh RNN over
one-hot characters, hidden 100, sequences of 25, weights N(0,1)*0.01, the loss summed over the
sequence, backpropagation through the 25 steps, every gradient clipped to [-5, 5], Adagrad with
learning rate 0.1 (eps 1e-8 inside the square root), smooth_loss = 0.999 smooth_loss + 0.001 loss
starting at -log(1/V) * seq_length, a 200-character sample and a progress line every 100
iterations, and the data pointer wrapping to 0 (with the hidden state reset) when fewer than
seq_length + 1 characters are left. Same numpy operations, one time step at a time, in float64
as the original.

Output: the original's printout on stdout; with --json, one last line
{"iters": N, "seconds": S, "chars_per_s": ...} where chars = iterations * seq_length and the time
covers the training loop (samples included, as in the original), not reading the file.
"""
import argparse
import json
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--max-iters", type=int, default=2000)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--seq-length", type=int, default=25)
    ap.add_argument("--lr", type=float, default=1e-1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quiet", action="store_true", help="do not print samples and progress")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    with open(a.file, encoding="utf-8") as f:
        data = f.read()
    chars = sorted(set(data))
    V = len(chars)
    char_to_ix = {c: i for i, c in enumerate(chars)}
    ix_to_char = {i: c for i, c in enumerate(chars)}
    H, T, lr = a.hidden, a.seq_length, a.lr
    np.random.seed(a.seed)

    Wxh = np.random.randn(H, V) * 0.01  # input to hidden
    Whh = np.random.randn(H, H) * 0.01  # hidden to hidden
    Why = np.random.randn(V, H) * 0.01  # hidden to output
    bh = np.zeros((H, 1))
    by = np.zeros((V, 1))

    def loss_fun(inputs, targets, hprev):
        xs, hs, ys, ps = {}, {}, {}, {}
        hs[-1] = np.copy(hprev)
        loss = 0.0
        for t in range(len(inputs)):
            xs[t] = np.zeros((V, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
            ys[t] = Why @ hs[t] + by
            e = np.exp(ys[t])
            ps[t] = e / np.sum(e)
            loss += -np.log(ps[t][targets[t], 0])
        dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
        dbh, dby = np.zeros_like(bh), np.zeros_like(by)
        dhnext = np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = np.copy(ps[t])
            dy[targets[t]] -= 1  # d loss / d logits of softmax cross-entropy
            dWhy += dy @ hs[t].T
            dby += dy
            dh = Why.T @ dy + dhnext
            dhraw = (1 - hs[t] * hs[t]) * dh  # through tanh
            dbh += dhraw
            dWxh += dhraw @ xs[t].T
            dWhh += dhraw @ hs[t - 1].T
            dhnext = Whh.T @ dhraw
        for g in (dWxh, dWhh, dWhy, dbh, dby):
            np.clip(g, -5, 5, out=g)
        return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]

    def sample(h, seed_ix, n):
        x = np.zeros((V, 1))
        x[seed_ix] = 1
        out = []
        for _ in range(n):
            h = np.tanh(Wxh @ x + Whh @ h + bh)
            y = Why @ h + by
            p = np.exp(y) / np.sum(np.exp(y))
            ix = np.random.choice(range(V), p=p.ravel())
            x = np.zeros((V, 1))
            x[ix] = 1
            out.append(ix)
        return out

    n, p = 0, 0
    mWxh, mWhh, mWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    mbh, mby = np.zeros_like(bh), np.zeros_like(by)
    smooth_loss = -np.log(1.0 / V) * T
    hprev = np.zeros((H, 1))
    start = time.perf_counter()
    while n < a.max_iters:
        if p + T + 1 >= len(data) or n == 0:
            hprev = np.zeros((H, 1))
            p = 0
        inputs = [char_to_ix[ch] for ch in data[p:p + T]]
        targets = [char_to_ix[ch] for ch in data[p + 1:p + T + 1]]
        if n % 100 == 0:
            txt = "".join(ix_to_char[ix] for ix in sample(hprev, inputs[0], 200))
            if not a.quiet:
                print("----\n %s \n----" % (txt,))
        loss, dWxh, dWhh, dWhy, dbh, dby, hprev = loss_fun(inputs, targets, hprev)
        smooth_loss = smooth_loss * 0.999 + loss * 0.001
        if n % 100 == 0 and not a.quiet:
            print("iter %d, loss: %f" % (n, smooth_loss))
        for param, dparam, mem in zip((Wxh, Whh, Why, bh, by), (dWxh, dWhh, dWhy, dbh, dby), (mWxh, mWhh, mWhy, mbh, mby)):
            mem += dparam * dparam
            param += -lr * dparam / np.sqrt(mem + 1e-8)
        p += T
        n += 1
    seconds = time.perf_counter() - start
    if a.json:
        print(json.dumps({"iters": n, "seconds": seconds, "chars_per_s": n * T / seconds, "smooth_loss": float(smooth_loss),
                          "numpy": np.__version__}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
