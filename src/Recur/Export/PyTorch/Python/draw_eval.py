#!/usr/bin/env python3
"""Scores the exported DRAW model as `recur draw eval RUN` does on the validation images: the bound L_x + L_z (the
negative log-likelihood's upper bound, nats per image) and its two terms, over the binarised images in chunks of 200
with the noise Recur's evaluation draws (both in eval_set.safetensors).

    python3 eval.py [--weights weights.safetensors]

Prints one JSON line: {"images", "bound", "reconstruction", "kl"}.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import data  # noqa: E402
import model as recur_model  # noqa: E402


def main():
    net, t, meta = data.evaluated(HERE, __doc__, recur_model)
    images, eps, chunk = t["images"], t["eps"], int(meta["chunk"])
    N = len(images)
    lx = lz = 0.0
    with torch.no_grad():
        for s in range(0, N, chunk):
            x = images[s:s + chunk]
            rx, rz, _ = net(x, eps[:, s:s + chunk])
            lx += rx.item() * len(x)
            lz += rz.item() * len(x)
    print(json.dumps({"images": N, "bound": (lx + lz) / N, "reconstruction": lx / N, "kl": lz / N}))


if __name__ == "__main__":
    main()
