#!/usr/bin/env python3
"""Scores the exported glimpse classifier as `recur glimpse eval RUN` does on the validation canvases: the mean
cross-entropy and the error (the first highest logit on a tie is the class). The attention model starts at the
centre and follows the policy's mean, as Recur's evaluation does.

    python3 eval.py [--weights weights.safetensors]

Prints one JSON line: {"images", "loss", "error", "accuracy"}.
"""

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
    net, t, _ = data.evaluated(HERE, __doc__, recur_model)
    images, labels = t["images"], t["labels"]
    N = len(labels)
    loss, wrong = 0.0, 0
    with torch.no_grad():
        for s in range(0, N, 100):
            logits = net(images[s:s + 100])[0]
            loss += F.cross_entropy(logits.double(), labels[s:s + 100], reduction="sum").item()
            wrong += int((logits.argmax(1) != labels[s:s + 100]).sum())
    print(json.dumps({"images": N, "loss": loss / N, "error": wrong / N, "accuracy": 1 - wrong / N}))


if __name__ == "__main__":
    main()
