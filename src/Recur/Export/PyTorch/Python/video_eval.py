#!/usr/bin/env python3
"""Scores the exported video model as `recur video eval RUN` does on the validation clips: the loss (the action's
cross-entropy plus the visibility's binary cross-entropy summed over the classes and averaged over the frames), the
action accuracy (the first highest logit on a tie), and the visibility's F1, precision and recall (a class is seen
when its logit is above 0).

    python3 eval.py [--weights weights.safetensors]

Prints one JSON line: {"clips", "loss", "action_accuracy", "visible_f1", "visible_precision", "visible_recall"}.
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
    x, actions, visible = t["x"], t["actions"], t["visible"]
    N, T = x.shape[0], x.shape[1]
    acts, vis = [], []
    with torch.no_grad():
        for s in range(0, N, 256):
            act, v = net(x[s:s + 256].transpose(0, 1))
            acts.append(act)
            vis.append(v.transpose(0, 1))
    act, vis = torch.cat(acts), torch.cat(vis)
    loss = F.cross_entropy(act.double(), actions).item()
    loss += F.binary_cross_entropy_with_logits(vis.double(), visible.double(), reduction="sum").item() / (N * T)
    seen, truth = vis > 0, visible > 0.5
    tp, fp, fn = int((seen & truth).sum()), int((seen & ~truth).sum()), int((~seen & truth).sum())
    precision = 1.0 if tp + fp == 0 else tp / (tp + fp)
    recall = 1.0 if tp + fn == 0 else tp / (tp + fn)
    f1 = (1.0 if fp + fn == 0 else 0.0) if tp == 0 else 2.0 * tp / (2 * tp + fp + fn)
    print(json.dumps({"clips": N, "loss": loss, "action_accuracy": int((act.argmax(1) == actions).sum()) / N,
                      "visible_f1": f1, "visible_precision": precision, "visible_recall": recall}))


if __name__ == "__main__":
    main()
