#!/usr/bin/env python3
"""Scores the exported visual dialog model as `recur dialog eval RUN` does on the validation split: for each part
(validation-seen, validation-heldout) and both together ("validation"), the mean cross-entropy over every round's
answer among all answers and the accuracy (the highest score, the first on a tie, is the dialog's answer).

    python3 eval.py [--weights weights.safetensors]

Prints one JSON line: {PART: {"rounds", "loss", "accuracy"}, ..., "validation": {...}}.
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
    out, total = {}, [0, 0.0, 0]
    with torch.no_grad():
        for name, p in data.parts(t, meta).items():
            n = p["answers"].numel()
            loss, right = 0.0, 0
            for s in range(0, len(p["answers"]), 256):
                answers = p["answers"][s:s + 256]
                scores = net(p["features"][p["scene"][s:s + 256]], p["questions"][s:s + 256], answers)
                flat = scores.reshape(-1, scores.shape[-1])
                loss += F.cross_entropy(flat.double(), answers.reshape(-1), reduction="sum").item()
                right += int((flat.argmax(1) == answers.reshape(-1)).sum())
            out[name] = {"rounds": n, "loss": loss / n if n else float("nan"), "accuracy": right / n if n else float("nan")}
            total = [total[0] + n, total[1] + loss, total[2] + right]
    out["validation"] = {"rounds": total[0], "loss": total[1] / total[0], "accuracy": total[2] / total[0]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
