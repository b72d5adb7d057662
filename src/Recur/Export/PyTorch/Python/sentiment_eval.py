#!/usr/bin/env python3
"""Scores the exported sentiment classifier as `recur sentiment eval RUN` does on the validation reviews (eval_set.safetensors,
the ids Recur wrote), in batches of 64: the mean cross-entropy per review, the accuracy (positive when its probability is
above 0.5) and the error.

    python3 eval.py [--weights weights.safetensors]

Prints one JSON line: {"split", "reviews", "loss", "accuracy", "error"}.
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
    N = recur_model.example_count(t)
    loss, right = 0.0, 0
    with torch.no_grad():
        for s in range(0, N, 64):
            words, lengths, labels = recur_model.batch(t, torch.arange(s, min(N, s + 64)))
            logits = net(words, lengths)
            loss += F.cross_entropy(logits.double(), labels, reduction="sum").item()
            positive = torch.sigmoid(logits[:, 1] - logits[:, 0]) > 0.5
            right += int((positive.long() == labels).sum())
    nan = float("nan")
    print(json.dumps({"split": "validation", "reviews": N, "loss": loss / N if N else nan, "accuracy": right / N if N else nan,
                      "error": 1 - right / N if N else nan}))


if __name__ == "__main__":
    main()
