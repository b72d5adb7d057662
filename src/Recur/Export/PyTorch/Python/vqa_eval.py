#!/usr/bin/env python3
"""Scores the exported VQA model as `recur vqa eval RUN` does on the validation split: for each part (validation-seen,
validation-heldout) the mean cross-entropy of the softmax over each question's four choices and the accuracy (the
highest score, the first on a tie, is the right answer).

    python3 eval.py [--weights weights.safetensors]

Prints one JSON line: {PART: {"questions", "loss", "accuracy"}, ...}.
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
    net, t, meta = data.evaluated(HERE, __doc__, recur_model)
    out = {}
    with torch.no_grad():
        for name, p in data.parts(t, meta).items():
            n = len(p["answers"])
            scores = torch.cat([net(p["features"][p["scene"][s:s + 512]], p["questions"][s:s + 512], p["choices"][s:s + 512])
                                for s in range(0, n, 512)]) if n else torch.zeros(0, 4)
            loss = F.cross_entropy(scores.double(), p["answers"], reduction="sum").item()
            right = int((scores.argmax(1) == p["answers"]).sum())
            out[name] = {"questions": n, "loss": loss / n if n else float("nan"), "accuracy": right / n if n else float("nan")}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
