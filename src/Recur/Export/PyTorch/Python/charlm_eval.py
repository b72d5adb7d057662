#!/usr/bin/env python3
"""Scores the exported character model as `recur eval RUN` does: the mean cross-entropy of every next-character
prediction of the run's validation split (or --split test), in nats and bits per character, read in --batch-size
contiguous streams of --seq-length steps from a zero state (defaults: the run's).

    python3 eval.py [--split validation|test] [--weights weights.safetensors] [--text FILE]

Prints one JSON line: {"split", "loss", "bpc", "characters"}.
"""

import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import data  # noqa: E402
import model as recur_model  # noqa: E402


def score(net, tokens, batch, seq):
    net.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for x, y in data.eval_chunks(tokens, batch, seq):
            logits, state = net(x, state)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]).double(), y.reshape(-1), reduction="sum").item()
            count += y.numel()
    return total / count, count


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="validation", choices=["validation", "val", "test"])
    ap.add_argument("--weights", default="weights.safetensors")
    ap.add_argument("--text", default=None)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--seq-length", type=int, default=None)
    a = ap.parse_args()
    config, net = recur_model.load_package(HERE, a.weights)
    tr = config["training"]
    tokens = data.load_tokens(HERE, config, a.text)
    split = "validation" if a.split == "val" else a.split
    part = data.splits(tokens, tr["val_frac"], tr["test_frac"])[split]
    loss, count = score(net, part, a.batch_size or tr["batch_size"], a.seq_length or tr["seq_length"])
    print(json.dumps({"split": split, "loss": loss, "bpc": loss / math.log(2), "characters": count}))


if __name__ == "__main__":
    main()
