#!/usr/bin/env python3
"""Scores the exported classifier as `recur classify eval RUN` does: the mean cross-entropy and the accuracy over the
run's validation images (the last val_frac of the training images) or, with --split test, the test images.

    python3 eval.py [--split validation|test] [--data FOLDER] [--weights weights.safetensors]

Prints one JSON line: {"split", "loss", "accuracy", "images"}.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import data  # noqa: E402
import model as recur_model  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="validation", choices=["validation", "val", "test"])
    ap.add_argument("--data", default=None)
    ap.add_argument("--weights", default="weights.safetensors")
    a = ap.parse_args()
    config, net = recur_model.load_package(HERE, a.weights)
    net.eval()
    split = "validation" if a.split == "val" else a.split
    images, labels = data.splits(config, a.data)[split]
    loss, correct = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(images), 500):
            logits = net(data.pixels(images[s:s + 500]))
            loss += F.cross_entropy(logits.double(), labels[s:s + 500], reduction="sum").item()
            correct += int((logits.argmax(-1) == labels[s:s + 500]).sum())
    n = len(images)
    print(json.dumps({"split": split, "loss": loss / n, "accuracy": correct / n, "images": n}))


if __name__ == "__main__":
    main()
