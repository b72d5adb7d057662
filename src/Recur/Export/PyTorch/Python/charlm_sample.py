#!/usr/bin/env python3
"""Streams text from the exported character model, as `recur sample RUN` does: the prime (a newline by default) is
fed through the model, then each next character is drawn from softmax(logits / temperature), optionally among the
top k. Torch's random stream, so the text differs from Recur's for the same seed.

    python3 sample.py [--length 500] [--temperature 0.8] [--top-k K] [--prime TEXT] [--seed 1234]
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import model as recur_model  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--length", type=int, default=500)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--top-k", type=int, default=0)
    ap.add_argument("--prime", default="")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--weights", default="weights.safetensors")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    _, net = recur_model.load_package(HERE, a.weights)
    net.eval()
    with open(os.path.join(HERE, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    index = {c: i for i, c in enumerate(vocab)}
    prime = a.prime or ("\n" if "\n" in index else vocab[0])
    missing = [c for c in prime if c not in index]
    if missing:
        raise SystemExit(f"the prime has characters the model does not know: {missing}")
    out, state = [], None
    with torch.no_grad():
        logits, state = net(torch.tensor([[index[c]] for c in prime]), state)
        for _ in range(a.length):
            z = logits[-1, 0] / a.temperature
            if a.top_k > 0:
                kth = torch.topk(z, min(a.top_k, z.numel())).values[-1]
                z = z.masked_fill(z < kth, float("-inf"))
            nxt = int(torch.multinomial(torch.softmax(z, -1), 1))
            out.append(vocab[nxt])
            logits, state = net(torch.tensor([[nxt]]), state)
    sys.stdout.write(a.prime + "".join(out) + "\n")


if __name__ == "__main__":
    main()
